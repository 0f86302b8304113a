import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createSessionManager } from "../../src/core/index.js";
import { StoreUnavailableError } from "../../src/core/errors.js";
import {
  createRedisStore,
  CrossSlotRoundTripError,
  ioredisClusterConnection,
  keySlot,
  migrateLayout,
  recommendedIoredisClusterOptions,
  scanLayout,
  waitForReplicas,
} from "../../src/stores/redis/index.js";
import { describeStoreContract } from "../../src/testing/index.js";
import { connectToCluster, connectToNoCluster } from "../../../../test/support/cluster-harness.js";
import { writeV2Session } from "../../../../test/support/layout-v2.js";
import { sleep } from "../../../../test/support/ports.js";
import { countingConnection, total, type RedisClientKind } from "../../../../test/support/redis-harness.js";
import { startRedisCluster, type RedisCluster } from "../../../../test/support/redis-cluster.js";

// One cluster for the whole file (6 processes take seconds to start and join).
let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.dispose();
});

for (const kind of ["ioredis", "node-redis"] as const satisfies readonly RedisClientKind[]) {
  describeStoreContract(
    `redis cluster (${kind})`,
    async () => {
      const connection = countingConnection(await connectToCluster(kind, cluster.startupNodes));
      // A prefix per client kind, so the two runs cannot see each other's sessions.
      // A cluster runs a script on one node, so a rotation across buckets goes as ordered steps.
      const store = createRedisStore({ connection, keyPrefix: `c${kind.length}:`, crossSlotScripts: false });
      return {
        store,
        independentStore: async () =>
          createRedisStore({ connection: await connectToCluster(kind, cluster.startupNodes), keyPrefix: `c${kind.length}:`, crossSlotScripts: false }),
        async fillBackend() {
          const masters = await cluster.masters();
          for (const master of masters) {
            await cluster.command(master, "CONFIG", "SET", "maxmemory-policy", "noeviction");
            await cluster.command(master, "CONFIG", "SET", "maxmemory", "1");
          }
          return async () => {
            for (const master of masters) await cluster.command(master, "CONFIG", "SET", "maxmemory", "0");
          };
        },
        elapse: sleep,
        nowSeconds: () => Math.floor(Date.now() / 1000),
        async measure(operation) {
          const before = connection.roundTrips;
          const stats = await cluster.commandsDuring(operation);
          return { commands: total(stats), roundTrips: connection.roundTrips - before };
        },
        unavailableStore: async () => createRedisStore({ connection: await connectToNoCluster(kind) }),
        close: () => store.close(),
      };
    },
    { countsCommands: true, rotatesAcrossBucketsInSteps: true },
    { describe, it, beforeAll, afterAll },
  );
}

const record = (userId: string) => {
  const now = Math.floor(Date.now() / 1000);
  return {
    userId,
    device: { userAgent: "cluster test", ip: "127.0.0.1" },
    createdAtSeconds: now,
    absoluteExpiresAtSeconds: now + 3600,
    lastSeenAtSeconds: now,
    data: {},
  };
};
const createOptions = () => ({ ttlMs: 60_000, indexTtlMs: 3_700_000, maxSessionsPerUser: 0, nowSeconds: Math.floor(Date.now() / 1000) });

describe("admin functions on a live cluster (scanNodes: every master)", () => {
  for (const kind of ["ioredis", "node-redis"] as const) {
    it(`${kind}: migrateLayout converts v2 indexes on every master, and scanLayout counts every master's keys`, async () => {
      const connection = await connectToCluster(kind, cluster.startupNodes);
      const keyPrefix = `adm${kind.length}:`;
      // 40 buckets spread the keys over all three masters.
      const buckets = Array.from({ length: 40 }, (_, i) => `B${"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"[i]}`);
      for (const [i, bucket] of buckets.entries()) {
        await writeV2Session(connection, `${bucket}${String(i).padStart(24, "0")}`, record(`adm-${i}`), { ...createOptions(), keyPrefix });
      }
      const slots = new Set(buckets.map((bucket) => keySlot(`${keyPrefix}{${bucket}}`)));
      expect(slots.size).toBe(40);
      const before = await scanLayout({ connection, keyPrefix, scanCount: 5 });
      expect(before).toMatchObject({ sessions: 40, v2IndexesLeft: 40, nodes: 3 });
      const progress = await migrateLayout({ connection, keyPrefix, scanCount: 5 });
      expect(progress).toMatchObject({ v2IndexesMigrated: 40, sessionsAdopted: 40 });
      expect(await scanLayout({ connection, keyPrefix })).toMatchObject({
        sessions: 40,
        users: 40,
        v2IndexesLeft: 0,
        keysWithoutTtl: 0,
        unknownKeys: 0,
        nodes: 3,
      });
      const store = createRedisStore({ connection, keyPrefix, crossSlotScripts: false });
      expect((await store.listForUser({ userId: "adm-7", bucket: buckets[7]! }, Math.floor(Date.now() / 1000))).sessions).toHaveLength(1);
      await store.close();
    });
  }
});

