import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePorts, sleep } from "./ports.js";
import { startRedisServer, type RedisServer } from "./redis-server.js";

const INSTALL_HINT =
  "redis-sentinel was not found on PATH. Install it: `apt-get install -y redis-sentinel` (Debian/Ubuntu; a package of its own), `brew install redis` (macOS, included).";

/** A primary, one replica, and `redis-sentinel` processes watching them, all on free loopback ports. */
export interface RedisSentinelGroup {
  /** The master group's name, for `REDIS_SENTINEL_NAME`. */
  readonly masterName: string;
  /** `127.0.0.1:<port>` of every sentinel, for `REDIS_SENTINELS`. */
  readonly sentinelAddresses: readonly string[];
  /** The two data servers, primary first as started; their roles swap on a failover. */
  readonly servers: readonly [RedisServer, RedisServer];
  /** The server every running sentinel names as primary right now (throws if they disagree or name none). */
  primary(): Promise<RedisServer>;
  /** Resolves once every sentinel names `server` as primary and it says `role:master`. */
  waitForPrimary(server: RedisServer, timeoutMs?: number): Promise<void>;
  /** Resolves once `server` replicates the current primary with its link up. */
  waitUntilReplicating(server: RedisServer, timeoutMs?: number): Promise<void>;
  /**
   * Starts a killed former primary again and makes it a replica of the current primary at once,
   * as an operator would. Sentinel does the same by itself, but only after its next look at the
   * returned server (about 15 s here: it looks at replicas every 10 s), too long for a test.
   * Resolves once it is in sync.
   */
  restartAsReplica(server: RedisServer, timeoutMs?: number): Promise<void>;
  /**
   * SIGSTOP of one sentinel: it keeps accepting connections but never answers, as a hung one
   * would. The others go on without it (and so do {@link primary} and the waits). Returns the thaw.
   */
  freezeSentinel(address: string): () => void;
  /** Kills every sentinel and both servers (by PID) and removes their directories. */
  dispose(): Promise<void>;
}

export interface RedisSentinelOptions {
  /** How many sentinels; the quorum is a majority of them. @default 3 */
  sentinelCount?: 1 | 3;
  /**
   * How long the primary may be silent before a sentinel thinks it down. Redis's default is
   * 30000; tests use a short one so a failover fits in a test. @default 1000
   */
  downAfterMs?: number;
  /** Sentinel's `failover-timeout`; a failed election is retried after twice this. @default 2000 */
  failoverTimeoutMs?: number;
  /** @default "mymaster" */
  masterName?: string;
}

const CLI_TIMEOUT_MS = 5000;

export function assertSentinelInstalled(): void {
  const probe = spawnSync("redis-sentinel", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) throw new Error(INSTALL_HINT);
}

/**
 * Starts a primary and a replica (`startRedisServer`, then `REPLICAOF`), waits until the replica is
 * in sync, then starts the sentinels, each with its own config file (Sentinel rewrites it), and
 * waits until every sentinel sees the replica and all the other sentinels: only then can a failover
 * succeed. Every wait is bounded and says what it was waiting for when it gives up.
 */
