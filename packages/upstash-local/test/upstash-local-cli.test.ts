import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, sleep } from "../../../test/support/ports.js";
import { startRedisServer, type RedisServer } from "../../../test/support/redis-server.js";

/** These run the built CLI: `npm run build` first (npm test does). */
const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const UPSTASH_LOCAL = join(DIST, "bin.js");
const TOKEN = "upstash-local-cli-token";

/** Environment without the variables the CLI reads, so only the test's arguments count. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.REDIS_URL;
  delete env.UPSTASH_REDIS_REST_TOKEN;
  return env;
}

/** Runs a CLI to its exit (bounded: killed after 15 s, which fails the exit-code assertion). */
function runToExit(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"], env: cleanEnv() });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.once("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a serving CLI and waits for its "serving" line. */
async function startServing(script: string, args: string[]) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"], env: cleanEnv() });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // "close", not "exit": a child can exit before the parent has read its last output. Listened
  // for from the start, so that a CLI which already ended is not waited for in vain.
  const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
  /** Polls `done` every 25 ms while the CLI runs, at most `attempts` times. */
  const until = async (done: () => boolean, attempts = 200) => {
    for (let attempt = 0; attempt < attempts && !done() && child.exitCode === null; attempt++) await sleep(25);
  };
  // Bounded at 15 s: with Redis away the CLI first waits 2 s for it, and a busy machine starts Node slowly.
  await until(() => stdout.includes("serving"), 600);
  return {
    output: () => ({ stdout, stderr }),
    /**
     * Wait (bounded at 5 s) until stdout matches `pattern`, or stderr holds `text`. The CLI
     * writes its warnings and the generated token after the "serving" line, and the parent can
     * read that line in a chunk of its own (CI once saw the token line arrive after it).
     */
    async stdoutWith(pattern: RegExp): Promise<string> {
      await until(() => pattern.test(stdout));
      return stdout;
    },
    async stderrWith(text: string): Promise<string> {
      await until(() => stderr.includes(text));
      return stderr;
    },
    async stop(): Promise<number | null> {
      child.kill("SIGTERM");
      return closed;
    },
    kill: () => child.kill("SIGKILL"),
  };
}

describe("upstash-local --help", () => {
  it.each([["upstash-local --help", UPSTASH_LOCAL, ["--help"]]])("%s prints the usage and exits 0 without serving", async (_, script, args) => {
    const { code, stdout, stderr } = await runToExit(script, args);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toMatch(/^Usage: upstash-local \[options\]/);
    for (const flag of ["--redis", "--token", "--host", "--port", "--max-body-bytes", "--max-subscribers", "--help"]) expect(stdout).toContain(flag);
    expect(stdout).toContain("With no options it serves redis://127.0.0.1:6379 at http://127.0.0.1:8079");
    expect(stdout).not.toContain("upstash-local: serving");
  });

  describe("where ioredis is not installed", () => {
    // A copy of dist/ under the system temp folder has no node_modules above it, so
    // `import("ioredis")` cannot resolve there.
    let copy: string;
    beforeAll(() => {
      copy = mkdtempSync(join(tmpdir(), "upstash-local-no-ioredis-"));
      cpSync(DIST, copy, { recursive: true });
      writeFileSync(join(copy, "package.json"), '{"type":"module"}');
    });
    afterAll(() => rmSync(copy, { recursive: true, force: true }));

    it("--help still works, through either entry point", async () => {
      for (const [script, args] of [[join(copy, "bin.js"), ["--help"]]] as const) {
        const { code, stdout, stderr } = await runToExit(script, [...args]);
        expect(stderr).toBe("");
        expect(code).toBe(0);
        expect(stdout).toMatch(/^Usage: upstash-local/);
      }
    });

    it("serving says to install ioredis and exits 1", async () => {
      const { code, stderr } = await runToExit(join(copy, "bin.js"), ["--port", "0", "--token", TOKEN]);
      expect(code).toBe(1);
      expect(stderr).toBe("upstash-local: upstash-local needs the ioredis package to talk to Redis: npm install ioredis\n");
    });
  });
});

