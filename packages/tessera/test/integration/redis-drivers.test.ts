import { Cluster as IoredisCluster6, Redis as Ioredis6 } from "ioredis";
import { Cluster as IoredisCluster5, Redis as Ioredis5 } from "ioredis5";
import { createClient as createNodeRedis6 } from "redis";
import { createClient as createNodeRedis5 } from "redis5";
import { createSessionManager, isStoreUnavailable, type SessionStore } from "tessera";
import {
  createRedisStore,
  ioredisClusterConnection,
  ioredisConnection,
  nodeRedisConnection,
  recommendedIoredisOptions,
  recommendedNodeRedisOptions,
  type RedisConnection,
} from "tessera/redis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startRedisServer, type RedisServer } from "../../../../test/support/redis-server.js";

/**
 * Every client major the drivers accept, created the way an app starts: the client is created and
 * the first requests arrive before it has connected. With fail-fast options (no offline queue) a
 * client refuses commands until its first connection is up; the driver must wait for that first
 * connection instead of turning the app's first requests into 503s.
 */
const CLIENTS: Record<string, (url: string) => RedisConnection> = {
  "ioredis 6": (url) => ioredisConnection(new Ioredis6(url, recommendedIoredisOptions)),
  "ioredis 5": (url) => ioredisConnection(new Ioredis5(url, recommendedIoredisOptions)),
  "node-redis 6 (RESP2)": (url) => {
    const client = createNodeRedis6({ url, RESP: 2, ...recommendedNodeRedisOptions });
    void client.connect().catch(() => {});
    return nodeRedisConnection(client);
  },
  "node-redis 6 (RESP3)": (url) => {
    const client = createNodeRedis6({ url, RESP: 3, ...recommendedNodeRedisOptions });
    void client.connect().catch(() => {});
    return nodeRedisConnection(client);
  },
  "node-redis 5": (url) => {
    const client = createNodeRedis5({ url, ...recommendedNodeRedisOptions });
    void client.connect().catch(() => {});
    return nodeRedisConnection(client);
  },
};

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.dispose();
});

const request = (cookie?: string) => new Request("http://app.test/", { headers: cookie ? { cookie } : {} });

describe.each(Object.entries(CLIENTS))("%s driver", (_, connect) => {
  it("serves the requests that arrive before the client's first connection is up", async () => {
    const store: SessionStore = createRedisStore({ connection: connect(redis.url) });
    const sessions = createSessionManager<{ n: number }>({ store });
    try {
      // Three logins at once, issued synchronously after the client was created.
      const logins = await Promise.all([1, 2, 3].map((n) => sessions.login(request(), { userId: `early-${n}`, data: { n } })));
      for (const [index, login] of logins.entries()) {
        const cookie = login.setCookie.split(";")[0]!;
        const lookup = await sessions.authenticate(request(cookie));
        expect(lookup.status).toBe("active");
        if (lookup.status === "active") expect(lookup.session.data.n).toBe(index + 1);
      }
    } finally {
      await store.close();
    }
  });

  it("stays fail-fast after the first connection: Redis away → STORE_UNAVAILABLE, not a wait for the deadline", async () => {
    const store = createRedisStore({ connection: connect(redis.url), commandTimeoutMs: 5000 });
    const sessions = createSessionManager({ store });
    try {
      const { setCookie } = await sessions.login(request(), { userId: "steady" });
      await redis.stop();
      const error = await sessions.authenticate(request(setCookie.split(";")[0]!)).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(isStoreUnavailable(error)).toBe(true);
      // A timeout would mean the driver queued or waited instead of failing at once.
      expect((error as { code?: string }).code).toBe("STORE_UNAVAILABLE");
    } finally {
      await redis.start();
      await store.close();
    }
  });
});

/**
 * Redis's own count of socket reads (`total_reads_processed`): one per batch of commands it read
 * at once. Asked on one long-lived connection, so the only read the asking adds is its own INFO.
 */
async function redisReads(admin: Ioredis6): Promise<number> {
  const info = await admin.info("stats");
  const match = /total_reads_processed:(\d+)/.exec(info);
  if (!match) throw new Error(`INFO stats has no total_reads_processed:\n${info}`);
  return Number(match[1]);
}

