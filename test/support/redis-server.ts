import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, sleep } from "./ports.js";

const INSTALL_HINT =
  "redis-server was not found on PATH. Install it: `apt-get install -y redis-server` (Debian/Ubuntu), `brew install redis` (macOS); .ci/run does this on CI.";

/** A private `redis-server` on a free loopback port, with its own data directory. */
export interface RedisServer {
  readonly port: number;
  /** Process id of the running server (undefined while stopped). */
  readonly pid: number | undefined;
  readonly url: string;
  /** Sends one command over a fresh connection and returns the raw RESP reply text. */
  command(...args: string[]): Promise<string>;
  /** `SHUTDOWN SAVE`: writes the dataset to disk and exits, like a clean Redis restart. */
  stop(): Promise<void>;
  /** Starts again on the same port and directory (reloading what `stop` saved). */
  start(): Promise<void>;
  /** `kill -9`: no save, no goodbye; `start()` then reloads whatever the AOF holds. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that accepts connections but never answers. */
  freeze(): void;
  thaw(): void;
  /** Kills the process and removes its directory. */
  dispose(): Promise<void>;
}

export function assertRedisInstalled(): void {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) throw new Error(INSTALL_HINT);
}

/** How the server persists: nothing (the default, fastest for tests) or an append-only file. */
export interface RedisServerOptions {
  /** Turn the AOF on with this fsync policy, as a durable production Redis runs. */
  appendfsync?: "always" | "everysec";
  /** Allow `DEBUG` from loopback (the scale benchmark reads `DEBUG HTSTATS` to wait out a rehash). */
  debugCommand?: boolean;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  assertRedisInstalled();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tessera-redis-"));
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    child = spawn(
      "redis-server",
      [
        ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--protected-mode", "yes"],
        ...(options.appendfsync ? ["--appendonly", "yes", "--appendfsync", options.appendfsync] : ["--appendonly", "no"]),
        ...(options.debugCommand ? ["--enable-debug-command", "local"] : []),
      ],
      { stdio: "ignore" },
    );
    for (let attempt = 0; attempt < 100; attempt++) {
      if ((await ping(port)) === "+PONG") return;
      await sleep(50);
    }
    throw new Error(`redis-server on port ${port} did not answer PING within 5 s`);
  }

  await start();
  const server: RedisServer = {
    port,
    get pid() {
      return child?.pid;
    },
    url: `redis://127.0.0.1:${port}`,
    command: (...args) => sendCommand(port, args),
    async stop() {
      const exited = new Promise<void>((resolve) => child?.once("exit", () => resolve()));
      await sendCommand(port, ["SHUTDOWN", "SAVE"]).catch(() => undefined);
      await exited;
      child = undefined;
    },
    start,
    async kill() {
      const exited = new Promise<void>((resolve) => child?.once("exit", () => resolve()));
      child?.kill("SIGKILL");
      await exited;
      child = undefined;
    },
    freeze: () => child?.kill("SIGSTOP"),
    thaw: () => child?.kill("SIGCONT"),
    async dispose() {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child?.once("exit", () => resolve()));
        child.kill("SIGCONT");
        child.kill("SIGKILL");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

function ping(port: number): Promise<string> {
  return sendCommand(port, ["PING"]).then(
    (reply) => reply.trim(),
    () => "",
  );
}

/** Minimal RESP client for test plumbing (not for the code under test). */
function sendCommand(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis ${args[0]} timed out`));
    }, 2000);
    socket.on("connect", () => {
      socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join("")}`);
    });
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      if (reply.endsWith("\r\n") && !isIncompleteBulk(reply)) {
        clearTimeout(timer);
        socket.end();
        resolve(reply);
      }
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(reply);
    });
  });
}

function isIncompleteBulk(reply: string): boolean {
  const match = /^\$(\d+)\r\n/.exec(reply);
  if (!match) return false;
  return Buffer.byteLength(reply) < match[0].length + Number(match[1]) + 2;
}

/** Parses `INFO commandstats` into command name → calls. */
export function parseCommandStats(info: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of info.split("\r\n")) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (match) calls.set(match[1]!, Number(match[2]));
  }
  return calls;
}

/**
 * Makes `redis` refuse writes that need memory, as a full production Redis does (`maxmemory`
 * reached under `noeviction`: "OOM command not allowed…"). Reads and deletes still work. Returns
 * the undo.
 */
export async function fillRedis(redis: RedisServer): Promise<() => Promise<void>> {
  await redis.command("CONFIG", "SET", "maxmemory-policy", "noeviction");
  await redis.command("CONFIG", "SET", "maxmemory", "1");
  return async () => {
    await redis.command("CONFIG", "SET", "maxmemory", "0");
  };
}

/**
 * `MONITOR` on `redis`: every command the server executes, including those a Lua script runs
 * (shown as `[0 lua] "SET" "key" …`), in execution order. `stop()` ends it and returns the lines.
 */
export async function monitorRedis(redis: RedisServer): Promise<{ stop(): Promise<string[]> }> {
  const socket = connect(redis.port, "127.0.0.1");
  let text = "";
  socket.on("data", (chunk) => (text += chunk.toString("utf8")));
  socket.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => socket.write("*1\r\n$7\r\nMONITOR\r\n"));
    socket.once("error", reject);
    const started = () => (text.startsWith("+OK\r\n") ? resolve() : setTimeout(started, 5));
    started();
  });
  return {
    async stop() {
      // A marker command: once MONITOR shows it, every command before it has been shown too.
      const marker = `monitor-end-${Math.random().toString(36).slice(2)}`;
      await redis.command("ECHO", marker);
      for (let attempt = 0; attempt < 200 && !text.includes(marker); attempt++) await sleep(5);
      socket.destroy();
      return text.split("\r\n").filter((line) => line.startsWith("+") && line !== "+OK");
    },
  };
}