describe("upstash-local's command line mistakes", () => {
  it.each([
    [["--bogus"], /Unknown option '--bogus'/],
    [["--port", "99999"], /--port 99999 is not a whole number from 0 to 65535/],
    [["--port", "80x"], /--port 80x is not a whole number/],
    [["--max-subscribers", "-1"], /--max-subscribers/],
    [["--max-body-bytes", "0"], /--max-body-bytes 0 is not a whole number from 1/],
    [["stray"], /Unexpected argument 'stray'/],
  ])("%j exits 2, says what is wrong and points at --help", async (args, message) => {
    const { code, stdout, stderr } = await runToExit(UPSTASH_LOCAL, args);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(message);
    expect(stderr).toContain("Run upstash-local --help for the options.");
  });
});

describe("upstash-local serving", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it("serves until SIGTERM, then reports what it served, never printing the token", async () => {
    const port = await freePort();
    const cli = await startServing(UPSTASH_LOCAL, ["--redis", redis.url, "--token", TOKEN, "--port", String(port)]);
    try {
      expect(cli.output().stdout).toBe(`upstash-local: serving ${redis.url} at http://127.0.0.1:${port}\n`);
      const response = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: '["PING"]' });
      expect(await response.json()).toEqual({ result: "PONG" });
      expect(await cli.stop()).toBe(0);
      expect(cli.output().stdout).toContain("stopped after 1 requests carrying 1 commands");
      expect(cli.output().stdout + cli.output().stderr).not.toContain(TOKEN);
    } finally {
      cli.kill();
    }
  });

  it("says so when Redis does not answer, and serves 503s until it does", async () => {
    const port = await freePort();
    const deadRedis = `redis://127.0.0.1:${await freePort()}`;
    const cli = await startServing(UPSTASH_LOCAL, ["--redis", deadRedis, "--token", TOKEN, "--port", String(port)]);
    try {
      expect(await cli.stderrWith("does not answer")).toBe(
        `upstash-local: Redis at ${deadRedis} does not answer; requests get 503 until it does (start redis-server, or pass --redis <url>)\n`,
      );
      const response = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: '["PING"]' });
      expect(response.status).toBe(503);
      expect(await cli.stop()).toBe(0);
    } finally {
      cli.kill();
    }
  });

  it("hides the password of the Redis URL, and generates and prints a token when none is given", async () => {
    const port = await freePort();
    const url = new URL(redis.url);
    url.password = "s3cret-password";
    const cli = await startServing(UPSTASH_LOCAL, ["--redis", url.toString(), "--port", String(port)]);
    try {
      const stdout = await cli.stdoutWith(/UPSTASH_REDIS_REST_TOKEN=\S+\n/);
      expect(stdout).not.toContain("s3cret-password");
      expect(stdout).toContain(`serving redis://:***@127.0.0.1:${redis.port} at http://127.0.0.1:${port}`);
      const token = /UPSTASH_REDIS_REST_TOKEN=(\S+)/.exec(stdout)?.[1];
      expect(token).toMatch(/^[\w-]{32}$/);
      expect(await cli.stop()).toBe(0);
    } finally {
      cli.kill();
    }
  });

  describe("with no options at all", () => {
    // The no-options run would serve on 8079; the test holds that port so the run stops at
    // listen instead of serving on a port other processes may use. If something else already
    // holds 8079, the run meets the same refusal.
    let holder: Server | undefined;
    beforeAll(async () => {
      holder = await new Promise<Server | undefined>((resolve) => {
        const server = createServer();
        server.once("error", () => resolve(undefined));
        server.listen(8079, "127.0.0.1", () => resolve(server));
      });
    });
    afterAll(() => new Promise<void>((resolve) => (holder ? holder.close(() => resolve()) : resolve())));

    it("prints the defaults it uses, then a clear message when the port is taken, and exits 1", async () => {
      const { code, stdout, stderr } = await runToExit(UPSTASH_LOCAL, []);
      expect(stdout).toBe("upstash-local: using the defaults --redis redis://127.0.0.1:6379 --port 8079 (see --help for options)\n");
      expect(stderr).toBe("upstash-local: port 8079 on 127.0.0.1 is in use: stop what holds it, or pass --port <port> (0 picks a free one)\n");
      expect(code).toBe(1);
    });
  });
});
