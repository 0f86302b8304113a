import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { SessionInputError, StoreUnavailableError } from "../../src/core/errors.js";
import { instrumentStore } from "../../src/core/instrument.js";
import { createSessionManager } from "../../src/core/session.js";
import { nodeSha256 } from "../../src/runtime/node.js";
import { readAndExtendThenOf, type SessionStore } from "../../src/core/store.js";
import { createRedisStore, ioredisConnection, type RedisConnection, recommendedIoredisOptions, waitForReplicas } from "../../src/stores/redis/index.js";
import { DESTROY_FOR_USER_SCRIPT } from "../../src/stores/redis/index-scripts.js";
import { describeStoreContract } from "../../src/testing/index.js";
import { sleep } from "../../../../test/support/ports.js";
import { microtaskTurnsUntilSettled, withTracedReads } from "../../../../test/support/store-reads.js";
import {
  commandsDuring,
  connectTo,
  connectToNothing,
  countingConnection,
  failingConnection,
  lateReplyConnection,
  recordingConnection,
  total,
  type RedisClientKind,
} from "../../../../test/support/redis-harness.js";
import { fillRedis, monitorRedis, startRedisServer, type RedisServer } from "../../../../test/support/redis-server.js";

for (const kind of ["ioredis", "node-redis"] as const satisfies readonly RedisClientKind[]) {
  let redis: RedisServer;
  describeStoreContract(
    `redis (${kind})`,
    async () => {
      redis = await startRedisServer();
      const connection = countingConnection(await connectTo(kind, redis.url));
      const store = createRedisStore({ connection });
      return {
        store,
        independentStore: async () => createRedisStore({ connection: await connectTo(kind, redis.url) }),
        fillBackend: () => fillRedis(redis),
        elapse: sleep,
        nowSeconds: () => Math.floor(Date.now() / 1000),
        async measure(operation) {
          const before = connection.roundTrips;
          const stats = await commandsDuring(redis, operation);
          return { commands: total(stats), roundTrips: connection.roundTrips - before };
        },
        unavailableStore: async () => createRedisStore({ connection: await connectToNothing(kind) }),
        async close() {
          await store.close();
          await redis.dispose();
        },
      };
    },
    { countsCommands: true },
    { describe, it, beforeAll, afterAll },
  );
}

/** A session of `userId` created at `now` (unix seconds), alive for an hour, without device or data. */
function liveRecord(userId: string, now: number) {
  return { userId, device: { userAgent: "", ip: "" }, createdAtSeconds: now, absoluteExpiresAtSeconds: now + 3600, lastSeenAtSeconds: now, data: {} };
}

