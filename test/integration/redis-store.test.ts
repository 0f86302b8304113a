import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/core/errors.js";
import { createRedisStore } from "../../src/stores/redis/index.js";
import { describeStoreContract } from "../conformance/store-contract.js";
import { sleep } from "../support/ports.js";
import { commandsDuring, connectTo, connectToNothing, countingConnection, total, type RedisClientKind } from "../support/redis-harness.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";

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
        elapse: sleep,
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

  it("uses GETEX / SET / DEL on keys `ts:s:<24 chars>` with a compact value", async () => {
    const store = createRedisStore({ connection: await connectTo("ioredis", redis.url) });
    const record = { userId: "abdullah", createdAtSeconds: 1_800_000_000, absoluteExpiresAtSeconds: 1_800_043_200, data: {} };
    await store.create("AAAAAAAAAAAAAAAAAAAAAAAA", record, { ttlMs: 900_000 });
    expect(await redis.command("GET", "ts:s:AAAAAAAAAAAAAAAAAAAAAAAA")).toBe('$36\r\n[1,"abdullah",1800000000,1800043200]\r\n');
    const ttl = Number((await redis.command("PTTL", "ts:s:AAAAAAAAAAAAAAAAAAAAAAAA")).slice(1));
    expect(ttl).toBeGreaterThan(890_000);
    expect(ttl).toBeLessThanOrEqual(900_000);
    await store.close();
  });

  it("a hung Redis (SIGSTOP) fails the call with STORE_TIMEOUT at the store's deadline instead of hanging", async () => {
    const store = createRedisStore({ connection: await connectTo("ioredis", redis.url), commandTimeoutMs: 300 });
    redis.freeze();
    try {
      const error = await store.readAndExtend("AAAAAAAAAAAAAAAAAAAAAAAB", 1000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
    } finally {
      redis.thaw();
    }
    await store.close();
  });

  it("a command error (wrong key type) is a StoreUnavailableError naming the command", async () => {
    await redis.command("HSET", "ts:s:WRONGTYPEWRONGTYPEWRONGT", "f", "v");
    for (const kind of ["ioredis", "node-redis"] as const) {
      const store = createRedisStore({ connection: await connectTo(kind, redis.url) });
      const error = await store.readAndExtend("WRONGTYPEWRONGTYPEWRONGT", 1000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/GETEX.*WRONGTYPE/);
      await store.close();
    }
  });

  it("counts: rotation is DEL then SET in one round trip", async () => {
    const connection = countingConnection(await connectTo("ioredis", redis.url));
    const store = createRedisStore({ connection });
    const record = { userId: "a", createdAtSeconds: 0, absoluteExpiresAtSeconds: 10, data: {} };
    await store.create("ROTATEOLDROTATEOLDROTATE", record, { ttlMs: 60_000 });
    const before = connection.roundTrips;
    const stats = await commandsDuring(redis, () => store.create("ROTATENEWROTATENEWROTATE", record, { ttlMs: 60_000, replacesSessionId: "ROTATEOLDROTATEOLDROTATE" }));
    expect(Object.fromEntries(stats)).toEqual({ del: 1, set: 1 });
    expect(connection.roundTrips - before).toBe(1);
    await store.close();
  });
});
