import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createSessionManager, deriveSessionId, generateToken, userBucket } from "tessera";
import { createRedisStore } from "tessera/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeV2Session } from "../../../../test/support/layout-v2.js";
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

  it("stats counts sessions and users, with progress on stderr and JSON on stdout", async () => {
    await redis.command("FLUSHALL");
    for (const user of ["u1", "u2", "u3"]) await sessions().login(request(), { userId: user });
    await sessions().login(request(), { userId: "u1" });
    const result = await admin(["stats", "--json", "--scan-count", "2"], env);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { sessions: number; users: number; bytesPerSessionEstimate: number; keysWithoutTtl: number };
    expect(report).toMatchObject({ sessions: 4, users: 3, keysWithoutTtl: 0 });
    expect(report.bytesPerSessionEstimate).toBeGreaterThan(100);
    expect(result.stderr).toContain("scanned 1 node(s)");
    const human = await admin(["stats"], env);
    expect(human.stdout).toMatch(/^store\s+redis at redis:\/\/127\.0\.0\.1:\d+ \(ioredis\)\nsessions\s+4\nusers\s+3\n/);
  });

  it("check passes on a clean layout, and fails naming a key without a TTL", async () => {
    expect((await admin(["check"], env)).code).toBe(0);
    // Shaped like a session key, but without the TTL every session has.
    const leaked = `ts:{AB}${"A".repeat(24)}`;
    await redis.command("SET", leaked, "x");
    const result = await admin(["check"], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("1 key(s) have no TTL");
    await redis.command("DEL", leaked);
    // Another app's key under the prefix is named too.
    await redis.command("SET", "ts:{AB}not-a-tessera-key", "x", "EX", "60");
    const foreign = await admin(["check"], env);
    expect(foreign.code).toBe(1);
    expect(foreign.stdout).toContain("none of the layout's shapes");
    await redis.command("DEL", "ts:{AB}not-a-tessera-key");
  });

  it("migrate converts a layout v2 index online, and the sessions stay listed", async () => {
    const now = Math.floor(Date.now() / 1000);
    const bucket = await userBucket("v2 user");
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) {
      const id = await deriveSessionId(generateToken(bucket));
      ids.push(id);
      const record = {
        userId: "v2 user",
        device: { userAgent: "Firefox 132 on Linux", ip: "" },
        createdAtSeconds: now,
        absoluteExpiresAtSeconds: now + 3600,
        lastSeenAtSeconds: now,
        data: {},
      };
      await writeV2Session(connection!, id, record, { ttlMs: 600_000, indexTtlMs: 4_200_000, nowSeconds: now });
    }
    expect(JSON.parse((await admin(["stats", "--json"], env)).stdout)).toMatchObject({ v2IndexesLeft: 1, sessionsInV2Indexes: 3 });
    const result = await admin(["migrate", "--json"], env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ v2IndexesMigrated: 1, sessionsAdopted: 3 });
    expect(JSON.parse((await admin(["stats", "--json"], env)).stdout)).toMatchObject({ v2IndexesLeft: 0 });
    expect((await sessions().listUserSessions("v2 user")).map((session) => session.handle).sort()).toEqual(ids.sort());
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
    expect(noStore.stderr).toContain("set REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS with REDIS_SENTINEL_NAME, or UPSTASH_REDIS_REST_URL");
    const both = await admin(["stats"], { REDIS_URL: redis.url, UPSTASH_REDIS_REST_URL: "https://x.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t" });
    expect(both.code).toBe(2);
  });

  it("fails with status 1 and the reason when the store is down", async () => {
    const result = await admin(["sessions", "list", "ada"], { REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("session store is unavailable");
  });
});
