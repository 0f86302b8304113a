import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The package as users get it: `npm pack` of packages/tessera (built by `npm test` first), checked
 * by publint and arethetypeswrong, then installed into throwaway apps that have only one client
 * each, type-checked with `skipLibCheck: false` under both `nodenext` and `bundler` resolution.
 */
const PACKAGE = fileURLToPath(new URL("../../", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const ROOT_MODULES = join(ROOT, "node_modules");
const CONSUMERS = fileURLToPath(new URL("./consumers/", import.meta.url));
const TSC = join(ROOT_MODULES, "typescript/bin/tsc");

let work: string;
let tarball: string;
let files: string[];

beforeAll(() => {
  if (!existsSync(join(PACKAGE, "dist/core/index.js")))
    throw new Error("packages/tessera/dist is missing: run `npm run build` (npm test does) before this test");
  work = mkdtempSync(join(tmpdir(), "tessera-package-"));
  const packed = spawnSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: PACKAGE, encoding: "utf8" });
  if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work, info!.filename);
  files = info!.files.map((file) => file.path);
  // Unpacked once; each consumer app gets a copy as node_modules/tessera.
  mkdirSync(join(work, "unpacked"));
  const untar = spawnSync("tar", ["-xzf", tarball, "-C", join(work, "unpacked")]);
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
}, 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the tarball", () => {
  it("ships the library only: dist, README, LICENSE, CHANGELOG and the manifest", () => {
    const stray = files.filter((path) => !/^(dist\/.+\.(js|d\.ts)|README\.md|LICENSE|CHANGELOG\.md|package\.json)$/.test(path));
    expect(stray).toEqual([]);
    for (const required of ["README.md", "LICENSE", "CHANGELOG.md", "dist/core/index.js", "dist/core/index.d.ts"]) expect(files).toContain(required);
  });

  it("holds no server, no tests, no test kit of another package and no source maps without sources", () => {
    expect(files.filter((path) => /server|\.test\.|upstash-local|\/cli\//.test(path))).toEqual([]);
    // A map is only useful with the sources it points at; we ship neither.
    expect(files.filter((path) => path.endsWith(".map"))).toEqual([]);
  });

  it("every export of the manifest points at a shipped file", () => {
    const manifest = JSON.parse(readFileSync(join(PACKAGE, "package.json"), "utf8")) as { exports: Record<string, string | Record<string, string>> };
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      for (const path of typeof target === "string" ? [target] : Object.values(target))
        expect(files, `${subpath} → ${path}`).toContain(path.replace(/^\.\//, ""));
    }
  });

  it("publint finds nothing", () => {
    const result = spawnSync(process.execPath, [join(ROOT_MODULES, "publint/src/cli.js"), "--strict", PACKAGE], { encoding: "utf8" });
    expect(result.stdout + result.stderr).toContain("All good!");
    expect(result.status).toBe(0);
  });

  it("arethetypeswrong finds nothing for ESM consumers (node16 and bundler)", () => {
    const result = spawnSync(
      process.execPath,
      [join(ROOT_MODULES, "@arethetypeswrong/cli/dist/index.js"), tarball, "--profile", "esm-only", "--format", "ascii", "--no-color"],
      { encoding: "utf8" },
    );
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });
});

/** A consumer app: which fixture, and which packages it has installed (name → folder in the root node_modules). */
const APPS: Array<{ name: string; fixture: string; installed: Record<string, string> }> = [
  { name: "ioredis 6 only", fixture: "ioredis.ts", installed: { ioredis: "ioredis" } },
  { name: "ioredis 5 only", fixture: "ioredis.ts", installed: { ioredis: "ioredis5" } },
  { name: "redis 6 only", fixture: "node-redis.ts", installed: { redis: "redis" } },
  { name: "redis 5 only", fixture: "node-redis.ts", installed: { redis: "redis5" } },
  { name: "@upstash/redis only", fixture: "upstash.ts", installed: { "@upstash/redis": "@upstash/redis" } },
  { name: "hono only", fixture: "hono.ts", installed: { hono: "hono" } },
];
const RESOLUTIONS = {
  nodenext: { module: "nodenext", moduleResolution: "nodenext" },
  bundler: { module: "esnext", moduleResolution: "bundler" },
};

/** Builds an app folder outside the repository, so nothing resolves from the root node_modules. */
function makeApp(app: (typeof APPS)[number], resolution: keyof typeof RESOLUTIONS): string {
  const dir = join(work, `${app.fixture}-${Object.values(app.installed).join("-").replace(/\W/g, "_")}-${resolution}`);
  mkdirSync(join(dir, "node_modules/@types"), { recursive: true });
  cpSync(join(work, "unpacked/package"), join(dir, "node_modules/tessera"), { recursive: true });
  // Installed packages are links to the root's copies; TypeScript follows them to their real path,
  // where their own dependencies resolve, but tessera (a real folder here) cannot see them.
  for (const [name, folder] of Object.entries({ ...app.installed, "@types/node": "@types/node" })) {
    mkdirSync(dirname(join(dir, "node_modules", name)), { recursive: true });
    symlinkSync(realpathSync(join(ROOT_MODULES, folder)), join(dir, "node_modules", name), "dir");
  }
  cpSync(join(CONSUMERS, app.fixture), join(dir, "app.ts"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        ...RESOLUTIONS[resolution],
        target: "ES2022",
        lib: ["ES2023", "DOM"],
        types: ["node"],
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: false,
        noEmit: true,
      },
      files: ["app.ts"],
    }),
  );
  return dir;
}

function typecheck(dir: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TSC, "-p", dir], { cwd: dir });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", (status) => resolve({ status, output }));
  });
}

describe("consumer apps type-check against the tarball with skipLibCheck: false", () => {
  for (const resolution of Object.keys(RESOLUTIONS) as Array<keyof typeof RESOLUTIONS>) {
    for (const app of APPS) {
      it(`${app.name}, ${resolution}`, async () => {
        const result = await typecheck(makeApp(app, resolution));
        expect(result.output).toBe("");
        expect(result.status).toBe(0);
      }, 60_000);
    }
  }
});
