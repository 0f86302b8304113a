import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "../../test/support/ports.js";
import { startProcess, StartError, type RunningProcess } from "./processes.js";

export type Scenario = "read" | "login";

/** One server under test: its own process, started with PORT, HOST and a store's URL. */
export interface Target {
  name: string;
  label: string;
  /** Script path from the repository root. */
  entry: string;
  runtime: "node" | "bun";
  ready: RegExp;
  /** Which throughput scenarios it runs in the loopback comparison. */
  scenarios: Scenario[];
}

/** Repository root (this file runs from bench-dist/bench/lib). */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const targetScript = (name: string) => `bench-dist/bench/targets/${name}.js`;
const SERVER_MAIN = "packages/server/dist/main.js";
const READY = /^ready/;
const BOTH: Scenario[] = ["read", "login"];

/** The reference server and the seed port, wherever they run (loopback, remote Redis, Upstash). */
export const REFERENCE_SERVER: Target = {
  name: "tessera-server",
  label: "tessera reference server",
  entry: SERVER_MAIN,
  runtime: "node",
  ready: /listening on/,
  scenarios: BOTH,
};
export const SEED_PORT: Target = {
  name: "seed-port",
  label: "seed port (Hono, HGETALL + EXPIRE)",
  entry: targetScript("seed-port"),
  runtime: "node",
  ready: READY,
  scenarios: BOTH,
};
export const FLOOR_NODE: Target = {
  name: "floor-node",
  label: "raw node:http + one GETEX (floor)",
  entry: targetScript("floor-node"),
  runtime: "node",
  ready: READY,
  scenarios: BOTH,
};
/** The reference server's read written by hand (`bench/targets/hand-read.ts`): profiled beside the server, not in the rounds. */
export const HAND_READ: Target = {
  name: "hand-read",
  label: "the server's read written by hand (node:http + ioredis)",
  entry: targetScript("hand-read"),
  runtime: "node",
  ready: READY,
  scenarios: ["read"],
};
export const SEED_PORT_UPSTASH: Target = {
  name: "seed-port-upstash",
  label: "seed port on @upstash/redis (HGETALL + EXPIRE)",
  entry: targetScript("seed-port-upstash"),
  runtime: "node",
  ready: READY,
  scenarios: ["read"],
};

/** The loopback comparison: every stack against the same Redis, read and (for most) login. */
export const LOOPBACK_TARGETS: Target[] = [
  FLOOR_NODE,
  { name: "floor-hono", label: "bare Hono + one GETEX (framework floor)", entry: targetScript("floor-hono"), runtime: "node", ready: READY, scenarios: BOTH },
  {
    name: "floor-express",
    label: "bare Express + one GETEX (framework floor)",
    entry: targetScript("floor-express"),
    runtime: "node",
    ready: READY,
    scenarios: ["read"],
  },
  {
    name: "floor-fastify",
    label: "bare Fastify + one GETEX (framework floor)",
    entry: targetScript("floor-fastify"),
    runtime: "node",
    ready: READY,
    scenarios: ["read"],
  },
  REFERENCE_SERVER,
  {
    name: "tessera-server-bun",
    label: "tessera reference server on Bun (Bun.serve)",
    entry: targetScript("server-bun"),
    runtime: "bun",
    ready: READY,
    scenarios: ["read"],
  },
  { name: "tessera-hono", label: "tessera middleware on bare Hono", entry: targetScript("tessera-hono"), runtime: "node", ready: READY, scenarios: BOTH },
  {
    name: "tessera-express",
    label: "tessera/express on bare Express",
    entry: targetScript("tessera-express"),
    runtime: "node",
    ready: READY,
    scenarios: ["read"],
  },
  {
    name: "tessera-fastify",
    label: "tessera/fastify on bare Fastify",
    entry: targetScript("tessera-fastify"),
    runtime: "node",
    ready: READY,
    scenarios: ["read"],
  },
  {
    name: "fastify-session",
    label: "@fastify/session + connect-redis (rolling)",
    entry: targetScript("fastify-session"),
    runtime: "node",
    ready: READY,
    scenarios: BOTH,
  },
  SEED_PORT,
  {
    name: "express-session",
    label: "express-session + connect-redis (rolling)",
    entry: targetScript("express-session"),
    runtime: "node",
    ready: READY,
    scenarios: BOTH,
  },
];

