import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/core/errors.js";
import { createRedisStore } from "../../src/stores/redis/index.js";
import { describeStoreContract } from "../conformance/store-contract.js";
import { sleep } from "../support/ports.js";
import { commandsDuring, connectTo, connectToNothing, countingConnection, total, type RedisClientKind } from "../support/redis-harness.js";
import { fillRedis, startRedisServer, type RedisServer } from "../support/redis-server.js";

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
  );
}

describe("redis store on a live server", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it("keeps a session in `ts:{<bucket>}<digest>` and its index entry in the hash `ts:{<bucket>}:i`", async () => {
    const store = createRedisStore({ connection: await connectTo("ioredis", redis.url) });
    const device = { userAgent: "Python requests 2.34.2", ip: "127.0.0.1" };
    const record = { userId: "abdullah", device, createdAtSeconds: 1_800_000_000, absoluteExpiresAtSeconds: 1_800_043_200, lastSeenAtSeconds: 1_800_000_000, data: {} };
    await store.create("ABAAAAAAAAAAAAAAAAAAAAAAAA", record, { ttlMs: 900_000, indexTtlMs: 44_100_000, maxSessionsPerUser: 0, nowSeconds: 1_800_000_000 });
    expect(await redis.command("GET", "ts:{AB}AAAAAAAAAAAAAAAAAAAAAAAA")).toBe('$79\r\n00000\u001e[2,"abdullah",1800000000,1800043200,"Python requests 2.34.2","127.0.0.1"]\r\n');
    const ttl = Number((await redis.command("PTTL", "ts:{AB}AAAAAAAAAAAAAAAAAAAAAAAA")).slice(1));
    expect(ttl).toBeGreaterThan(890_000);
    expect(ttl).toBeLessThanOrEqual(900_000);
    expect(await redis.command("HGET", "ts:{AB}:i", "AAAAAAAAAAAAAAAAAAAAAAAA")).toBe(`$22\r\n${(1_800_043_200).toString(36)}\u001e${(1_800_000_000).toString(36)}\u001eabdullah\r\n`);
    const indexTtl = Number((await redis.command("TTL", "ts:{AB}:i")).slice(1));
    expect(indexTtl).toBeGreaterThan(44_000);
    await store.close();
  });

  it("recovers from a script cache flush (NOSCRIPT) without running anything twice", async () => {
    const store = createRedisStore({ connection: await connectTo("ioredis", redis.url) });
    const record = { userId: "flush", device: { userAgent: "", ip: "" }, createdAtSeconds: 1, absoluteExpiresAtSeconds: 9_999_999_999, lastSeenAtSeconds: 1, data: { n: 0 } };
    const options = { ttlMs: 60_000, indexTtlMs: 60_000, maxSessionsPerUser: 0, nowSeconds: 1 };
    await store.create("FLAAAAAAAAAAAAAAAAAAAAAAAA", record, options);
    await redis.command("SCRIPT", "FLUSH");
    const { encodeDataPatch } = await import("../../src/core/record.js");
    expect((await store.patch("FLAAAAAAAAAAAAAAAAAAAAAAAA", encodeDataPatch({ set: { n: 1 } }), 4096)).status).toBe("updated");
    expect((await store.readAndExtend("FLAAAAAAAAAAAAAAAAAAAAAAAA", 60_000))?.data).toEqual({ n: 1 });
    await store.close();
  });

  it("a hung Redis (SIGSTOP) fails the call with STORE_TIMEOUT at the store's deadline instead of hanging", async () => {
    const store = createRedisStore({ connection: await connectTo("ioredis", redis.url), commandTimeoutMs: 300 });
    redis.freeze();
    try {
      const error = await store.readAndExtend("AAAAAAAAAAAAAAAAAAAAAAAAAB", 1000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
    } finally {
      redis.thaw();
    }
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

  it("counts: rotation deletes the old session before the create script, in one round trip", async () => {
    const connection = countingConnection(await connectTo("ioredis", redis.url));
    const store = createRedisStore({ connection });
    const record = { userId: "a", device: { userAgent: "", ip: "" }, createdAtSeconds: 0, absoluteExpiresAtSeconds: 9_999_999_999, lastSeenAtSeconds: 0, data: {} };
    const options = { ttlMs: 60_000, indexTtlMs: 60_000, maxSessionsPerUser: 0, nowSeconds: 0 };
    await store.create("ROROTATEOLDROTATEOLDROTATE", record, options);
    const before = connection.roundTrips;
    const stats = await commandsDuring(redis, () => store.create("RONEWROTATENEWROTATENEWROT", record, { ...options, replacesSessionId: "ROROTATEOLDROTATEOLDROTATE" }));
    expect(connection.roundTrips - before).toBe(1);
    expect(stats.get("del")).toBeGreaterThanOrEqual(1);
    expect(stats.get("set")).toBe(1);
    expect(stats.get("evalsha")).toBe(1);
    await store.close();
  });
});
