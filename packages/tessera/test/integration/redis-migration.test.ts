import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionRecord } from "../../src/core/record.js";
import type { UserRef } from "../../src/core/store.js";
import { createRedisStore, migrateLayout, scanLayout, type MigrationProgress } from "../../src/stores/redis/index.js";
import { newSessionId } from "../../src/testing/fixtures.js";
import { writeV2Session } from "../../../../test/support/layout-v2.js";
import { connectTo } from "../../../../test/support/redis-harness.js";
import { startRedisServer, type RedisServer } from "../../../../test/support/redis-server.js";

const now = () => Math.floor(Date.now() / 1000);
const record = (userId: string): SessionRecord => ({
  userId,
  device: { userAgent: "Firefox 132 on Linux", ip: "203.0.113.9" },
  createdAtSeconds: now(),
  absoluteExpiresAtSeconds: now() + 3600,
  lastSeenAtSeconds: now(),
  data: { plan: "v2" },
});
const options = () => ({ ttlMs: 600_000, indexTtlMs: 4_200_000, nowSeconds: now(), maxSessionsPerUser: 0 });
/** `count` users spread over `buckets` (the store trusts the UserRef's bucket, so tests choose them). */
const usersIn = (tag: string, buckets: string[], count: number): UserRef[] =>
  Array.from({ length: count }, (_, i) => ({ userId: `${tag}-${i}`, bucket: buckets[i % buckets.length]! }));
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const sorted = (ids: Iterable<string>) => [...ids].sort();

