import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The layering rules of ARCHITECTURE.md, checked on the source: the core runs on any runtime (no
 * `node:*`, no framework) and arrows point down only (core → nothing, stores → core, adapters →
 * core, server → anything).
 */
const SRC = fileURLToPath(new URL("../", import.meta.url));

function sources(folder: string): Array<{ file: string; imports: string[] }> {
  const out: Array<{ file: string; imports: string[] }> = [];
  for (const entry of readdirSync(join(SRC, folder), { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts") || entry.name.endsWith(".test.ts")) continue;
    const path = join(entry.parentPath, entry.name);
    const text = readFileSync(path, "utf8");
    // Runtime imports only: `import type` is erased and may name anything.
    const imports = [...text.matchAll(/^import (?!type )[^;]*?from "([^"]+)";/gms)].map((match) => match[1]!);
    out.push({ file: path.slice(SRC.length), imports });
  }
  return out;
}

describe("layering", () => {
  it("the core imports no node:* module, no framework and no other layer", () => {
    for (const { file, imports } of sources("core")) {
      for (const specifier of imports) {
        expect(specifier.startsWith("./"), `${file} imports ${specifier}`).toBe(true);
      }
    }
  });

  it("stores and adapters import the core and their own folder only (clients as types)", () => {
    for (const layer of ["stores", "adapters"]) {
      for (const { file, imports } of sources(layer)) {
        for (const specifier of imports) {
          const allowed = specifier.startsWith("./") || specifier.startsWith("../../core/") || specifier.startsWith("../redis/") || ["hono"].includes(specifier);
          expect(allowed, `${file} imports ${specifier}`).toBe(true);
        }
      }
    }
  });
});
