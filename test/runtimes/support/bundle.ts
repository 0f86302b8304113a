import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const APP = join(ROOT, "test/runtimes/app");
/**
 * Inside the repository, so Node, Bun and Deno resolve the app's imports from its node_modules;
 * not inside node_modules itself, where Deno refuses to load a workspace package from it
 * ("Loading unprepared module"). Git-ignored (test/runtimes/.gitignore).
 */
const OUT = join(ROOT, "test/runtimes/.build");

/** Newest modification time of the files under `dir` that the build compiles (tests are not built), in ms. */
function newestMtimeMs(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && !/\.test\.ts$/.test(entry.name))
    .reduce((newest, entry) => Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs), 0);
}

/**
 * The runtimes load the library as a user would, through its package exports, i.e. its dist/:
 * refuse to test a build that is missing or older than the sources.
 */
export function assertLibraryBuilt(): void {
  const dist = join(ROOT, "packages/tessera/dist");
  if (!existsSync(dist)) throw new Error("packages/tessera/dist is missing: run `npm run build` before the runtime tests");
  if (newestMtimeMs(join(ROOT, "packages/tessera/src")) > newestMtimeMs(dist)) {
    throw new Error("packages/tessera/dist is older than its sources: run `npm run build` before the runtime tests");
  }
}

/**
 * The server entry for Node, Bun and Deno: the app's own files compiled into one module, every
 * package import left for the runtime to resolve from node_modules.
 */
export async function bundleServer(): Promise<string> {
  const file = join(OUT, "serve.mjs");
  await build({
    input: join(APP, "serve.ts"),
    platform: "node",
    external: (id) => !id.startsWith(".") && !id.startsWith("/"),
    output: { file, format: "esm" },
    logLevel: "warn",
  });
  return file;
}

/**
 * The Worker module for workerd, which has no module resolution of its own: everything in one
 * file, packages resolved with the conditions a Workers bundler uses.
 */
export async function bundleWorker(): Promise<string> {
  const file = join(OUT, "worker.mjs");
  await build({
    input: join(APP, "worker.ts"),
    platform: "browser",
    resolve: { conditionNames: ["workerd", "worker", "browser", "import", "default"] },
    output: { file, format: "esm", codeSplitting: false },
    logLevel: "warn",
  });
  return file;
}