describe("redis store on a live server", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it("keeps a session in `ts:{<bucket>}<digest>` and its digest in its user's field of the hash `ts:{<bucket>}:u`", async () => {
    const store = createRedisStore({ connection: await connectTo("ioredis", redis.url) });
    const device = { userAgent: "Python requests 2.34.2", ip: "127.0.0.1" };
    const record = {
      userId: "abdullah",
      device,
      createdAtSeconds: 1_800_000_000,
      absoluteExpiresAtSeconds: 1_800_043_200,
      lastSeenAtSeconds: 1_800_000_000,
      data: {},
    };
    await store.create("ABAAAAAAAAAAAAAAAAAAAAAAAA", record, { ttlMs: 900_000, indexTtlMs: 44_100_000, maxSessionsPerUser: 0, nowSeconds: 1_800_000_000 });
    expect(await redis.command("GET", "ts:{AB}AAAAAAAAAAAAAAAAAAAAAAAA")).toBe(
      '$79\r\n00000\u001e[2,"abdullah",1800000000,1800043200,"Python requests 2.34.2","127.0.0.1"]\r\n',
    );
    const ttl = Number((await redis.command("PTTL", "ts:{AB}AAAAAAAAAAAAAAAAAAAAAAAA")).slice(1));
    expect(ttl).toBeGreaterThan(890_000);
    expect(ttl).toBeLessThanOrEqual(900_000);
    await store.create("ABBBBBBBBBBBBBBBBBBBBBBBBB", record, { ttlMs: 900_000, indexTtlMs: 44_100_000, maxSessionsPerUser: 0, nowSeconds: 1_800_000_000 });
    expect(await redis.command("HGET", "ts:{AB}:u", "abdullah")).toBe(`$48\r\n${"A".repeat(24)}${"B".repeat(24)}\r\n`);
    expect(await redis.command("EXISTS", "ts:{AB}:i")).toBe(":0\r\n");
    const indexTtl = Number((await redis.command("TTL", "ts:{AB}:u")).slice(1));
    expect(indexTtl).toBeGreaterThan(44_000);
    await store.close();
  });

  it("login, listing, revocation and logout read only their user's field: no whole-bucket command, and the same commands with 3 or 300 users in the bucket", async () => {
    // The login's clean-up samples random users, so its commands vary: off here, bounded below.
    const store = createRedisStore({ connection: await connectTo("ioredis", redis.url), cleanupPerLogin: { users: 0, sessionsPerUser: 0 } });
    const sampling = createRedisStore({ connection: await connectTo("ioredis", redis.url) });
    const now = Math.floor(Date.now() / 1000);
    const record = (userId: string) => liveRecord(userId, now);
    const options = { ttlMs: 60_000, indexTtlMs: 3_700_000, maxSessionsPerUser: 0, nowSeconds: now };
    const id = (serial: number) => `BK${String(serial).padStart(24, "0")}`;
    let serial = 0;
    const fill = async (users: number) => {
      for (let i = 0; i < users; i++) await store.create(id(++serial), record(`other-${serial}`), options);
    };
    /** The commands Redis ran for one user's login ×2, listing, revoke-one and logout, by name. */
    const operations = async () => {
      const [first, second] = [id(++serial), id(++serial)];
      return Object.fromEntries(
        await commandsDuring(redis, async () => {
          await store.create(first, record("me"), options);
          await store.create(second, record("me"), options);
          await store.listForUser({ userId: "me", bucket: "BK" }, now);
          await store.destroyForUser({ userId: "me", bucket: "BK" }, { onlySessionId: first });
          await store.destroy(second);
        }),
      );
    };
    await fill(3);
    await operations(); // warm the script cache
    const small = await operations();
    await fill(300);
    const large = await operations();
    expect(large).toEqual(small);
    for (const wholeBucket of ["hgetall", "hkeys", "hvals", "hscan", "hlen", "scan", "keys"]) expect(Object.keys(large)).not.toContain(wholeBucket);
    expect(Number((await redis.command("HLEN", "ts:{BK}:u")).slice(1))).toBe(303);
    // With the default clean-up (2 users, at most 8 sessions each): SET, EXISTS, HGET, HSET, HLEN,
    // HRANDFIELD, PTTL, PEXPIRE, and per sampled user up to 8 EXISTS + HSET, plus the EVALSHA.
    for (let login = 0; login < 20; login++) {
      const stats = await commandsDuring(redis, () => sampling.create(id(++serial), record(`sampler-${login}`), options));
      expect(total(stats)).toBeLessThanOrEqual(1 + 8 + 1 + 2 * 10);
    }
    await Promise.all([store.close(), sampling.close()]);
  });

  it("logins in a bucket remove the index field of a user who never came back (sampling clean-up)", async () => {
    const store = createRedisStore({ connection: await connectTo("ioredis", redis.url) });
    const now = Math.floor(Date.now() / 1000);
    const record = (userId: string) => liveRecord(userId, now);
    const options = { ttlMs: 60_000, indexTtlMs: 3_700_000, maxSessionsPerUser: 0, nowSeconds: now };
    await store.create("GCAAAAAAAAAAAAAAAAAAAAAAAA", record("never-back"), { ...options, ttlMs: 1 });
    await sleep(20);
    expect(await redis.command("HEXISTS", "ts:{GC}:u", "never-back")).toBe(":1\r\n");
    // Each login samples 2 random users of the bucket: missing one user 200 times has odds of about 1 in 40,000.
    let logins = 0;
    while (logins < 200 && (await redis.command("HEXISTS", "ts:{GC}:u", "never-back")) === ":1\r\n") {
      const result = await store.create(`GC${String(++logins).padStart(24, "0")}`, record(`returning-${logins}`), options);
      if (result.expired.length > 0) expect(result.expired).toEqual([{ sessionId: "GCAAAAAAAAAAAAAAAAAAAAAAAA", userId: "never-back" }]);
    }
    expect(await redis.command("HEXISTS", "ts:{GC}:u", "never-back")).toBe(":0\r\n");
    expect(logins).toBeLessThan(200);
    await store.close();
  });

  it("the clean-up also works on a bucket index past 512 users (a hashtable, sampled by HSCAN from a random cursor)", async () => {
    const store = createRedisStore({ connection: await connectTo("ioredis", redis.url) });
    const now = Math.floor(Date.now() / 1000);
    const record = (userId: string) => liveRecord(userId, now);
    // 600 users who never came back: index fields whose sessions are gone.
    const gone = Array.from({ length: 600 }, (_, i) => [`gone-${i}`, String(i).padStart(24, "0")]).flat();
    await redis.command("HSET", "ts:{HT}:u", ...gone);
    expect(await redis.command("OBJECT", "ENCODING", "ts:{HT}:u")).toBe("$9\r\nhashtable\r\n");
    const options = { ttlMs: 60_000, indexTtlMs: 3_700_000, maxSessionsPerUser: 0, nowSeconds: now };
    let cleaned = 0;
    for (let login = 0; login < 50; login++) {
      const result = await store.create(`HT${String(login).padStart(24, "0")}`, record(`returning-${login}`), options);
      for (const { sessionId, userId } of result.expired) {
        expect(userId).toMatch(/^gone-/);
        expect(sessionId.slice(0, 2)).toBe("HT");
        cleaned++;
      }
      // Bounded: at most 2 users sampled per login.
      expect(result.expired.length).toBeLessThanOrEqual(2);
    }
    // Each login removes up to 2 of the (at first) 600 stale users; random slots hold about 1.5 users each.
    expect(cleaned).toBeGreaterThan(30);
    expect(Number((await redis.command("HLEN", "ts:{HT}:u")).slice(1))).toBe(600 + 50 - cleaned);
    // Not HRANDFIELD, which reads 15 random entries of a hashtable for each one it returns.
    const stats = await commandsDuring(redis, () => store.create(`HT${"9".repeat(24)}`, record("returning-last"), options));
    expect(stats.get("hscan")).toBe(1);
    expect(stats.has("hrandfield")).toBe(false);
    await store.close();
  });

  it("recovers from a script cache flush (NOSCRIPT) without running anything twice", async () => {
    const store = createRedisStore({ connection: await connectTo("ioredis", redis.url) });
    const record = {
      userId: "flush",
      device: { userAgent: "", ip: "" },
      createdAtSeconds: 1,
      absoluteExpiresAtSeconds: 9_999_999_999,
      lastSeenAtSeconds: 1,
      data: { n: 0 },
    };
    const options = { ttlMs: 60_000, indexTtlMs: 60_000, maxSessionsPerUser: 0, nowSeconds: 1 };
    await store.create("FLAAAAAAAAAAAAAAAAAAAAAAAA", record, options);
    await redis.command("SCRIPT", "FLUSH");
    const { encodeDataPatch } = await import("../../src/core/record.js");
    expect((await store.patch("FLAAAAAAAAAAAAAAAAAAAAAAAA", encodeDataPatch({ set: { n: 1 } }), 4096)).status).toBe("updated");
    expect((await store.readAndExtend("FLAAAAAAAAAAAAAAAAAAAAAAAA", 60_000))?.data).toEqual({ n: 1 });
    await store.close();
  });

  it("a hung Redis (SIGSTOP) fails the call with STORE_TIMEOUT at the store's deadline instead of hanging", async () => {
    // ioredis reads through `sendOne`, whose deadline the driver arms on its command; node-redis through `send`.
    const stores = [
      createRedisStore({ connection: await connectTo("ioredis", redis.url), commandTimeoutMs: 300 }),
      createRedisStore({ connection: await connectTo("node-redis", redis.url), commandTimeoutMs: 300 }),
    ];
    redis.freeze();
    try {
      for (const store of stores) {
        // Reads of one turn share the ioredis driver's deadline: each of them times out.
        const errors = await Promise.all(
          ["AAAAAAAAAAAAAAAAAAAAAAAAAB", "BBAAAAAAAAAAAAAAAAAAAAAAAB", "CCAAAAAAAAAAAAAAAAAAAAAAAB"].map((id) =>
            store.readAndExtend(id, 1000).catch((e: unknown) => e),
          ),
        );
        for (const error of errors) {
          expect(error).toBeInstanceOf(StoreUnavailableError);
          expect([(error as StoreUnavailableError).code, (error as Error).message]).toEqual(["STORE_TIMEOUT", "Redis did not answer GETEX within 300 ms"]);
        }
      }
    } finally {
      redis.thaw();
    }
    for (const store of stores) await store.close();
  });

  it("a manager reads through the store's sendOne in one reaction, with readAndExtend's answers and errors", async () => {
    const connection = await connectTo("ioredis", redis.url);
    const store = createRedisStore({ connection, commandTimeoutMs: 300 });
    expect(readAndExtendThenOf(store)).toBeDefined();
    const sessions = createSessionManager({ store });
    const { token, session } = await sessions.login(new Request("http://x/"), { userId: "fused" });
    expect((await sessions.validateToken(token))?.userId).toBe("fused");
    expect((await sessions.authenticate(new Request("http://x/", { headers: { cookie: `session_id=${token}` } }))).status).toBe("active");
    redis.freeze();
    try {
      const error = await sessions.validateToken(token).catch((e: unknown) => e);
      expect([(error as StoreUnavailableError).code, (error as Error).message]).toEqual(["STORE_TIMEOUT", "Redis did not answer GETEX within 300 ms"]);
    } finally {
      redis.thaw();
    }
    const key = `ts:{${session.id.slice(0, 2)}}${session.id.slice(2)}`;
    await redis.command("DEL", key);
    await redis.command("HSET", key, "f", "v");
    const wrongType = await sessions.validateToken(token).catch((e: unknown) => e);
    expect([(wrongType as StoreUnavailableError).code, (wrongType as Error).message]).toEqual([
      "STORE_UNAVAILABLE",
      expect.stringMatching(/GETEX.*WRONGTYPE/) as unknown as string,
    ]);
    await redis.command("DEL", key);
    expect(await sessions.validateToken(token)).toBeNull();
    await store.close();
  });

  it("a manager's read takes a promise reaction less from the driver's reply to the session through the store's sendOne", async () => {
    const inner = await connectTo("ioredis", redis.url);
    let reply: Promise<unknown> = Promise.resolve();
    const watched: RedisConnection = {
      description: inner.description,
      send: (commands, options) => inner.send(commands, options),
      sendOne(command, options) {
        const sent = inner.sendOne!(command, options);
        reply = sent;
        return sent;
      },
      close: () => inner.close(),
    };
    const store = createRedisStore({ connection: watched });
    // A synchronous hash: the read's command is sent within the call, so `reply` is its reply.
    const sessions = createSessionManager({ store, sha256: nodeSha256 });
    const { token } = await sessions.login(new Request("http://x/"), { userId: "turns" });
    // The same store read through a readAndExtend of a copy: the store's own reaction, then the manager's.
    const copied = createSessionManager({
      store: { ...store, description: store.description, readAndExtend: store.readAndExtend.bind(store) },
      sha256: nodeSha256,
    });
    /** Microtask turns from the driver's reply to the manager's answer. */
    const turnsAfterReply = (read: Promise<unknown>) => microtaskTurnsUntilSettled(read, reply);
    // Wrapped by `instrumentStore` (as the reference server does), the read stays as short.
    const instrumented = createSessionManager({ store: instrumentStore(store, { onCall() {} }), sha256: nodeSha256 });
    const fused = await turnsAfterReply(sessions.validateToken(token));
    expect(await turnsAfterReply(instrumented.validateToken(token))).toBe(fused);
    expect(await turnsAfterReply(copied.validateToken(token))).toBe(fused + 1);
    await store.close();
  });

  it("a copy of the store with its own readAndExtend, and a store over a connection without sendOne, are read through readAndExtend", async () => {
    const inner = await connectTo("ioredis", redis.url);
    const store = createRedisStore({ connection: inner });
    const { store: traced, read } = withTracedReads(store);
    expect(readAndExtendThenOf(traced)).toBeUndefined();
    const sessions = createSessionManager({ store: traced });
    const { token, session } = await sessions.login(new Request("http://x/"), { userId: "traced" });
    expect((await sessions.validateToken(token))?.id).toBe(session.id);
    expect(read).toEqual([session.id]);
    expect(
      readAndExtendThenOf(createRedisStore({ connection: { description: "no sendOne", send: inner.send.bind(inner), close: async () => {} } })),
    ).toBeUndefined();
    await store.close();
  });

  it("a read keeps the ioredis client's own commandTimeout when it is the shorter deadline", async () => {
    const client = new Redis(redis.url, { ...recommendedIoredisOptions, commandTimeout: 200 });
    client.on("error", () => undefined);
    // Far beyond the test's own timeout: only the client's 200 ms can end the read.
    const store = createRedisStore({ connection: ioredisConnection(client), commandTimeoutMs: 600_000 });
    await store.readAndExtend("AAAAAAAAAAAAAAAAAAAAAAAAAB", 1000);
    redis.freeze();
    try {
      const error = await store.readAndExtend("AAAAAAAAAAAAAAAAAAAAAAAAAB", 1000).catch((e: unknown) => e);
      expect((error as StoreUnavailableError).code).toBe("STORE_TIMEOUT");
      // A call through `send` (a script) times out on the client's deadline too, and says whose.
      const touched = await store.touch("AAAAAAAAAAAAAAAAAAAAAAAAAB", { createdAtSeconds: 1, lastSeenAtSeconds: 2 }).catch((e: unknown) => e);
      expect([(touched as StoreUnavailableError).code, (touched as Error).message]).toEqual([
        "STORE_TIMEOUT",
        "Redis did not answer a script within the client's own commandTimeout",
      ]);
    } finally {
      redis.thaw();
    }
    await store.close();
  });

  it("a read that waits for the client's first connection times out at the store's deadline, the wait included", async () => {
    const store = createRedisStore({ connection: await connectToNothing("ioredis"), commandTimeoutMs: 300 });
    const error = await store.readAndExtend("AAAAAAAAAAAAAAAAAAAAAAAAAB", 1000).catch((e: unknown) => e);
    expect([(error as StoreUnavailableError).code, (error as Error).message]).toEqual(["STORE_TIMEOUT", "Redis did not answer GETEX within 300 ms"]);
    await store.close();
  });

  it("reads through the connection's sendOne when it has one, and through send otherwise, with the same answers", async () => {
    const now = Math.floor(Date.now() / 1000);
    const inner = await connectTo("ioredis", redis.url);
    expect(inner.sendOne).toBeTypeOf("function");
    const calls: string[] = [];
    const withSendOne: RedisConnection = {
      description: inner.description,
      send(commands, options) {
        calls.push("send");
        return inner.send(commands, options);
      },
      sendOne(command, options) {
        calls.push(`sendOne ${command[0]}`);
        return inner.sendOne!(command, options);
      },
      close: () => inner.close(),
    };
    const withoutSendOne: RedisConnection = { description: inner.description, send: withSendOne.send, close: async () => {} };
    const store = createRedisStore({ connection: withSendOne });
    await store.create("SOAAAAAAAAAAAAAAAAAAAAAAAA", liveRecord("sendone", now), {
      ttlMs: 60_000,
      indexTtlMs: 3_600_000,
      maxSessionsPerUser: 10,
      nowSeconds: now,
    });
    calls.length = 0;
    const read = await store.readAndExtend("SOAAAAAAAAAAAAAAAAAAAAAAAA", 60_000);
    expect(calls).toEqual(["sendOne GETEX"]);
    calls.length = 0;
    const fallback = createRedisStore({ connection: withoutSendOne });
    expect(await fallback.readAndExtend("SOAAAAAAAAAAAAAAAAAAAAAAAA", 60_000)).toEqual(read);
    expect(calls).toEqual(["send"]);
    expect(read?.userId).toBe("sendone");
    expect(await store.readAndExtend("SOBBBBBBBBBBBBBBBBBBBBBBBB", 60_000)).toBeNull();
    await store.close();
  });

  it("waitForReplicas keeps the inner connection's sendOne for reads, without WAIT", async () => {
    const now = Math.floor(Date.now() / 1000);
    const inner = await connectTo("ioredis", redis.url);
    await createRedisStore({ connection: inner }).create("WRAAAAAAAAAAAAAAAAAAAAAAAA", liveRecord("replicated", now), {
      ttlMs: 60_000,
      indexTtlMs: 3_600_000,
      maxSessionsPerUser: 10,
      nowSeconds: now,
    });
    const calls: string[] = [];
    const recorded: RedisConnection = {
      description: inner.description,
      send(commands, options) {
        calls.push(`send ${commands.map((command) => command[0]).join(" ")}`);
        return inner.send(commands, options);
      },
      sendOne(command, options) {
        calls.push(`sendOne ${command[0]}`);
        return inner.sendOne!(command, options);
      },
      close: () => inner.close(),
    };
    const waiting = waitForReplicas(recorded, { replicas: 1 });
    const store = createRedisStore({ connection: waiting });
    expect((await store.readAndExtend("WRAAAAAAAAAAAAAAAAAAAAAAAA", 60_000))?.userId).toBe("replicated");
    expect(calls).toEqual(["sendOne GETEX"]);
    // Anything else sent on its own still waits (this Redis has no replica: WAIT answers 0).
    calls.length = 0;
    await expect(waiting.sendOne!(["SET", "WRkey", "v"], { timeoutMs: 1000 })).rejects.toThrow(/only 0 of 1 replica/);
    expect(calls).toEqual(["send SET WAIT"]);
    await store.close();
  });

  it("a command error (wrong key type) is a StoreUnavailableError naming the command", async () => {
    await redis.command("HSET", "ts:{WR}WRONGTYPEWRONGTYPEWRONGT", "f", "v");
    for (const kind of ["ioredis", "node-redis"] as const) {
      const store = createRedisStore({ connection: await connectTo(kind, redis.url) });
      const error = await store.readAndExtend("WRWRONGTYPEWRONGTYPEWRONGT", 1000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/GETEX.*WRONGTYPE/);
      await store.close();
    }
  });
});