describe.each<[string, (url: string) => Parameters<typeof nodeRedisConnection>[0] & { connect(): Promise<unknown> }]>([
  ["node-redis 6", (url) => createNodeRedis6({ url, ...recommendedNodeRedisOptions })],
  ["node-redis 5", (url) => createNodeRedis5({ url, ...recommendedNodeRedisOptions })],
])("%s client that was never connected", (_, createClient) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => redis?.dispose());

  it("fails at once with STORE_UNAVAILABLE naming client.connect(), not STORE_TIMEOUT after the deadline", async () => {
    const client = createClient(redis.url);
    const store = createRedisStore({ connection: nodeRedisConnection(client), commandTimeoutMs: 2000 });
    const error = await store.readAndExtend("A".repeat(26), 1000).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(isStoreUnavailable(error)).toBe(true);
    expect((error as Error & { code: string }).code).toBe("STORE_UNAVAILABLE");
    expect((error as Error).message).toMatch(/call client\.connect\(\) once at startup/);
    // Connected (not awaited), the same store then works.
    void client.connect();
    expect(await store.readAndExtend("A".repeat(26), 1000)).toBeNull();
    await store.close();
  });
});

describe.each([
  ["ioredis 6", (url: string) => new Ioredis6(url, recommendedIoredisOptions)],
  ["ioredis 5", (url: string) => new Ioredis5(url, recommendedIoredisOptions)],
] as const)("%s driver: write coalescing", (_, newClient) => {
  const READS = 50;
  const sessionId = "AAcoalescedcoalescedcoales";
  let admin: Ioredis6;
  beforeAll(() => {
    admin = new Ioredis6(redis.url);
  });
  afterAll(() => admin?.disconnect());

  /** Redis reads spent on `READS` session reads issued in one event-loop turn, as a server under load issues them. */
  async function readsForOneTurn(): Promise<number> {
    const store = createRedisStore({ connection: ioredisConnection(newClient(redis.url)) });
    try {
      // Connected, and the first read out of the way, before counting.
      await store.readAndExtend(sessionId, 60_000);
      const before = await redisReads(admin);
      const records = await Promise.all(Array.from({ length: READS }, () => store.readAndExtend(sessionId, 60_000)));
      const after = await redisReads(admin);
      expect(records).toEqual(Array.from({ length: READS }, () => null));
      // One of them is the INFO of `after`.
      return after - before - 1;
    } finally {
      await store.close();
    }
  }

  it("sends the session reads of one event-loop turn in one socket write: Redis reads them at once", async () => {
    expect(await readsForOneTurn()).toBe(1);
  });

  it("with coalesce: false, hands each read to the socket at once", async () => {
    const client = newClient(redis.url);
    const store = createRedisStore({ connection: ioredisConnection(client, { coalesce: false }) });
    try {
      await store.readAndExtend(sessionId, 60_000);
      const socket = client.stream as { writableLength: number };
      const read = store.readAndExtend(sessionId, 60_000);
      expect(socket.writableLength).toBe(0);
      expect(await read).toBeNull();
    } finally {
      await store.close();
    }
  });

  it("does not hold back scripts: a script goes at once, and takes the reads held so far with it", async () => {
    const client = newClient(redis.url);
    const store = createRedisStore({ connection: ioredisConnection(client) });
    try {
      await store.readAndExtend(sessionId, 60_000);
      const socket = client.stream as { writableLength: number };
      // Every call sends synchronously; none is awaited until the checks are made.
      const destroyedFirst = store.destroy(sessionId);
      expect(socket.writableLength).toBe(0);
      const heldRead = store.readAndExtend(sessionId, 60_000);
      expect(socket.writableLength).toBeGreaterThan(0);
      // A script later in the same turn (a login, a touch after a read's reply) must not wait for the turn's end.
      const destroyedAfterRead = store.destroy(sessionId);
      expect(socket.writableLength).toBe(0);
      const laterRead = store.readAndExtend(sessionId, 60_000);
      expect(socket.writableLength).toBeGreaterThan(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(socket.writableLength).toBe(0);
      expect(await Promise.all([destroyedFirst, heldRead, destroyedAfterRead, laterRead])).toEqual([null, null, null, null]);
    } finally {
      await store.close();
    }
  });

  it("is not stopped by fake timers installed after tessera/redis was loaded", async () => {
    const store = createRedisStore({ connection: ioredisConnection(newClient(redis.url)) });
    try {
      await store.readAndExtend(sessionId, 60_000);
      vi.useFakeTimers();
      try {
        expect(await store.readAndExtend(sessionId, 60_000)).toBeNull();
      } finally {
        vi.useRealTimers();
      }
    } finally {
      await store.close();
    }
  });
});

/** The ioredis options the sending tests vary. */
type SendingOptions = { enableAutoPipelining?: boolean; showFriendlyErrorStack?: boolean; keyPrefix?: string; lazyConnect?: boolean };

/** What these tests set on a client: the options the driver looks at, and integers as strings. */
type ClientOptions = SendingOptions & { stringNumbers?: boolean };

describe.each([
  ["ioredis 6", (url: string, extra: ClientOptions = {}) => new Ioredis6(url, { ...recommendedIoredisOptions, ...extra })],
  ["ioredis 5", (url: string, extra: ClientOptions = {}) => new Ioredis5(url, { ...recommendedIoredisOptions, ...extra })],
] as const)("%s driver: sending one command", (_, newClient) => {
  const sessionId = "AAdirectdirectdirectdirect";

  it("builds the command itself instead of going through call: login and read work, and a numeric argument reaches Redis as the number", async () => {
    const client = newClient(redis.url);
    const store = createRedisStore({ connection: ioredisConnection(client) });
    // After the connection is made: making it builds one command through `call`, to find ioredis's class.
    const call = vi.spyOn(client, "call");
    const sessions = createSessionManager<{ n: number }>({ store });
    try {
      const { setCookie, session } = await sessions.login(request(), { userId: "direct", data: { n: 7 } });
      const lookup = await sessions.authenticate(request(setCookie.split(";")[0]!));
      expect(lookup).toMatchObject({ status: "active", session: { id: session.id, userId: "direct", data: { n: 7 } } });
      // A read's numeric TTL reaches Redis as the number it was (the key holds no record: the read's outcome does not matter here).
      const key = `ts:{AA}${sessionId.slice(2)}`;
      await client.set(key, "not a record");
      await store.readAndExtend(sessionId, 60_000).catch(() => null);
      const ttlMs = await client.pttl(key);
      expect(ttlMs).toBeGreaterThan(50_000);
      expect(ttlMs).toBeLessThanOrEqual(60_000);
      expect(call).not.toHaveBeenCalled();
    } finally {
      await store.close();
    }
  });

  it.each([
    ["enableAutoPipelining", { enableAutoPipelining: true }],
    ["showFriendlyErrorStack", { showFriendlyErrorStack: true }],
  ])("leaves commands to call when %s asks call to do more than send", async (_option, extra) => {
    const client = newClient(redis.url, extra);
    const sessions = createSessionManager({ store: createRedisStore({ connection: ioredisConnection(client) }) });
    const call = vi.spyOn(client, "call");
    try {
      const { setCookie } = await sessions.login(request(), { userId: "through-call" });
      expect(await sessions.authenticate(request(setCookie.split(";")[0]!))).toMatchObject({ status: "active" });
      expect(call).toHaveBeenCalled();
    } finally {
      await sessions.store.close();
    }
  });

  it("works with a client that returns integers as strings (stringNumbers): rotation, touch and a too-large patch are read right", async () => {
    const store = createRedisStore({ connection: ioredisConnection(newClient(redis.url, { stringNumbers: true })) });
    const sessions = createSessionManager<{ note?: string }>({ store, maxRecordBytes: 1024 });
    try {
      const first = await sessions.login(request(), { userId: "string-numbers" });
      const events: string[] = [];
      const rotating = createSessionManager<{ note?: string }>({ store, maxRecordBytes: 1024, onEvent: (event) => events.push(event.type) });
      const second = await rotating.login(request(`session_id=${first.token}`), { userId: "string-numbers" });
      expect(events).toEqual(["rotated", "created"]);
      expect(await sessions.validateToken(first.token)).toBeNull();
      expect(await store.touch(second.session.id, { createdAtSeconds: 1_800_000_000, lastSeenAtSeconds: 1_800_000_060 })).toBe(true);
      await expect(sessions.patch(second.session, { set: { note: "x".repeat(2000) } })).rejects.toThrow(/maxRecordBytes = 1024/);
    } finally {
      await store.close();
    }
  });

  it("refuses a client with ioredis's own keyPrefix, which the store's scripts would not see, naming the store prefix that keeps the same keys", () => {
    const client = newClient(redis.url, { keyPrefix: "app:", lazyConnect: true });
    expect(() => ioredisConnection(client)).toThrow(/keyPrefix "app:".*createRedisStore\(\{ keyPrefix: "app:ts:" \}\)/);
    client.disconnect();
  });
});

describe.each([
  ["ioredis 6", (keyPrefix: string) => new IoredisCluster6([{ host: "127.0.0.1", port: 1 }], { lazyConnect: true, redisOptions: { keyPrefix } })],
  ["ioredis 5", (keyPrefix: string) => new IoredisCluster5([{ host: "127.0.0.1", port: 1 }], { lazyConnect: true, redisOptions: { keyPrefix } })],
] as const)("%s Cluster driver", (_, newCluster) => {
  it("refuses a cluster whose nodes have ioredis's own keyPrefix", () => {
    const cluster = newCluster("app:");
    expect(() => ioredisClusterConnection(cluster)).toThrow(/Cluster client has ioredis's keyPrefix "app:"/);
    cluster.disconnect();
  });
});
