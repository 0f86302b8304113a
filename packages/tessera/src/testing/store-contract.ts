import { expect } from "./expect.js";
import { afterAll, beforeAll, describe, it, type TestRunner, setRunner } from "./runner.js";
import { StoreUnavailableError } from "../core/errors.js";
import { encodeDataPatch, type SessionRecord } from "../core/record.js";
import type { CreateSessionOptions, SessionStore, UserRef } from "../core/store.js";
import { newSessionId, user, usersSharingABucket, type ContractContext, type StoreHarness } from "./fixtures.js";
import { describeInputContract } from "./store-input.js";
import { describeRaceContract } from "./store-races.js";

export type { StoreHarness } from "./fixtures.js";

/** What a store declares about itself, so the contract asks only what applies. */
export interface StoreCapabilities {
  /** The harness implements `measure` (a backend that counts commands and round trips). */
  countsCommands: boolean;
  /** The store can only fail by being full (no network): the outage tests use `fillBackend`. */
  failsOnlyWhenFull?: boolean;
  /** The store drops index entries together with expired sessions, so a listing has none left to report. */
  prunesIndexEagerly?: boolean;
  /**
   * A login that replaces a session of *another* user bucket runs as ordered steps, not one atomic
   * script (Redis Cluster: the two buckets live on different nodes). The new session is created
   * first and the old one deleted next, so a failure never logs anyone out; for that one round
   * trip both exist, though the new token has not been handed to anyone yet. The contract then
   * checks those rotations when they complete instead of while they run.
   */
  rotatesAcrossBucketsInSteps?: boolean;
}

/**
 * Registers the session-store contract (`SessionStore` in `tessera`) as tests with your test
 * runner. Every tessera store runs exactly these against its real backend, and so can yours: a
 * third-party store that passes them keeps every guarantee the session manager relies on (no
 * resurrection, merge-not-overwrite, atomic revocation, rotation order, bounded failures).
 * Loops are bounded in count; allow about 30 s per test on a remote backend.
 *
 * @param runner your runner's functions: vitest/Jest (`describe`, `it`, `beforeAll`, `afterAll`)
 * or node:test (`describe`, `it`, `before`, `after`).
 * @example
 * ```ts
 * import { afterAll, beforeAll, describe, it } from "vitest";
 * import { describeStoreContract } from "tessera/testing";
 *
 * describeStoreContract("my store", async () => myHarness(), { countsCommands: false }, { describe, it, beforeAll, afterAll });
 * ```
 */
