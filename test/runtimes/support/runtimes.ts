import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const NODE_MODULES = join(ROOT, "node_modules");
/** How long a runtime may take to print that it listens: far above the ~0.1–0.5 s they take here. */
const START_TIMEOUT_MS = 20_000;

/** The smoke app, started on one runtime. */
export interface RunningApp {
  readonly url: string;
  stop(): Promise<void>;
}

/** A runtime the smoke app runs on, as the tests see it. */
export interface Runtime {
  readonly name: "node" | "bun" | "deno" | "workerd";
  /** Why this runtime cannot run on this platform, or `undefined` when it can. */
  readonly unavailable: string | undefined;
  /** Starts the app (server bundle or Worker module) with `config` as its environment or bindings. */
  start(bundles: { server: string; worker: string }, config: Record<string, string>): Promise<RunningApp>;
}

const runs = (binary: string) => spawnSync(binary, ["--version"], { stdio: "ignore", timeout: 30_000 }).status === 0;

/**
 * A runtime's real binary, from the platform package npm picked for this machine
 * (`@oven/bun-linux-x64`, `@deno/linux-x64-glibc`, …). Not `node_modules/.bin`: the `bun` and
 * `deno` packages put their binary there with a postinstall script, and without it (`npm ci
 * --ignore-scripts`, or an npm that blocks install scripts) `.bin/bun` fails and `.bin/deno` is a
 * Node launcher whose child outlives a signal sent to it. `.bin` is the fallback for a platform
 * package laid out otherwise. Only when npm installed no binary at all is the runtime unavailable
 * here; one that is installed but does not run is an error, not a skip.
 */
function findBinary(
  name: "bun" | "deno",
  platformScope: string,
  binaryInPackage: string,
): { binary: string; unavailable?: undefined } | { binary?: undefined; unavailable: string } {
  const override = process.env[name.toUpperCase()];
  if (override) return runs(override) ? { binary: override } : { unavailable: `${name.toUpperCase()}=${override} does not run` };
  const scopeDir = join(NODE_MODULES, platformScope);
  const platformBinaries = existsSync(scopeDir)
    ? readdirSync(scopeDir)
        .map((entry) => join(scopeDir, entry, binaryInPackage))
        .filter((path) => existsSync(path))
    : [];
  const launcher = join(NODE_MODULES, ".bin", name);
  const working = [...platformBinaries, launcher].find((binary) => existsSync(binary) && runs(binary));
  if (working) return { binary: working };
  if (platformBinaries.length === 0) {
    return {
      unavailable: `npm installed no ${name} binary for ${process.platform}-${process.arch} (no ${platformScope}/* package): ${name} does not ship one for this platform`,
    };
  }
  throw new Error(
    `${name} is installed (${platformBinaries.join(", ")}) but does not run here: reinstall with \`npm ci\`, or set ${name.toUpperCase()}=/path/to/${name}`,
  );
}

/** The binary found, or the reason there is none (tests skip an unavailable runtime before they get here). */
const binaryOf = (found: ReturnType<typeof findBinary>): string => {
  if (found.binary === undefined) throw new Error(found.unavailable);
  return found.binary;
};

/** Starts `command` and waits for the app's `smoke app listening on <url>` line. */
function startProcess(label: string, command: string, args: string[], config: Record<string, string>): Promise<RunningApp> {
  // Its own process group, so stopping it also stops anything it started.
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...config, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      process.kill(-child.pid, "SIGTERM");
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${label} did not start within ${START_TIMEOUT_MS} ms. Its output:\n${output}`));
    }, START_TIMEOUT_MS);
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /smoke app listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, stop });
      }
    };
    child.stdout.on("data", onOutput);
    child.stderr.on("data", onOutput);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${label} could not be started (${command}): ${error.message}`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${signal ?? `code ${code}`}) before listening. Its output:\n${output}`));
    });
  });
}

const node: Runtime = {
  name: "node",
  unavailable: undefined,
  start: ({ server }, config) => startProcess("node", process.execPath, [server], config),
};

const bunBinary = findBinary("bun", "@oven", "bin/bun");
const bun: Runtime = {
  name: "bun",
  unavailable: bunBinary.unavailable,
  start: ({ server }, config) => startProcess("bun", binaryOf(bunBinary), [server], config),
};

const denoBinary = findBinary("deno", "@deno", "deno");
const deno: Runtime = {
  name: "deno",
  unavailable: denoBinary.unavailable,
  // Resolves the app's imports from node_modules through the repository's package.json; loopback only.
  start: ({ server }, config) =>
    startProcess("deno", binaryOf(denoBinary), ["run", "--no-lock", "--allow-env", "--allow-read", "--allow-net=127.0.0.1", server], config),
};

/** workerd through Miniflare, which runs it as a child process and exposes it on a loopback port. */
const workerd: Runtime = {
  name: "workerd",
  unavailable: readdirSync(join(NODE_MODULES, "@cloudflare"), { withFileTypes: true }).some((entry) => entry.name.startsWith("workerd-"))
    ? undefined
    : `npm installed no workerd binary for ${process.platform}-${process.arch} (no @cloudflare/workerd-* package): workerd does not ship one for this platform`,
  async start({ worker }, config) {
    const miniflare = new Miniflare({
      modules: true,
      scriptPath: worker,
      compatibilityDate: "2026-04-01",
      bindings: config,
      host: "127.0.0.1",
      port: 0,
    });
    const url = await miniflare.ready;
    return { url: url.origin, stop: () => miniflare.dispose() };
  },
};

/** Every runtime the smoke app runs on, Node first. */
export const RUNTIMES: readonly Runtime[] = [node, bun, deno, workerd];