export async function startRedisSentinelGroup(options: RedisSentinelOptions = {}): Promise<RedisSentinelGroup> {
  assertSentinelInstalled();
  const sentinelCount = options.sentinelCount ?? 3;
  const quorum = Math.floor(sentinelCount / 2) + 1;
  const masterName = options.masterName ?? "mymaster";
  const root = mkdtempSync(join(tmpdir(), "tessera-sentinel-"));
  const sentinels: Array<{ port: number; child: ChildProcess; frozen: boolean }> = [];
  const answering = () => sentinels.filter(({ frozen }) => !frozen);
  const servers: RedisServer[] = [];

  const group: RedisSentinelGroup = {
    masterName,
    get sentinelAddresses() {
      return sentinels.map(({ port }) => `127.0.0.1:${port}`);
    },
    get servers() {
      return servers as unknown as [RedisServer, RedisServer];
    },
    async primary() {
      const named = new Set(await Promise.all(answering().map(({ port }) => primaryPortNamedBy(port, masterName))));
      const [port] = named;
      const server = servers.find((candidate) => candidate.port === port);
      if (named.size !== 1 || server === undefined) throw new Error(`the sentinels name ${[...named].join(" and ")} as primary of ${masterName}`);
      return server;
    },
    async waitForPrimary(server, timeoutMs = 20_000) {
      let seen = "";
      await waitFor(
        `the sentinels to name 127.0.0.1:${server.port} primary of ${masterName}`,
        timeoutMs,
        async () => {
          const named = await Promise.all(answering().map(({ port }) => primaryPortNamedBy(port, masterName).catch(() => undefined)));
          const role = /role:(\w+)/.exec(await server.command("INFO", "replication").catch(() => ""))?.[1];
          seen = `sentinels name ${named.join(", ")}; the server says role:${role}`;
          return named.every((port) => port === server.port) && role === "master";
        },
        () => seen,
      );
    },
    waitUntilReplicating: (server, timeoutMs = 20_000) =>
      waitUntilReplicating(server, async () => (await group.primary().catch(() => undefined))?.port, timeoutMs),
    async restartAsReplica(server, timeoutMs = 20_000) {
      const primary = await group.primary();
      if (primary === server) throw new Error(`127.0.0.1:${server.port} is still the primary: kill it and wait for the failover first`);
      await server.start();
      await server.command("REPLICAOF", "127.0.0.1", String(primary.port));
      await group.waitUntilReplicating(server, timeoutMs);
    },
    freezeSentinel(address) {
      const sentinel = sentinels.find(({ port }) => `127.0.0.1:${port}` === address);
      if (sentinel === undefined) throw new Error(`${address} is not a sentinel of this group`);
      sentinel.child.kill("SIGSTOP");
      sentinel.frozen = true;
      return () => {
        sentinel.child.kill("SIGCONT");
        sentinel.frozen = false;
      };
    },
    async dispose() {
      for (const { child } of sentinels) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGKILL");
        await exited;
      }
      await Promise.all(servers.map((server) => server.dispose()));
      rmSync(root, { recursive: true, force: true });
    },
  };

  try {
    servers.push(await startRedisServer(), await startRedisServer());
    const [primary, replica] = servers as [RedisServer, RedisServer];
    await replica.command("REPLICAOF", "127.0.0.1", String(primary.port));
    await waitUntilReplicating(replica, async () => primary.port, 10_000);
    const ports = await freePorts(sentinelCount);
    for (const port of ports) {
      const configFile = join(root, `sentinel-${port}.conf`);
      writeFileSync(
        configFile,
        [
          `port ${port}`,
          "bind 127.0.0.1",
          `dir ${root}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${primary.port} ${quorum}`,
          `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${masterName} ${options.failoverTimeoutMs ?? 2000}`,
          `sentinel parallel-syncs ${masterName} 1`,
          "",
        ].join("\n"),
      );
      sentinels.push({ port, child: spawn("redis-sentinel", [configFile], { stdio: "ignore" }), frozen: false });
    }
    for (const { port } of sentinels) {
      let seen = "";
      await waitFor(
        `sentinel ${port} to see the replica and ${sentinelCount - 1} other sentinel(s)`,
        20_000,
        async () => {
          const master = parseFields(await cli(port, ["SENTINEL", "MASTER", masterName]).catch((error: Error) => error.message));
          seen = `num-slaves ${master.get("num-slaves")}, num-other-sentinels ${master.get("num-other-sentinels")}, flags ${master.get("flags")}`;
          return master.get("flags") === "master" && master.get("num-slaves") === "1" && master.get("num-other-sentinels") === String(sentinelCount - 1);
        },
        () => seen,
      );
    }
  } catch (error) {
    await group.dispose();
    throw error;
  }
  return group;
}

/** Polls until `server` replicates the port `primaryPort()` names, with its link up. */
async function waitUntilReplicating(server: RedisServer, primaryPort: () => Promise<number | undefined>, timeoutMs: number): Promise<void> {
  let seen = "";
  await waitFor(
    `127.0.0.1:${server.port} to replicate the primary`,
    timeoutMs,
    async () => {
      const port = await primaryPort();
      seen = await server.command("INFO", "replication").catch((error: Error) => error.message);
      return port !== undefined && seen.includes(`master_port:${port}\r\n`) && seen.includes("master_link_status:up");
    },
    () => seen.replace(/\r\n/g, " "),
  );
}

/** The primary's port as sentinel `port` names it (`SENTINEL GET-MASTER-ADDR-BY-NAME`). */
async function primaryPortNamedBy(sentinelPort: number, masterName: string): Promise<number> {
  const [, port] = (await cli(sentinelPort, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName])).trim().split("\n");
  if (port === undefined) throw new Error(`sentinel ${sentinelPort} names no primary for ${masterName}`);
  return Number(port);
}

/** redis-cli prints a flat field/value reply one item a line: field, value, field, value… */
function parseFields(output: string): Map<string, string> {
  const lines = output.trim().split("\n");
  const fields = new Map<string, string>();
  for (let index = 0; index + 1 < lines.length; index += 2) fields.set(lines[index]!, lines[index + 1]!);
  return fields;
}

/** Polls `check` every 100 ms until it is true; past `timeoutMs`, throws naming what it waited for. */
async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, lastSeen: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last seen: ${lastSeen()})`);
}

function cli(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { timeout: CLI_TIMEOUT_MS, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli -p ${port} ${args.join(" ")} failed: ${error.message} ${stderr}`.trim()));
      else resolve(stdout);
    });
  });
}
