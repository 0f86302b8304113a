import { expect } from "./expect.js";
import { afterAll, beforeAll, describe, it } from "./runner.js";
import { encodeDataPatch } from "../core/record.js";
import type { SessionStore } from "../core/store.js";
import { newSessionId, user, type ContractContext } from "./fixtures.js";

/** Independent connections each race runs over. */
const CONNECTIONS = 5;

/**
 * The contract's guarantees under concurrency. Every racer runs on its own store from
 * `harness.independentStore()` — its own connection to the backend — so commands really race
 * instead of queueing in order on one pipelined connection. Loops are bounded in count.
 */
export function describeRaceContract({ name, capabilities, harness, store, record, options, create, listed }: ContractContext): void {
  describe("under concurrency, over independent connections (bounded loops)", () => {
    let pool: SessionStore[] = [];
    beforeAll(async () => {
      pool = await Promise.all(Array.from({ length: CONNECTIONS }, () => harness().independentStore()));
    });
    afterAll(async () => {
      await Promise.all(pool.map((connection) => connection.close()));
    });
    /** The store for racer `index` in `round`: a different connection for each racer, rotating by round. */
    const on = (round: number, index: number) => pool[(round + index) % pool.length]!;

    it("a read, touch or patch racing a destroy never brings the session back (200 rounds)", async () => {
      const who = await user(`race-resurrect-${name}`);
      for (let round = 0; round < 200; round++) {
        const id = await create(who);
        const racers = [
          (s: SessionStore) => s.destroy(id),
          (s: SessionStore) => s.readAndExtend(id, 60_000),
          (s: SessionStore) => s.touch(id, { createdAtSeconds: 0, lastSeenAtSeconds: round }),
          (s: SessionStore) => s.patch(id, encodeDataPatch({ set: { round } }), 4096),
          (s: SessionStore) => s.destroyForUser(who, { onlySessionId: id }),
        ];
        if (round % 2) racers.reverse();
        await Promise.all(racers.map((run, index) => run(on(round, index))));
        expect(await store().readAndExtend(id, 60_000)).toBeNull();
      }
      expect(await listed(who)).toEqual([]);
    });

    it("revoking all of a user's sessions while they log in removes every session that existed before (50 rounds)", async () => {
      const who = await user(`race-revoke-${name}`);
      for (let round = 0; round < 50; round++) {
        const before = await Promise.all(Array.from({ length: 5 }, () => create(who)));
        const [destroyed] = await Promise.all([
          on(round, 0).destroyForUser(who, {}),
          ...Array.from({ length: 5 }, (_, index) => create(who, {}, on(round, index + 1))),
        ]);
        for (const id of before) {
          expect(destroyed).toContain(id);
          expect(await store().readAndExtend(id, 60_000)).toBeNull();
        }
        await store().destroyForUser(who, {});
      }
    });

    it("concurrent patches of different keys all survive (100 rounds of 10)", async () => {
      const id = await create(await user(`race-patch-${name}`));
      for (let round = 0; round < 100; round++) {
        await Promise.all(Array.from({ length: 10 }, (_, key) => on(round, key).patch(id, encodeDataPatch({ set: { [`k${key}`]: round } }), 4096)));
        const data = (await store().readAndExtend(id, 60_000))?.data as Record<string, number>;
        expect(Object.keys(data).sort()).toEqual(Array.from({ length: 10 }, (_, key) => `k${key}`).sort());
        expect(Object.values(data).every((value) => value === round)).toBe(true);
      }
    });

    it("rotation never leaves both sessions valid: whenever the new one reads, the old one is gone (100 rounds)", async () => {
      const who = await user(`race-rotate-${name}`);
      const other = await user(`race-rotate-other-${name}`);
      for (let round = 0; round < 100; round++) {
        // Half the rounds replace a session of another bucket (logging in over someone else's cookie).
        const acrossBuckets = round % 2 === 1;
        const oldId = await create(acrossBuckets ? other : who);
        const newId = newSessionId(who);
        const atomic = !(acrossBuckets && capabilities.rotatesAcrossBucketsInSteps);
        let done = false;
        const rotation = on(round, 0)
          .create(newId, record({ userId: who.userId }), options({ replacesSessionId: oldId }))
          .finally(() => (done = true));
        const observers = [1, 2].map(async (index) => {
          for (let probe = 0; probe < 50 && !done; probe++) {
            const newer = await on(round, index).readAndExtend(newId, 60_000);
            const older = await on(round, index).readAndExtend(oldId, 60_000);
            if (newer !== null && atomic) expect(older).toBeNull();
          }
        });
        await Promise.all([rotation, ...observers]);
        expect(await store().readAndExtend(oldId, 60_000)).toBeNull();
        expect(await store().readAndExtend(newId, 60_000)).not.toBeNull();
      }
    });

    it("two logins replacing the same session: it is replaced once, and both new sessions exist (50 rounds)", async () => {
      const who = await user(`race-double-${name}`);
      for (let round = 0; round < 50; round++) {
        const oldId = await create(who);
        const newIds = [newSessionId(who), newSessionId(who)];
        const results = await Promise.all(
          newIds.map((id, index) => on(round, index).create(id, record({ userId: who.userId }), options({ replacesSessionId: oldId }))),
        );
        expect(results.filter((result) => result.replaced)).toHaveLength(1);
        expect(await store().readAndExtend(oldId, 60_000)).toBeNull();
        for (const id of newIds) expect(await store().readAndExtend(id, 60_000)).not.toBeNull();
        await store().destroyForUser(who, {});
      }
    });

    it("maxSessionsPerUser holds under 20 concurrent logins of one user (10 rounds)", async () => {
      const who = await user(`race-limit-${name}`);
      for (let round = 0; round < 10; round++) {
        const created = await Promise.all(Array.from({ length: 20 }, (_, index) => create(who, { options: { maxSessionsPerUser: 3 } }, on(round, index))));
        const left = await listed(who);
        expect(left).toHaveLength(3);
        for (const id of left) expect(created).toContain(id);
        await store().destroyForUser(who, {});
      }
    });
  });
}