describe("cluster drivers on a live cluster", () => {
  it("compute the slot Redis computes for every key shape (hash tags, Unicode, empty tags)", async () => {
    const keys = ["ts:{AB}digestdigestdigestdigest", "ts:{AB}:i", "c10:{-_}x", "{}", "a{}b{c}", "x{{y}}", "ünïcode{用户}🎉", "no tag at all", "{tag"];
    const [node] = await cluster.masters();
    for (const key of keys) {
      expect(keySlot(key), key).toBe(Number((await cluster.command(node!, "CLUSTER", "KEYSLOT", key)).trim()));
    }
  });

  it("ioredis: sends each command it builds itself, routed by its keys, without going through call", async () => {
    const nodes = cluster.startupNodes.map((address) => ({ host: address.split(":")[0]!, port: Number(address.split(":")[1]) }));
    const client = new Cluster(nodes, recommendedIoredisClusterOptions);
    client.on("error", () => undefined);
    await new Promise<void>((resolve) => client.once("ready", resolve));
    const store = createRedisStore({ connection: ioredisClusterConnection(client), keyPrefix: "d:" });
    // After the connection is made: making it builds one command through `call`, to find ioredis's class.
    const call = vi.spyOn(client, "call");
    try {
      const sessions = createSessionManager({ store });
      // Users whose buckets land on different masters: each command must reach its own node.
      const logins = await Promise.all(["ada", "bob", "cy", "dee", "eve", "fay"].map((userId) => sessions.login(new Request("http://app.test/"), { userId })));
      expect(new Set(logins.map(({ session }) => keySlot(`d:{${session.id.slice(0, 2)}}`))).size).toBeGreaterThan(1);
      for (const { setCookie, session } of logins) {
        const lookup = await sessions.authenticate(new Request("http://app.test/", { headers: { cookie: setCookie.split(";")[0]! } }));
        expect(lookup).toMatchObject({ status: "active", session: { id: session.id, userId: session.userId } });
      }
      expect(call).not.toHaveBeenCalled();
    } finally {
      await store.close();
    }
  });

  for (const kind of ["ioredis", "node-redis"] as const) {
    it(`${kind}: refuse a round trip that spans slots, before sending anything`, async () => {
      const connection = await connectToCluster(kind, cluster.startupNodes);
      try {
        const stats = await cluster.commandsDuring(async () => {
          await expect(
            connection.send([
              ["DEL", "x:{AB}old"],
              ["SET", "x:{CD}new", "v"],
            ]),
          ).rejects.toThrow(CrossSlotRoundTripError);
        });
        expect(Object.fromEntries(stats)).toEqual({});
      } finally {
        await connection.close();
      }
    });

    it(`${kind}: waitForReplicas appends WAIT to logins in the same round trip, not to reads, and fails a login no replica confirmed`, async () => {
      const counting = countingConnection(await connectToCluster(kind, cluster.startupNodes));
      const waiting = countingConnection(await connectToCluster(kind, cluster.startupNodes));
      const store = createRedisStore({ connection: waitForReplicas(counting, { replicas: 1, waitingConnection: waiting }), keyPrefix: "w:" });
      const strict = createRedisStore({
        connection: waitForReplicas(await connectToCluster(kind, cluster.startupNodes), { replicas: 2, timeoutMs: 50 }),
        keyPrefix: "w:",
      });
      try {
        const id = "WAwaitwaitwaitwaitwaitwait";
        const login = await cluster.commandsDuring(() => store.create(id, record("waiter"), createOptions()));
        expect(login.get("wait")).toBe(1);
        // On the waiting connection only (2 round trips only if the script was new to this node: NOSCRIPT).
        expect([counting.roundTrips, waiting.roundTrips <= 2]).toEqual([0, true]);
        const read = await cluster.commandsDuring(() => store.readAndExtend(id, 60_000));
        expect(read.get("wait")).toBeUndefined();
        expect(counting.roundTrips).toBe(1);
        // Each master has one replica, so asking for two cannot succeed: the login is refused, not acknowledged.
        const refused = await strict.create("WAstrictstrictstrictstrict", record("strict"), createOptions()).catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(StoreUnavailableError);
        expect((refused as Error).message).toMatch(/only 1 of 2 replica/);
      } finally {
        await store.close();
        await strict.close();
      }
    });
  }

  it("both drivers follow a manual failover: a pipelined round trip that meets MOVED is resent to the new master, not failed", async () => {
    const clients = await Promise.all(
      (["ioredis", "node-redis"] as const).map(async (kind) => ({
        kind,
        store: createRedisStore({ connection: await connectToCluster(kind, cluster.startupNodes), keyPrefix: "m:" }),
      })),
    );
    try {
      const ids = clients.map(({ kind }) => `MV${kind.replace("-", "")}`.padEnd(26, "z"));
      for (const [index, { store }] of clients.entries()) await store.create(ids[index]!, record("mover"), createOptions());
      await cluster.promoteReplicaOf(await cluster.masterOf("m:{MV}x"));
      // destroy is GETDEL + HDEL in one pipeline: the clients still send it to the old master, which answers MOVED.
      for (const [index, { kind, store }] of clients.entries()) {
        expect((await store.destroy(ids[index]!))?.userId, kind).toBe("mover");
      }
    } finally {
      await Promise.all(clients.map(({ store }) => store.close()));
    }
  });

  // Last in the file: it leaves the killed master back as a replica, which is still a healthy cluster.
  it("both drivers ride out kill -9 of a master: only StoreUnavailableError meanwhile, then service again without a new client, and no confirmed session lost", async () => {
    const clients = await Promise.all(
      (["ioredis", "node-redis"] as const).map(async (kind) => {
        const connection = await connectToCluster(kind, cluster.startupNodes);
        return {
          kind,
          store: createRedisStore({ connection, keyPrefix: "f:" }),
          // Same client, but a login counts only once a replica holds it.
          // WAIT gets 1.5 s (the default 250 ms) so a busy CI machine cannot make a healthy replica look absent.
          durable: createRedisStore({
            connection: waitForReplicas({ ...connection, close: async () => undefined }, { replicas: 1, timeoutMs: 1500 }),
            keyPrefix: "f:",
            commandTimeoutMs: 5000,
          }),
        };
      }),
    );
    const confirmed = new Map<string, string>();
    for (const { kind, durable } of clients) {
      const id = `FObefore${kind.replace("-", "")}`.padEnd(26, "z");
      await durable.create(id, record(`before-${kind}`), createOptions());
      confirmed.set(id, `before-${kind}`);
    }
    const victim = await cluster.masterOf("f:{FO}x");
    await cluster.kill(victim);
    try {
      // Both clients at once, from the moment of the kill: one after the other, the second could
      // start after the failover had ended and see no failure at all.
      const outcomes = await Promise.allSettled(
        clients.map(async ({ kind, store }) => {
          const failures: unknown[] = [];
          let recovered = false;
          // Bounded: at most 400 attempts, each bounded by the store's 1 s deadline, 50 ms apart.
          for (let attempt = 0; attempt < 400 && !recovered; attempt++) {
            const id = `FO${kind.replace("-", "")}${attempt}`.padEnd(26, "z");
            try {
              await store.create(id, record(`during-${kind}`), createOptions());
              confirmed.set(id, `during-${kind}`);
              recovered = (await store.readAndExtend(id, 60_000)) !== null;
            } catch (error) {
              failures.push(error);
              await sleep(50);
            }
          }
          expect(recovered, `${kind} did not recover; last error: ${String(failures.at(-1))}`).toBe(true);
          expect(failures.length, `${kind} saw no failure at all: did the kill hit the right master?`).toBeGreaterThan(0);
          expect(failures.filter((error) => !(error instanceof StoreUnavailableError))).toEqual([]);
        }),
      );
      // Settled first: a failed check of one driver must not leave the other's loop running past the test.
      for (const outcome of outcomes) if (outcome.status === "rejected") throw outcome.reason;
      // The cluster may still settle after the first success (a full run once saw ioredis answer
      // "Connection is closed" here): a read that fails for the store is tried again, bounded; a
      // lost session reads as null and fails at once.
      const readSettled = async (id: string) => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await clients[0]!.store.readAndExtend(id, 60_000);
          } catch (error) {
            if (!(error instanceof StoreUnavailableError) || attempt >= 20) throw error;
            await sleep(100);
          }
        }
      };
      for (const [id, userId] of confirmed) {
        expect((await readSettled(id))?.userId, `confirmed session ${id}`).toBe(userId);
      }
      // The promoted master has no replica until the dead node returns: a durable login is refused, not acknowledged.
      const refused = await clients[0]!.durable.create("FOrefusedzzzzzzzzzzzzzzzzz", record("refused"), createOptions()).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(StoreUnavailableError);
      expect((refused as Error).message).toMatch(/only 0 of 1 replica/);
    } finally {
      await cluster.restart(victim);
      await cluster.waitUntilHealthy();
    }
    try {
      for (const { durable } of clients)
        await durable.create(`FOafter${Math.random().toString(36).slice(2)}`.padEnd(26, "z").slice(0, 26), record("after"), createOptions());
    } finally {
      await Promise.all(clients.map(({ store }) => store.close()));
    }
  }, 90_000);
});