describe("layout v2 → v3 on a live server", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it("without any migration, a v3 store reads, lists, rotates, revokes and logs out sessions written by v2", async () => {
    const writer = await connectTo("ioredis", redis.url);
    const store = createRedisStore({ connection: await connectTo("node-redis", redis.url) });
    const users = usersIn("lazy", ["L0", "L1"], 6);
    const sessions = new Map<string, string[]>();
    for (const user of users) {
      const ids = [newSessionId(user), newSessionId(user), newSessionId(user)];
      for (const id of ids) await writeV2Session(writer, id, record(user.userId), options());
      sessions.set(user.userId, ids);
    }
    expect(await redis.command("EXISTS", "ts:{L0}:i", "ts:{L1}:i")).toBe(":2\r\n");
    for (const ids of sessions.values()) for (const id of ids) expect((await store.readAndExtend(id, 600_000))?.data).toEqual({ plan: "v2" });

    const [ada, bob, cy] = users as [UserRef, UserRef, UserRef];
    // L0: the first listing adopts the whole bucket's v2 index.
    expect(sorted((await store.listForUser(ada, now())).sessions.map((s) => s.sessionId))).toEqual(sorted(sessions.get(ada.userId)!));
    expect(await redis.command("EXISTS", "ts:{L0}:i")).toBe(":0\r\n");
    // L1: a rotation (login replacing a v2 session) adopts it; the replaced session ends.
    const [bobOld, ...bobRest] = sessions.get(bob.userId)!;
    const bobNew = newSessionId(bob);
    expect((await store.create(bobNew, record(bob.userId), { ...options(), replacesSessionId: bobOld })).replaced).toBe(true);
    expect(await store.readAndExtend(bobOld!, 600_000)).toBeNull();
    expect(sorted((await store.listForUser(bob, now())).sessions.map((s) => s.sessionId))).toEqual(sorted([...bobRest, bobNew]));
    // Logout and revoke-all of v2 sessions.
    const [cyFirst, ...cyRest] = sessions.get(cy.userId)!;
    expect((await store.destroy(cyFirst!))?.userId).toBe(cy.userId);
    expect(sorted(await store.destroyForUser(cy, {}))).toEqual(sorted(cyRest));
    for (const id of sessions.get(cy.userId)!) expect(await store.readAndExtend(id, 600_000)).toBeNull();
    expect((await store.listForUser(cy, now())).expired).toEqual([]);
    await Promise.all([writer.close(), store.close()]);
  });

  it("migrateLayout converts every v2 index in bounded chunks while logins, reads, listings and a v2 writer race it; nothing lost, nothing listed twice", async () => {
    await redis.command("FLUSHALL"); // the scan below counts every key
    const buckets = ["M0", "M1", "M2", "M3", "M4", "M5"];
    // More than 128 entries per bucket, so each v2 index is a hashtable and HSCAN really pages.
    const users = usersIn("mig", buckets, 300);
    const all = new Map<string, Set<string>>(users.map((user) => [user.userId, new Set<string>()]));
    const writer = await connectTo("ioredis", redis.url);
    for (const user of users) {
      for (let i = 0; i < 3; i++) {
        const id = newSessionId(user);
        await writeV2Session(writer, id, record(user.userId), options());
        all.get(user.userId)!.add(id);
      }
    }
    const v2Ids = [...all.values()].flatMap((ids) => [...ids]);
    // Logins and listings (which adopt a bucket on the spot) touch half the buckets; the migration has the rest to itself.
    const active = users.filter((user) => ["M0", "M1", "M2"].includes(user.bucket));
    const [migrating, loginStore, readStore, listStore] = [
      await connectTo("ioredis", redis.url),
      createRedisStore({ connection: await connectTo("node-redis", redis.url) }),
      createRedisStore({ connection: await connectTo("ioredis", redis.url) }),
      createRedisStore({ connection: await connectTo("node-redis", redis.url) }),
    ];

    let done = false;
    const reports: MigrationProgress[] = [];
    const migration = migrateLayout({ connection: migrating, scanCount: 2, chunkSize: 7, onProgress: (progress) => reports.push(progress) }).finally(
      () => (done = true),
    );
    let logins = 0;
    let reads = 0;
    let listings = 0;
    let v2Writes = 0;
    const racers = [
      (async () => {
        for (; !done && logins < 3000; logins++) {
          const user = pick(active);
          const id = newSessionId(user);
          await loginStore.create(id, record(user.userId), options());
          all.get(user.userId)!.add(id);
        }
      })(),
      (async () => {
        for (; !done && v2Writes < 3000; v2Writes++) {
          const user = pick(users);
          const id = newSessionId(user);
          await writeV2Session(writer, id, record(user.userId), options()); // an app instance not yet upgraded
          all.get(user.userId)!.add(id);
        }
      })(),
      (async () => {
        for (; !done && reads < 5000; reads++)
          expect(await readStore.readAndExtend(pick(v2Ids), 600_000), "a v2 session must stay valid throughout").not.toBeNull();
      })(),
      (async () => {
        for (; !done && listings < 3000; listings++) {
          const user = pick(active);
          const expected = [...all.get(user.userId)!]; // acknowledged before the listing began
          const listed = (await listStore.listForUser(user, now())).sessions.map((s) => s.sessionId);
          expect(new Set(listed).size, "listed twice").toBe(listed.length);
          for (const id of expected) expect(listed, `${user.userId} lost ${id}`).toContain(id);
        }
      })(),
    ];
    await Promise.all([migration, ...racers]);
    expect(logins * reads * listings * v2Writes, "every racer ran while the migration did").toBeGreaterThan(0);

    // The v2 writer may have written behind the migration: as in a real rollout, stop it, run again.
    const rerun = await migrateLayout({ connection: migrating });
    const final = await migration;
    expect(final.v2IndexesMigrated + rerun.v2IndexesMigrated).toBeGreaterThanOrEqual(3);
    expect(reports.length).toBeGreaterThan(buckets.length);
    expect(final.entriesRead).toBeGreaterThan(0);

    for (const user of users) {
      const listed = (await listStore.listForUser(user, now())).sessions.map((s) => s.sessionId);
      expect(sorted(listed), user.userId).toEqual(sorted(all.get(user.userId)!));
    }
    const scan = await scanLayout({ connection: migrating, scanCount: 50 });
    const total = [...all.values()].reduce((sum, ids) => sum + ids.size, 0);
    expect(scan).toMatchObject({ sessions: total, users: users.length, v2IndexesLeft: 0, sessionsInV2Indexes: 0, keysWithoutTtl: 0, unknownKeys: 0, nodes: 1 });
    await Promise.all([writer.close(), migrating.close(), loginStore.close(), readStore.close(), listStore.close()]);
  });

  it("an interrupted migration resumes from its last reported position, and a fresh start is safe too", async () => {
    const writer = await connectTo("ioredis", redis.url);
    const users = usersIn("resume", ["R0", "R1", "R2", "R3", "R4", "R5", "R6", "R7"], 40);
    for (const user of users) await writeV2Session(writer, newSessionId(user), record(user.userId), options());
    let last: MigrationProgress | undefined;
    const interrupted = await migrateLayout({
      connection: writer,
      scanCount: 1,
      onProgress: (progress) => {
        if (progress.v2IndexesMigrated === 3) throw new Error("interrupted");
        last = progress;
      },
    }).catch((error: unknown) => error);
    expect((interrupted as Error).message).toBe("interrupted");
    expect((await scanLayout({ connection: writer })).v2IndexesLeft).toBeGreaterThan(0);
    const resumed = await migrateLayout({ connection: writer, scanCount: 1, resumeFrom: last!.position });
    const fresh = await migrateLayout({ connection: writer });
    expect(resumed.v2IndexesMigrated + fresh.v2IndexesMigrated).toBeGreaterThan(0);
    const scan = await scanLayout({ connection: writer });
    expect(scan.v2IndexesLeft).toBe(0);
    const store = createRedisStore({ connection: writer });
    for (const user of users) expect((await store.listForUser(user, now())).sessions, user.userId).toHaveLength(1);
    await store.close();
  });
});
