import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createSessionManager } from "tessera";
import { createRedisStore } from "tessera/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectTo } from "../../../../test/support/redis-harness.js";
import { freePort } from "../../../../test/support/ports.js";
import { startRedisServer, type RedisServer } from "../../../../test/support/redis-server.js";

/** `tessera-admin` as an operator runs it: the built bin, a child process, the server's variables. */
const ADMIN = fileURLToPath(new URL("../../dist/admin/main.js", import.meta.url));
const EMPTY_CWD = fileURLToPath(new URL("../fixtures/empty-cwd/", import.meta.url));

function admin(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  if (!existsSync(ADMIN)) throw new Error("run `npm run build` first (npm test does)");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ADMIN, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, cwd: EMPTY_CWD });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const request = () => new Request("http://app.test/", { headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0" } });

describe("tessera-admin", () => {
  let redis: RedisServer;
  let env: Record<string, string>;
  const sessions = () => createSessionManager({ store: createRedisStore({ connection: connection! }) });
  let connection: Awaited<ReturnType<typeof connectTo>> | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    env = { REDIS_URL: redis.url };
    connection = await connectTo("ioredis", redis.url);
  });
  afterAll(async () => {
    await connection?.close();
    await redis?.dispose();
  });

  it("lists a user's sessions for people and as JSON, and nobody else's", async () => {
    for (let n = 0; n < 2; n++) await sessions().login(request(), { userId: "ada lovelace" });
    await sessions().login(request(), { userId: "grace" });
    const human = await admin(["sessions", "list", "ada lovelace"], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^HANDLE\s+DEVICE\s+IP\s+LAST SEEN\s+EXPIRES\n/);
    expect(human.stdout).toContain("Firefox 132 on Linux");
    expect(human.stdout).toContain("2 session(s)");
    const json = await admin(["sessions", "list", "ada lovelace", "--json"], env);
    const parsed = JSON.parse(json.stdout) as { user: string; sessions: Array<{ handle: string }> };
    expect(parsed.user).toBe("ada lovelace");
    expect(parsed.sessions).toHaveLength(2);
    expect((await sessions().listUserSessions("grace")).length).toBe(1);
  });

  it("revokes one session by handle, then all of them", async () => {
    const [first] = await sessions().listUserSessions("ada lovelace");
    const one = await admin(["sessions", "revoke", "ada lovelace", "--handle", first!.handle], env);
    expect(one.code).toBe(0);
    expect(one.stdout).toBe(`revoked session ${first!.handle}\n`);
    expect((await sessions().listUserSessions("ada lovelace")).map((session) => session.handle)).not.toContain(first!.handle);
    // Grace's handle is not Ada's: nothing happens, and the exit status says so.
    const [graces] = await sessions().listUserSessions("grace");
    const foreign = await admin(["sessions", "revoke", "ada lovelace", "--handle", graces!.handle], env);
    expect(foreign.code).toBe(1);
    expect((await sessions().listUserSessions("grace")).length).toBe(1);
    const all = await admin(["sessions", "revoke", "ada lovelace", "--json"], env);
    expect(JSON.parse(all.stdout)).toEqual({ user: "ada lovelace", revoked: 1 });
    expect(await sessions().listUserSessions("ada lovelace")).toEqual([]);
  });

  it("says how to fix a usage or configuration mistake, with exit status 2", async () => {
    const noCommand = await admin([], env);
    expect(noCommand.code).toBe(2);
    expect(noCommand.stderr).toContain("Usage: tessera-admin");
    const help = await admin(["--help"], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("sessions revoke <user> [--handle H]");
    const badHandle = await admin(["sessions", "revoke", "ada", "--handle", "AB"], env);
    expect(badHandle.code).toBe(2);
    expect(badHandle.stderr).toContain("26 characters");
    const noStore = await admin(["sessions", "list", "ada"], {});
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toContain("set REDIS_URL, REDIS_CLUSTER_NODES, or UPSTASH_REDIS_REST_URL");
    const both = await admin(["stats"], { REDIS_URL: redis.url, UPSTASH_REDIS_REST_URL: "https://x.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t" });
    expect(both.code).toBe(2);
  });

  it("fails with status 1 and the reason when the store is down", async () => {
    const result = await admin(["sessions", "list", "ada"], { REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("session store is unavailable");
  });
});
