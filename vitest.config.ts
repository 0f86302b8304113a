import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * Tests import packages by name (`tessera/redis`, `@tessera/upstash-local`) as users do, but run
 * against the sources: the same map tsconfig.json gives the type checker, so the two cannot drift.
 */
const { compilerOptions } = JSON.parse(readFileSync(new URL("./tsconfig.json", import.meta.url), "utf8")) as {
  compilerOptions: { paths: Record<string, [string]> };
};
const alias = Object.entries(compilerOptions.paths).map(([specifier, [target]]) => ({
  find: new RegExp(`^${specifier.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`),
  replacement: fileURLToPath(new URL(target, import.meta.url)),
}));

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "test/*.test.ts", "bench/**/*.test.ts"],
        },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["packages/*/test/**/*.test.ts", "test/integration/**/*.test.ts", "test/runtimes/**/*.test.ts"],
          exclude: ["packages/*/test/browser/**"],
          // Each file starts its own redis-server (and sometimes the server process).
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "browser",
          include: ["packages/*/test/browser/**/*.test.ts"],
          // Headless Chromium against the server process; screenshots go to test-artifacts/browser.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