describe("redis store: rotation order, on a live server", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  const record = (userId: string) => ({
    userId,
    device: { userAgent: "", ip: "" },
    createdAtSeconds: 0,
    absoluteExpiresAtSeconds: 9_999_999_999,
    lastSeenAtSeconds: 0,
    data: {},
  });
  const options = { ttlMs: 60_000, indexTtlMs: 60_000, maxSessionsPerUser: 0, nowSeconds: 0 };
  let serial = 0;
  /** A fresh session id in `bucket`. */
  const idIn = (bucket: string) => `${bucket}${String(++serial).padStart(24, "0")}`;
  /** The old session's bucket, and the new one's: the same, or another (a login over someone else's cookie). */
  const cases = [
    { title: "same bucket", oldBucket: "SB", newBucket: "SB", crossSlotScripts: true },
    { title: "another bucket, one script", oldBucket: "XA", newBucket: "XB", crossSlotScripts: true },
    { title: "another bucket, single-slot steps", oldBucket: "YA", newBucket: "YB", crossSlotScripts: false },
  ] as const;

  it.each(cases)(
    "$title: the new session is written before the old one is deleted (recording connection, MONITOR)",
    async ({ oldBucket, newBucket, crossSlotScripts }) => {
      const connection = recordingConnection(await connectTo("ioredis", redis.url));
      const store = createRedisStore({ connection, crossSlotScripts });
      const [oldId, newId] = [idIn(oldBucket), idIn(newBucket)];
      await store.create(oldId, record("old-owner"), options);
      await store.create(idIn(newBucket), record("warm-up"), options); // so the rotation's script goes as EVALSHA
      connection.roundTrips.length = 0;
      const monitor = await monitorRedis(redis);
      expect((await store.create(newId, record("new-owner"), { ...options, replacesSessionId: oldId })).replaced).toBe(true);
      const executed = await monitor.stop();

      const oldKey = `ts:{${oldBucket}}${oldId.slice(2)}`;
      const newKey = `ts:{${newBucket}}${newId.slice(2)}`;
      const sent = connection.roundTrips.map((trip) => trip.map(({ name, args }) => [name, ...args.filter((arg) => arg.startsWith("ts:"))].join(" ")));
      if (crossSlotScripts) {
        // One round trip, one script, which names the old session among its keys.
        expect(sent).toEqual([[`EVALSHA ts:{${newBucket}}:u ${newKey} ts:{${newBucket}}:i ${oldKey} ts:{${oldBucket}}:u ${oldKey}:r ts:{${newBucket}}`]]);
      } else {
        // Two round trips: the create script alone, and only after it succeeded, the old session's delete (its own script).
        expect(sent).toEqual([
          [`EVALSHA ts:{${newBucket}}:u ${newKey} ts:{${newBucket}}:i ts:{${newBucket}}`],
          [`EVAL ${oldKey} ts:{${oldBucket}}:u ${oldKey}:r`],
        ]);
      }
      const setAt = executed.findIndex((line) => line.includes(`"SET" "${newKey}"`));
      const delAt = executed.findIndex((line) => line.includes(`"GETDEL" "${oldKey}"`));
      expect(setAt, executed.join("\n")).toBeGreaterThanOrEqual(0);
      expect(delAt, executed.join("\n")).toBeGreaterThan(setAt);
      await store.close();
    },
  );

  for (const kind of ["ioredis", "node-redis"] as const satisfies readonly RedisClientKind[]) {
    it.each(cases)(
      `${kind}, $title: a login that a full Redis refuses (OOM) fails with STORE_FULL and the old session stays valid`,
      async ({ oldBucket, newBucket, crossSlotScripts }) => {
        const store = createRedisStore({ connection: await connectTo(kind, redis.url), crossSlotScripts });
        const [oldId, newId] = [idIn(oldBucket), idIn(newBucket)];
        await store.create(oldId, record("owner"), options);
        const undo = await fillRedis(redis);
        let error: unknown;
        try {
          error = await store.create(newId, record("owner"), { ...options, replacesSessionId: oldId }).catch((e: unknown) => e);
          expect(await store.readAndExtend(oldId, 60_000), "the old session reads while Redis is full").not.toBeNull();
        } finally {
          await undo();
        }
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect((error as StoreUnavailableError).code).toBe("STORE_FULL");
        expect(await store.readAndExtend(oldId, 60_000)).not.toBeNull();
        expect(await store.readAndExtend(newId, 60_000)).toBeNull();
        expect((await store.listForUser({ userId: "owner", bucket: oldBucket }, 0)).sessions.map((s) => s.sessionId)).toContain(oldId);
        await store.close();
      },
    );
  }

  /**
   * A rotation whose round trip that deletes the old session (the one script, or step 2 of two)
   * runs, but whose answer is held back past the store's deadline until `connection.release()`.
   * Returns once the login has failed; `connection.idle()` then waits for the late answer and
   * the undo it sets off.
   */
  async function lateRotation(kind: RedisClientKind, { oldBucket, newBucket, crossSlotScripts }: (typeof cases)[number]) {
    const setup = createRedisStore({ connection: await connectTo(kind, redis.url) });
    const [oldId, newId] = [idIn(oldBucket), idIn(newBucket)];
    const owner = `late-${kind}-${serial}`;
    await setup.create(oldId, record(owner), options);
    const connection = lateReplyConnection(await connectTo(kind, redis.url), new Set([crossSlotScripts ? 1 : 2]), "until-released");
    // The held round trip waits for release() whatever the deadline; the others get ample time.
    const store = createRedisStore({ connection, crossSlotScripts, commandTimeoutMs: 1000 });
    const error = await store.create(newId, record(owner), { ...options, replacesSessionId: oldId }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).code).toBe("STORE_TIMEOUT");
    // The rotation did run: the old session is gone, its undo marker names the new one.
    expect(await setup.readAndExtend(oldId, 60_000)).toBeNull();
    const markerKey = `ts:{${oldBucket}}${oldId.slice(2)}:r`;
    const marker = async () => (await redis.command("EXISTS", markerKey)) === ":1\r\n";
    expect(await marker(), "the undo marker").toBe(true);
    const sessionsOf = async () => (await setup.listForUser({ userId: owner, bucket: oldBucket }, 0)).sessions.map((s) => s.sessionId);
    const close = () => Promise.all([store.close(), setup.close()]);
    return { setup, connection, oldId, newId, owner, marker, sessionsOf, close };
  }

  for (const kind of ["ioredis", "node-redis"] as const satisfies readonly RedisClientKind[]) {
    it.each(cases)(
      `${kind}, $title: a rotation that ran but answered past its deadline fails, and is undone: the old session is valid again, the new one gone`,
      async (layout) => {
        const { setup, connection, oldId, newId, owner, marker, sessionsOf, close } = await lateRotation(kind, layout);
        connection.release();
        await connection.idle();
        expect(await setup.readAndExtend(oldId, 60_000), "the old session, whose cookie the failed login left in place").not.toBeNull();
        expect(await setup.readAndExtend(newId, 60_000), "the new session, whose token nobody received").toBeNull();
        expect(await sessionsOf()).toEqual([oldId]);
        expect(await redis.command("HEXISTS", `ts:{${layout.newBucket}}:u`, owner)).toBe(layout.oldBucket === layout.newBucket ? ":1\r\n" : ":0\r\n");
        expect(await marker(), "the undo marker, used up").toBe(false);
        await close();
      },
    );

    it(`${kind}: a first login that answered past its deadline leaves no session behind`, async () => {
      const connection = lateReplyConnection(await connectTo(kind, redis.url), new Set([1]), "until-released");
      const store = createRedisStore({ connection, commandTimeoutMs: 1000 });
      const newId = idIn("FL");
      const error = await store.create(newId, record(`first-${kind}`), options).catch((e: unknown) => e);
      expect((error as StoreUnavailableError).code).toBe("STORE_TIMEOUT");
      expect(await redis.command("HEXISTS", "ts:{FL}:u", `first-${kind}`), "the login ran").toBe(":1\r\n");
      connection.release();
      await connection.idle();
      expect(await store.readAndExtend(newId, 60_000)).toBeNull();
      expect(await redis.command("HEXISTS", "ts:{FL}:u", `first-${kind}`)).toBe(":0\r\n");
      await store.close();
    });
  }

  // Whoever ends the old session while the late answer is held back wins over the undo.
  const meanwhile = [
    { what: "a logout with the old cookie", cancelsMarker: true, end: (setup: SessionStore, oldId: string) => setup.destroy(oldId) },
    {
      what: "another login over the old cookie",
      cancelsMarker: true,
      end: (setup: SessionStore, oldId: string, owner: string) => setup.create(idIn("RT"), record(owner), { ...options, replacesSessionId: oldId }),
    },
    {
      what: "a revocation of the old session by its handle (a device list shown before the rotation)",
      cancelsMarker: true,
      end: (setup: SessionStore, oldId: string, owner: string) => setup.destroyForUser({ userId: owner, bucket: oldId.slice(0, 2) }, { onlySessionId: oldId }),
    },
    {
      // Checked through the new session, which it ends too. A user's sessions share one bucket;
      // two buckets mean a login over another user's session, whose own sign-out the undo cannot
      // see (documented at `undoLateCreate`).
      what: "a sign-out of every session of the user",
      cancelsMarker: false,
      sameBucketOnly: true,
      end: (setup: SessionStore, oldId: string, owner: string) => setup.destroyForUser({ userId: owner, bucket: oldId.slice(0, 2) }, {}),
    },
  ];
  for (const { what, end, cancelsMarker, sameBucketOnly } of meanwhile) {
    const layouts = sameBucketOnly ? cases.filter((c) => c.oldBucket === c.newBucket) : cases;
    it.each(layouts)(`$title: ${what} while a late rotation's answer is held back keeps the old session ended`, async (layout) => {
      const { setup, connection, oldId, newId, owner, marker, close } = await lateRotation("ioredis", layout);
      await end(setup, oldId, owner);
      expect(await marker(), "the undo marker after it").toBe(!cancelsMarker);
      connection.release();
      await connection.idle();
      expect(await setup.readAndExtend(oldId, 60_000), "the old session, ended meanwhile").toBeNull();
      expect(await setup.readAndExtend(newId, 60_000), "the failed login's session").toBeNull();
      await close();
    });
  }

  it.each(cases.filter((c) => c.crossSlotScripts))(
    "$title: observers on 3 other connections, checking both keys atomically, never see the old and the new session together (100 rotations)",
    async ({ oldBucket, newBucket }) => {
      const store = createRedisStore({ connection: await connectTo("ioredis", redis.url) });
      const observers = await Promise.all([1, 2, 3].map(() => connectTo("ioredis", redis.url)));
      const both = "return redis.call('EXISTS', KEYS[1]) + redis.call('EXISTS', KEYS[2])";
      let bothSeen = 0;
      let checks = 0;
      for (let round = 0; round < 100; round++) {
        const [oldId, newId] = [idIn(oldBucket), idIn(newBucket)];
        const keys = [`ts:{${oldBucket}}${oldId.slice(2)}`, `ts:{${newBucket}}${newId.slice(2)}`];
        await store.create(oldId, record("owner"), options);
        let done = false;
        const rotation = store.create(newId, record("owner"), { ...options, replacesSessionId: oldId }).finally(() => (done = true));
        // Each observer keeps a batch of 20 atomic checks queued at Redis until the rotation returns.
        const watching = observers.map(async (observer) => {
          for (let batch = 0; batch < 100 && !done; batch++) {
            const replies = await observer.send(Array.from({ length: 20 }, () => ["EVAL", both, 2, ...keys] as const));
            checks += replies.length;
            bothSeen += replies.filter((reply) => reply === 2).length;
          }
        });
        await Promise.all([rotation, ...watching]);
      }
      expect(checks).toBeGreaterThan(0);
      expect(bothSeen).toBe(0);
      await Promise.all([store.close(), ...observers.map((observer) => observer.close())]);
    },
  );

  it("single-slot steps: if deleting the old session fails, the new one is removed again and the login fails, keeping the old one", async () => {
    const real = await connectTo("ioredis", redis.url);
    const setup = createRedisStore({ connection: real });
    const [oldId, newId] = [idIn("ZA"), idIn("ZB")];
    await setup.create(oldId, record("owner"), options);
    // Round trip 1 (the create script) goes through; round trip 2 (the old session's delete) is lost.
    const store = createRedisStore({ connection: failingConnection(await connectTo("ioredis", redis.url), new Set([2])), crossSlotScripts: false });
    const error = await store.create(newId, record("owner"), { ...options, replacesSessionId: oldId }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(await setup.readAndExtend(oldId, 60_000)).not.toBeNull();
    expect(await setup.readAndExtend(newId, 60_000)).toBeNull();
    expect(await redis.command("HEXISTS", "ts:{ZB}:u", "owner")).toBe(":0\r\n");
    await store.close();
    await setup.close();
  });

  it("the revoke script itself: mode `only` with an empty id matches nothing", async () => {
    const store = createRedisStore({ connection: await connectTo("ioredis", redis.url) });
    const ids = [idIn("RV"), idIn("RV")];
    for (const id of ids) await store.create(id, record("victim"), options);
    const reply = await redis.command("EVAL", DESTROY_FOR_USER_SCRIPT, "2", "ts:{RV}:u", "ts:{RV}:i", "victim", "ts:{RV}", "only", "");
    expect(reply).toBe("*0\r\n");
    expect((await store.listForUser({ userId: "victim", bucket: "RV" }, 0)).sessions).toHaveLength(2);
    await store.close();
  });

  it("with default options a user keeps at most 100 sessions: the 101st login ends the oldest", async () => {
    const store = createRedisStore({ connection: await connectTo("ioredis", redis.url) });
    const sessions = createSessionManager({ store });
    const tokens: string[] = [];
    for (let i = 0; i < 101; i++) tokens.push((await sessions.login(new Request("http://localhost/"), { userId: "prolific" })).token);
    expect(await sessions.validateToken(tokens[0]!)).toBeNull();
    const newest = await sessions.validateToken(tokens[100]!);
    expect(await sessions.listSessions(newest!)).toHaveLength(100);
    expect(await sessions.validateToken(tokens[1]!)).not.toBeNull();
    await store.close();
  });

  it("junk cookies, malformed handles and bad user ids cost 0 Redis commands", async () => {
    const store = createRedisStore({ connection: await connectTo("ioredis", redis.url) });
    const sessions = createSessionManager({ store });
    const { session, token } = await sessions.login(new Request("http://localhost/"), { userId: "ada" });
    const stats = await commandsDuring(redis, async () => {
      for (const junk of ["x", `${"A".repeat(44)}B`, `${token}x`, "'; DROP", "%00"]) {
        expect((await sessions.authenticate(new Request("http://localhost/", { headers: { cookie: `session_id=${junk}` } }))).status).toBe("invalid");
      }
      for (const handle of ["", session.id.slice(0, 2), session.id.slice(0, 25), token, `${session.id}/x`])
        expect(await sessions.revokeSession(session, handle)).toBe(false);
      await expect(sessions.login(new Request("http://localhost/"), { userId: "\udc00" })).rejects.toBeInstanceOf(SessionInputError);
      await expect(sessions.revokeAllSessions("\ud800")).rejects.toBeInstanceOf(SessionInputError);
    });
    expect(Object.fromEntries(stats)).toEqual({});
    expect(await sessions.validateToken(token)).not.toBeNull();
    await store.close();
  });
});