export function describeStoreContract(name: string, createHarness: () => Promise<StoreHarness>, capabilities: StoreCapabilities, runner: TestRunner): void {
  setRunner(runner);
  describe(`store contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: SessionStore;
    beforeAll(async () => {
      harness = await createHarness();
      store = harness.store;
    });
    afterAll(async () => {
      await harness?.close();
    });

    const record = (overrides: Partial<SessionRecord> = {}): SessionRecord => {
      const now = harness.nowSeconds();
      return {
        userId: "ada",
        device: { userAgent: "Firefox 132 on Linux", ip: "127.0.0.1" },
        createdAtSeconds: now,
        absoluteExpiresAtSeconds: now + 43_200,
        lastSeenAtSeconds: now,
        data: {},
        ...overrides,
      };
    };
    const options = (overrides: Partial<CreateSessionOptions> = {}): CreateSessionOptions => ({
      ttlMs: 60_000,
      indexTtlMs: 44_100_000,
      maxSessionsPerUser: 0,
      nowSeconds: harness.nowSeconds(),
      ...overrides,
    });
    /** Creates a session for `who` and returns its id. */
    const create = async (
      who: UserRef,
      overrides: { record?: Partial<SessionRecord>; options?: Partial<CreateSessionOptions> } = {},
      on: SessionStore = store,
    ) => {
      const id = newSessionId(who);
      await on.create(id, record({ userId: who.userId, ...overrides.record }), options(overrides.options));
      return id;
    };
    const listed = async (who: UserRef) => (await store.listForUser(who, harness.nowSeconds())).sessions.map((s) => s.sessionId).sort();
    const context: ContractContext = { name, capabilities, harness: () => harness, store: () => store, record, options, create, listed };

    describe("sessions", () => {
      it("reads back exactly what was created", async () => {
        const ada = await user("ünïcode 用户 🎉");
        const id = newSessionId(ada);
        const stored = record({
          userId: ada.userId,
          data: { zip: "0012", n: 12, twelve: "12", nested: { list: [1, "2", null, true] }, empty: "", "key:with\u001eodd": "x" },
        });
        await store.create(id, stored, options());
        expect(await store.readAndExtend(id, 60_000)).toEqual(stored);
      });

      it("returns null for a session that never existed", async () => {
        expect(await store.readAndExtend(newSessionId(await user("nobody")), 60_000)).toBeNull();
      });

      it("expires a session after its TTL", async () => {
        const id = await create(await user("short"), { options: { ttlMs: 1 } });
        await harness.elapse(20);
        expect(await store.readAndExtend(id, 60_000)).toBeNull();
      });

      it("slides the expiry on every read", async () => {
        // Each wait leaves 800 ms for a late timer and a round trip on a busy machine.
        const id = await create(await user("slider"), { options: { ttlMs: 2000 } });
        await harness.elapse(1200);
        expect(await store.readAndExtend(id, 2000)).not.toBeNull();
        await harness.elapse(1200); // 2400 ms after creation: alive only because the read slid it
        expect(await store.readAndExtend(id, 2000)).not.toBeNull();
      });

      it("rotation deletes the replaced session and creates the new one", async () => {
        const [alice, bob] = [await user("rotate-a"), await user("rotate-b")];
        const oldId = await create(alice);
        const newId = newSessionId(bob);
        const result = await store.create(newId, record({ userId: bob.userId }), options({ replacesSessionId: oldId }));
        expect(result.replaced).toBe(true);
        expect(await store.readAndExtend(oldId, 60_000)).toBeNull();
        expect((await store.readAndExtend(newId, 60_000))?.userId).toBe(bob.userId);
        expect(await listed(alice)).toEqual([]);
      });

      it("rotation from a session that no longer exists still creates the new one", async () => {
        const who = await user("rotate-missing");
        const id = newSessionId(who);
        const result = await store.create(id, record({ userId: who.userId }), options({ replacesSessionId: newSessionId(who) }));
        expect(result.replaced).toBe(false);
        expect(await store.readAndExtend(id, 60_000)).not.toBeNull();
      });

      it("destroy returns what the session held and removes it from its user's list", async () => {
        const who = await user("destroyer");
        const id = await create(who, { record: { data: { a: 1 } } });
        expect((await store.destroy(id))?.data).toEqual({ a: 1 });
        expect(await store.readAndExtend(id, 60_000)).toBeNull();
        expect(await listed(who)).toEqual([]);
        expect(await store.destroy(id)).toBeNull();
      });
    });

    describe("touch and patch", () => {
      it("touch records activity, keeps the expiry and the data", async () => {
        const who = await user("toucher");
        const created = harness.nowSeconds();
        // The TTL leaves a second for the round trips before the read, on a busy machine too.
        const id = await create(who, { record: { createdAtSeconds: created, lastSeenAtSeconds: created, data: { k: "v" } }, options: { ttlMs: 1000 } });
        expect(await store.touch(id, { createdAtSeconds: created, lastSeenAtSeconds: created + 125 })).toBe(true);
        const read = await store.readAndExtend(id, 1000);
        expect(read?.lastSeenAtSeconds).toBe(created + 125);
        expect(read?.data).toEqual({ k: "v" });
        expect(await store.touch(id, { createdAtSeconds: created, lastSeenAtSeconds: created + 200 })).toBe(true);
        await harness.elapse(1300); // touch did not extend the 1000 ms TTL
        expect(await store.readAndExtend(id, 1000)).toBeNull();
      });

      it("patch sets and deletes only the named keys, and keeps the expiry", async () => {
        const id = await create(await user("patcher"), { record: { data: { keep: 1, drop: 2, change: "old" } }, options: { ttlMs: 1000 } });
        const outcome = await store.patch(id, encodeDataPatch({ set: { change: "new", added: [1, { deep: "x" }] }, delete: ["drop"] }), 4096);
        expect(outcome.status === "updated" && outcome.record.data).toEqual({ keep: 1, change: "new", added: [1, { deep: "x" }] });
        expect((await store.readAndExtend(id, 1000))?.data).toEqual({ keep: 1, change: "new", added: [1, { deep: "x" }] });
        // Checked through what the patch returns, not by a read: a read slides the TTL again, and
        // would hide a patch that made the session permanent.
        const cleared = await store.patch(id, encodeDataPatch({ clear: true, set: { only: true } }), 4096);
        expect(cleared.status === "updated" && cleared.record.data).toEqual({ only: true });
        await harness.elapse(1300); // the patch did not extend the 1000 ms TTL the read set
        expect(await store.readAndExtend(id, 1000)).toBeNull();
      });

      it("patch refuses a result over the size limit and writes nothing", async () => {
        const id = await create(await user("big"), { record: { data: { a: 1 } } });
        expect(await store.patch(id, encodeDataPatch({ set: { blob: "x".repeat(500) } }), 300)).toEqual({ status: "too_large" });
        expect((await store.readAndExtend(id, 60_000))?.data).toEqual({ a: 1 });
      });

      it("never resurrects a destroyed session through touch or patch", async () => {
        const who = await user("ghost");
        const id = await create(who);
        await store.destroy(id);
        expect(await store.touch(id, { createdAtSeconds: 0, lastSeenAtSeconds: 1 })).toBe(false);
        expect(await store.patch(id, encodeDataPatch({ set: { late: true } }), 4096)).toEqual({ status: "missing" });
        expect(await store.readAndExtend(id, 60_000)).toBeNull();
        expect(await listed(who)).toEqual([]);
      });
    });

    describe("per-user index", () => {
      it("lists a user's live sessions with device and expiry, and nobody else's in the same bucket", async () => {
        const [alice, bob] = await usersSharingABucket(`list-${name}`);
        const a1 = await create(alice, { record: { device: { userAgent: "Safari 18 on iOS", ip: "2001:db8::1" } } });
        const a2 = await create(alice);
        const b1 = await create(bob);
        const { sessions } = await store.listForUser(alice, harness.nowSeconds());
        expect(sessions.map((s) => s.sessionId).sort()).toEqual([a1, a2].sort());
        const first = sessions.find((s) => s.sessionId === a1)!;
        expect(first.record.device).toEqual({ userAgent: "Safari 18 on iOS", ip: "2001:db8::1" });
        expect(first.record.userId).toBe(alice.userId);
        expect(first.expiresInMs).toBeGreaterThan(0);
        expect(first.expiresInMs).toBeLessThanOrEqual(60_000);
        expect(await listed(bob)).toEqual([b1]);
      });

      it("drops sessions that expired from the list", async () => {
        const who = await user(`idle-${name}`);
        // `kept` first: a login may itself drop the user's expired sessions (and report them), so
        // none may happen between the expiry and the listing under test.
        const kept = await create(who);
        const gone = await create(who, { options: { ttlMs: 1 } });
        await harness.elapse(20);
        const { sessions, expired } = await store.listForUser(who, harness.nowSeconds());
        expect(sessions.map((s) => s.sessionId)).toEqual([kept]);
        expect(expired).toEqual(capabilities.prunesIndexEagerly ? [] : [{ sessionId: gone, userId: who.userId }]);
        expect((await store.listForUser(who, harness.nowSeconds())).expired).toEqual([]); // pruned once
      });

      it("a login prunes index entries past their absolute deadline", async () => {
        const who = await user(`absolute-${name}`);
        const now = harness.nowSeconds();
        const old = await create(who, { record: { createdAtSeconds: now - 100, lastSeenAtSeconds: now - 100, absoluteExpiresAtSeconds: now - 1 } });
        const result = await store.create(newSessionId(who), record({ userId: who.userId }), options());
        expect(result.expired).toEqual([{ sessionId: old, userId: who.userId }]);
        expect(await store.readAndExtend(old, 60_000)).toBeNull();
      });

      it("maxSessionsPerUser evicts the user's oldest sessions and nobody else's", async () => {
        const [alice, bob] = await usersSharingABucket(`evict-${name}`);
        const now = harness.nowSeconds();
        const oldest = await create(alice, { record: { createdAtSeconds: now - 30, lastSeenAtSeconds: now - 30 } });
        const middle = await create(alice, { record: { createdAtSeconds: now - 20, lastSeenAtSeconds: now - 20 } });
        const newest = await create(alice, { record: { createdAtSeconds: now - 10, lastSeenAtSeconds: now - 10 } });
        const bobs = await create(bob, { record: { createdAtSeconds: now - 40, lastSeenAtSeconds: now - 40 } });
        const incoming = newSessionId(alice);
        const result = await store.create(incoming, record({ userId: alice.userId }), options({ maxSessionsPerUser: 2 }));
        expect(result.evictedSessionIds).toEqual([oldest, middle]);
        expect(await listed(alice)).toEqual([newest, incoming].sort());
        expect(await store.readAndExtend(oldest, 60_000)).toBeNull();
        expect(await listed(bob)).toEqual([bobs]);
      });

      it("a login that replaces one of the user's sessions and evicts another reports both", async () => {
        const who = await user(`rotate-evict-${name}`);
        const now = harness.nowSeconds();
        const oldest = await create(who, { record: { createdAtSeconds: now - 30, lastSeenAtSeconds: now - 30 } });
        const replaced = await create(who, { record: { createdAtSeconds: now - 20, lastSeenAtSeconds: now - 20 } });
        const newest = await create(who, { record: { createdAtSeconds: now - 10, lastSeenAtSeconds: now - 10 } });
        const incoming = newSessionId(who);
        const result = await store.create(incoming, record({ userId: who.userId }), options({ maxSessionsPerUser: 2, replacesSessionId: replaced }));
        expect(result).toEqual({ replaced: true, evictedSessionIds: [oldest], expired: [] });
        expect(await listed(who)).toEqual([newest, incoming].sort());
        expect(await store.readAndExtend(replaced, 60_000)).toBeNull();
      });

      it("maxSessionsPerUser: of sessions created in the same second, the earliest login is the oldest", async () => {
        const who = await user(`evict-same-second-${name}`);
        const created = harness.nowSeconds();
        const same = { record: { createdAtSeconds: created, lastSeenAtSeconds: created } };
        const ids = [await create(who, same), await create(who, same), await create(who, same)];
        const incoming = newSessionId(who);
        const result = await store.create(
          incoming,
          record({ userId: who.userId, createdAtSeconds: created, lastSeenAtSeconds: created }),
          options({ maxSessionsPerUser: 2 }),
        );
        expect(result.evictedSessionIds).toEqual(ids.slice(0, 2));
        expect(await listed(who)).toEqual([ids[2]!, incoming].sort());
      });

      it("revokes one session only for its owner", async () => {
        const [alice, bob] = await usersSharingABucket(`revoke-one-${name}`);
        const a1 = await create(alice);
        const a2 = await create(alice);
        expect(await store.destroyForUser(bob, { onlySessionId: a1 })).toEqual([]);
        expect(await store.destroyForUser(await user(`${name}-elsewhere`), { onlySessionId: a1 })).toEqual([]);
        expect(await store.readAndExtend(a1, 60_000)).not.toBeNull();
        expect(await store.destroyForUser(alice, { onlySessionId: a1 })).toEqual([a1]);
        expect(await store.readAndExtend(a1, 60_000)).toBeNull();
        expect(await listed(alice)).toEqual([a2]);
      });

      it("revokes all other sessions, or all", async () => {
        const who = await user(`revoke-all-${name}`);
        const ids = [await create(who), await create(who), await create(who)];
        expect((await store.destroyForUser(who, { exceptSessionId: ids[0]! })).sort()).toEqual(ids.slice(1).sort());
        expect(await listed(who)).toEqual([ids[0]]);
        expect(await store.destroyForUser(who, {})).toEqual([ids[0]]);
        expect(await store.readAndExtend(ids[0]!, 60_000)).toBeNull();
      });
    });

    describeRaceContract(context);
    describeInputContract(context);

    it("fails with StoreUnavailableError, not null, when the backend is unreachable", async () => {
      const broken = await harness.unavailableStore();
      const who = await user("unreachable");
      try {
        const id = newSessionId(who);
        await expect(broken.create(id, record(), options())).rejects.toBeInstanceOf(StoreUnavailableError);
        if (capabilities.failsOnlyWhenFull) return; // a full store still serves reads and deletes
        for (const call of [
          () => broken.readAndExtend(id, 60_000),
          () => broken.touch(id, { createdAtSeconds: 0, lastSeenAtSeconds: 1 }),
          () => broken.patch(id, encodeDataPatch({ set: { a: 1 } }), 4096),
          () => broken.destroy(id),
          () => broken.listForUser(who, 0),
          () => broken.destroyForUser(who, {}),
        ]) {
          await expect(call()).rejects.toBeInstanceOf(StoreUnavailableError);
        }
      } finally {
        await broken.close();
      }
    });

    // Only stores with a server have commands to count; the memory store has none.
    if (capabilities.countsCommands)
      it("costs one command in one round trip per read, and one round trip per other operation", async () => {
        if (!harness.measure) throw new Error(`${name} declares countsCommands but its harness has no measure()`);
        const who = await user(`cost-${name}`);
        const id = newSessionId(who);
        const other = newSessionId(who);
        // Warm up: the first use of each script on a server may pay a NOSCRIPT round trip. Every
        // script, on this user's bucket: in a cluster each master has its own script cache, and a
        // warm-up on another user's bucket may load them on another master.
        const warm = await create(who);
        await store.listForUser(who, harness.nowSeconds());
        await store.touch(warm, { createdAtSeconds: 0, lastSeenAtSeconds: 1 });
        await store.patch(warm, encodeDataPatch({ set: { a: 1 } }), 4096);
        await store.destroy(warm);
        await store.destroyForUser(who, {});

        expect(await harness.measure(() => store.readAndExtend(id, 60_000))).toEqual({ commands: 1, roundTrips: 1 });
        expect((await harness.measure(() => store.create(id, record({ userId: who.userId }), options()))).roundTrips).toBe(1);
        expect(await harness.measure(() => store.readAndExtend(id, 60_000))).toEqual({ commands: 1, roundTrips: 1 });
        expect(await harness.measure(() => store.touch(id, { createdAtSeconds: 0, lastSeenAtSeconds: 5 }))).toEqual({ commands: 3, roundTrips: 1 });
        expect(await harness.measure(() => store.patch(id, encodeDataPatch({ set: { a: 1 } }), 4096))).toEqual({ commands: 3, roundTrips: 1 });
        expect((await harness.measure(() => store.create(other, record({ userId: who.userId }), options({ replacesSessionId: id })))).roundTrips).toBe(1);
        expect((await harness.measure(() => store.listForUser(who, harness.nowSeconds()))).roundTrips).toBe(1);
        // A script (the index is keyed by user; the value says whose it was): GETDEL, HGET, HSET.
        expect(await harness.measure(() => store.destroy(other))).toEqual({ commands: 4, roundTrips: 1 });
        expect((await harness.measure(() => store.destroyForUser(who, {}))).roundTrips).toBe(1);
      });
  });
}