/**
 * Targets whose throughputs are compared by a ratio: each group runs back to back in every round
 * (see `measureRounds`), so a ratio compares figures taken within seconds of each other.
 */
export const ROUND_GROUPS: ReadonlyArray<readonly string[]> = [
  ["floor-node", "tessera-server", "seed-port", "tessera-server-bun"],
  ["floor-hono", "tessera-hono"],
  ["floor-express", "tessera-express"],
  ["floor-fastify", "tessera-fastify"],
];

/** Each adapter beside the bare framework it runs on. */
export const ADAPTER_PAIRS: Array<{ framework: string; adapter: string; floor: string }> = [
  { framework: "Hono", adapter: "tessera-hono", floor: "floor-hono" },
  { framework: "Express", adapter: "tessera-express", floor: "floor-express" },
  { framework: "Fastify", adapter: "tessera-fastify", floor: "floor-fastify" },
];

export interface StartedTarget {
  target: Target;
  url: string;
  process: RunningProcess;
}

/** A target that could not run, with the reason the report prints. */
export interface SkippedTarget {
  target: Target;
  reason: string;
}

let bunPath: string | null | undefined;
/**
 * Bun from the npm registry through npx (its package ships the binary), or from `$BUN`. Looked up
 * once; `null` when neither works, and the Bun target is then skipped.
 */
export function findBun(): string | null {
  if (bunPath !== undefined) return bunPath;
  const probe = process.env.BUN
    ? spawnSync(process.env.BUN, ["-e", "console.log(process.execPath)"], { encoding: "utf8", timeout: 30_000 })
    : spawnSync("npx", ["--yes", "bun@1", "-e", "console.log(process.execPath)"], { encoding: "utf8", timeout: 180_000 });
  bunPath = probe.status === 0 ? probe.stdout.trim().split("\n").pop() || null : null;
  return bunPath;
}

/** Why a target did not start, in one line: its own `pending …` line when it printed one. */
function reasonFor(error: unknown): string {
  if (!(error instanceof StartError)) return error instanceof Error ? error.message : String(error);
  const pending = error.output.find((line) => line.startsWith("pending "));
  if (pending) return pending.slice("pending ".length);
  const last = error.output.filter((line) => line.trim()).slice(-1)[0] ?? "";
  return `${error.message.split("\n")[0]}${last ? `: ${last.slice(0, 200)}` : ""}`;
}

/**
 * Starts each target on a free port with `env` added, pinned to `cpu`. A target that fails to
 * start (an adapter not yet in the library, Bun unavailable) is skipped with its reason rather than
 * ending the run.
 */
export async function startTargets(
  targets: Target[],
  env: Record<string, string>,
  cpu: number,
  log: (message: string) => void,
  extraNodeArgs: string[] = [],
): Promise<{ started: StartedTarget[]; skipped: SkippedTarget[] }> {
  const started: StartedTarget[] = [];
  const skipped: SkippedTarget[] = [];
  for (const target of targets) {
    const command = target.runtime === "bun" ? findBun() : process.execPath;
    if (command === null) {
      skipped.push({ target, reason: "bun could not be run (`npx --yes bun@1` failed; set BUN=/path/to/bun)" });
      log(`skipped ${target.name}: bun unavailable`);
      continue;
    }
    const port = await freePort();
    try {
      const running = await startProcess(command, [...(target.runtime === "node" ? extraNodeArgs : []), ROOT + target.entry], {
        env: { PORT: String(port), HOST: "127.0.0.1", ACCESS_LOG: "false", ...env },
        ready: target.ready,
        cpu,
      });
      started.push({ target, url: `http://127.0.0.1:${port}`, process: running });
      log(`started ${target.name} on port ${port}`);
    } catch (error) {
      const reason = reasonFor(error);
      skipped.push({ target, reason });
      log(`skipped ${target.name}: ${reason}`);
    }
  }
  return { started, skipped };
}

export const stopAll = (targets: StartedTarget[]) => Promise.all(targets.map((t) => t.process.stop()));
