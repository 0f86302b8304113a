import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The layering rules of ARCHITECTURE.md, read from the sources of every package. Each layer has
 * its own allow-list for runtime imports — static, `export … from`, side-effect, dynamic
 * `import()` and `require()` — so a store cannot pick up `hono` just because an adapter may.
 * `import type` / `export type` are erased at build time and may name anything; the type checker
 * (tsconfig.core.json compiles the core with no ambient types) guards what they can reach.
 */
const ROOT = fileURLToPath(new URL("../", import.meta.url));

interface Layer {
  /** Folder, relative to the repository root. */
  folder: string;
  /** May this layer import `specifier` (already resolved to a repository path when relative)? */
  allows(specifier: string, resolvedPath: string | undefined): boolean;
}

const inside = (folder: string) => (path: string | undefined) => path !== undefined && (path + sep).startsWith(join(ROOT, folder) + sep);
const isNodeBuiltin = (specifier: string) => specifier.startsWith("node:");
const bareIn = (names: string[]) => (specifier: string) => names.some((name) => specifier === name || specifier.startsWith(`${name}/`));

const TESSERA = "packages/tessera/src";
const inCore = inside(`${TESSERA}/core`);

const LAYERS: Layer[] = [
  { folder: `${TESSERA}/core`, allows: (_, path) => inCore(path) },
  ...["memory", "redis", "upstash"].map((store) => ({
    folder: `${TESSERA}/stores/${store}`,
    allows: (specifier: string, path: string | undefined) =>
      inCore(path) ||
      inside(`${TESSERA}/stores/${store}`)(path) ||
      // The Upstash store is the Redis store over its own client, an optional peer it loads on demand.
      (store === "upstash" && (inside(`${TESSERA}/stores/redis`)(path) || specifier === "@upstash/redis")),
  })),
  ...Object.entries({ hono: ["hono"], express: [], fastify: [], next: [] }).map(([adapter, framework]) => ({
    folder: `${TESSERA}/adapters/${adapter}`,
    allows: (specifier: string, path: string | undefined) => inCore(path) || inside(`${TESSERA}/adapters/${adapter}`)(path) || bareIn(framework)(specifier),
  })),
  { folder: `${TESSERA}/runtime`, allows: (specifier, path) => inCore(path) || isNodeBuiltin(specifier) },
  { folder: `${TESSERA}/testing`, allows: (_, path) => inCore(path) || inside(`${TESSERA}/testing`)(path) },
  // upstash-local is its own tool: no tessera code, so it installs and runs without the library.
  {
    folder: "packages/upstash-local/src",
    allows: (specifier, path) => inside("packages/upstash-local/src")(path) || isNodeBuiltin(specifier) || bareIn(["ioredis"])(specifier),
  },
  // The server uses the library only through its published entry points, like any app.
  {
    folder: "packages/server/src",
    allows: (specifier, path) =>
      inside("packages/server/src")(path) ||
      isNodeBuiltin(specifier) ||
      bareIn(["tessera", "hono", "@hono/node-server", "zod", "ioredis", "redis", "@upstash/redis", "swagger-ui-dist", "prom-client", "pino"])(specifier),
  },
];

/** Source text without comments, so prose that mentions `require` or `Buffer` is not code. */
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");

/** Every runtime module specifier in a source file. */
function runtimeImports(text: string): string[] {
  const code = withoutComments(text);
  const patterns = [
    /^\s*import\s+(?!type\s)(?:[^;"']*?\sfrom\s*)?["']([^"']+)["']/gm, // import x from "a"; import "a"
    /^\s*export\s+(?!type\s)[^;"']*?\sfrom\s*["']([^"']+)["']/gm, // export { x } from "a"; export * from "a"
    /\bimport\s*\(\s*["'`]([^"'`]+)["'`]/g, // import("a")
    /\brequire\s*\(\s*["'`]([^"'`]+)["'`]/g, // require("a")
    /\bimport\s*\(\s*(?!["'`])/g, // import(variable): cannot be checked, so never allowed
  ];
  const found: string[] = [];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) found.push(match[1] ?? "<computed import()>");
  return found;
}

function sourceFiles(folder: string): string[] {
  const directory = join(ROOT, folder);
  let entries;
  try {
    entries = readdirSync(directory, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe("layering", () => {
  it("finds every kind of runtime import, and skips type-only ones", () => {
    const text = [
      'import { a } from "./a.js";',
      'import "side-effect";',
      'export { b } from "node:crypto";',
      'export * from "./star.js";',
      'const c = await import("dynamic");',
      'const d = require("required");',
      "const e = await import(name);",
      'import type { T } from "types-only";',
      'export type { U } from "types-only-too";',
      '// import { f } from "commented";',
    ].join("\n");
    expect(runtimeImports(text).sort()).toEqual(["./a.js", "./star.js", "<computed import()>", "dynamic", "node:crypto", "required", "side-effect"].sort());
  });

  for (const layer of LAYERS) {
    it(`${layer.folder} imports only what its layer allows`, () => {
      const files = sourceFiles(layer.folder);
      const violations: string[] = [];
      for (const file of files) {
        for (const specifier of runtimeImports(readFileSync(file, "utf8"))) {
          const path = specifier.startsWith(".") ? resolve(file, "..", specifier) : undefined;
          if (!layer.allows(specifier, path)) violations.push(`${relative(ROOT, file)} imports ${specifier}`);
        }
      }
      expect(violations).toEqual([]);
    });
  }

  it("the core names no Node global (Buffer, process, require, __dirname)", () => {
    const violations = sourceFiles(`${TESSERA}/core`).flatMap((file) =>
      [...withoutComments(readFileSync(file, "utf8")).matchAll(/\b(Buffer|process|require|__dirname|__filename|setImmediate)\b/g)].map(
        (match) => `${relative(ROOT, file)} uses ${match[1]}`,
      ),
    );
    expect(violations).toEqual([]);
  });

  it("every library source file belongs to a layer", () => {
    const covered = LAYERS.map((layer) => join(ROOT, layer.folder) + sep);
    const strays = sourceFiles(TESSERA).filter((file) => !covered.some((folder) => file.startsWith(folder)));
    expect(strays.map((file) => relative(ROOT, file))).toEqual([]);
  });

  it("the library has no runtime dependencies: frameworks and clients are optional peers", () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, "packages/tessera/package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    expect(manifest.dependencies ?? {}).toEqual({});
    for (const peer of Object.keys(manifest.peerDependencies ?? {})) expect(manifest.peerDependenciesMeta?.[peer]?.optional, peer).toBe(true);
  });
});
