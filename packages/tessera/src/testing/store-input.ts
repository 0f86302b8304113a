import { expect } from "./expect.js";
import { describe, it } from "./runner.js";
import { SessionInputError, StoreUnavailableError } from "../core/errors.js";
import type { UserRef } from "../core/store.js";
import { newSessionId, user, usersSharingABucket, type ContractContext } from "./fixtures.js";

/** Hostile or odd input at the store boundary, and a backend that is full. */
export function describeInputContract({ name, harness, store, record, options, create, listed }: ContractContext): void {
  describe("hostile input", () => {
    it("revoking one session by anything but a whole session id ends nothing", async () => {
      const [alice, bob] = await usersSharingABucket(`revoke-shape-${name}`);
      const mine = [await create(alice), await create(alice)];
      const bobs = await create(bob);
      const token = `${alice.bucket}${"A".repeat(43)}`;
      for (const onlySessionId of ["", alice.bucket, mine[0]!.slice(0, 3), mine[0]!.slice(0, -1), `${mine[0]}A`, token]) {
        expect(await store().destroyForUser(alice, { onlySessionId }), JSON.stringify(onlySessionId)).toEqual([]);
      }
      expect(await listed(alice)).toEqual([...mine].sort());
      expect(await listed(bob)).toEqual([bobs]);
    });

    it("refuses a user id that is not well-formed Unicode, and never merges it with U+FFFD's owner", async () => {
      // Every UTF-8 encoder turns a lone surrogate into U+FFFD, so both would hash to one bucket and
      // share an owner in Redis; the store refuses rather than guess.
      const replacement = await user("\ufffd");
      const lone: UserRef = { userId: "\ud800", bucket: replacement.bucket };
      const kept = await create(replacement);
      await expect(store().create(newSessionId(lone), record({ userId: lone.userId }), options())).rejects.toBeInstanceOf(SessionInputError);
      await expect(store().listForUser(lone, harness().nowSeconds())).rejects.toBeInstanceOf(SessionInputError);
      await expect(store().destroyForUser(lone, {})).rejects.toThrow(/well-formed Unicode/);
      expect(await listed(replacement)).toEqual([kept]);
      expect(await store().readAndExtend(kept, 60_000)).not.toBeNull();
      await store().destroyForUser(replacement, {});
    });

    it("compares owners exactly: ids equal after normalization, case folding or truncation stay apart", async () => {
      // One bucket for all, so only the owner comparison inside the bucket's index keeps them apart.
      const { bucket } = await user(`exact-${name}`);
      const ids = ["\u00e9", "e\u0301", "E\u0301", "\ufffd", "a\u0000b", "a", "a\u001eb", "😀", "\ud83d\ude00x"];
      const sessions = new Map<string, string>();
      for (const userId of ids) await store().destroyForUser({ userId, bucket }, {}); // the memory store has one index for all buckets
      for (const userId of ids) sessions.set(userId, await create({ userId, bucket }));
      for (const userId of ids) expect(await listed({ userId, bucket }), JSON.stringify(userId)).toEqual([sessions.get(userId)]);
      expect(await store().destroyForUser({ userId: "a", bucket }, {})).toEqual([sessions.get("a")]);
      expect(await listed({ userId: "a\u0000b", bucket })).toEqual([sessions.get("a\u0000b")]);
      for (const userId of ids) await store().destroyForUser({ userId, bucket }, {});
    });

    it("a logout or a rotation finds its owner's list whatever the user id holds (escapes, NUL, separators, emoji)", async () => {
      // A store may have to recover the owner from the stored record to fix its index: any
      // mismatch between the two encodings would leave the session listed after it ended.
      for (const userId of ['q"uote\\back/slash', "a\u0000b", "a\u001eb", "tab\tnew\nline", "😀用户", "\u00e9"]) {
        const who = await user(`${name}-${userId}`);
        const named = { ...who, userId };
        const [first, second] = [await create(named), await create(named)];
        expect((await store().destroy(first))?.userId, JSON.stringify(userId)).toBe(userId);
        const listing = await store().listForUser(named, harness().nowSeconds());
        expect(
          listing.sessions.map((s) => s.sessionId),
          JSON.stringify(userId),
        ).toEqual([second]);
        expect(listing.expired, `${JSON.stringify(userId)}: a logged-out session must leave its owner's index, not linger as "expired"`).toEqual([]);
        const rotated = newSessionId(named);
        expect((await store().create(rotated, record({ userId }), options({ replacesSessionId: second }))).replaced).toBe(true);
        expect(await listed(named), JSON.stringify(userId)).toEqual([rotated]);
        expect(await store().destroyForUser(named, {})).toEqual([rotated]);
      }
    });
  });

  describe("a full backend", () => {
    it("refuses logins with STORE_FULL and loses no session; a rotating login keeps the old session or replaces it, never both", async () => {
      const who = await user(`full-${name}`);
      const old = await create(who);
      const bystander = await create(await user(`full-bystander-${name}`));
      const fresh = newSessionId(who);
      const rotated = newSessionId(who);
      const undo = await harness().fillBackend();
      let rotation: PromiseSettledResult<unknown>;
      try {
        const refused = await store()
          .create(fresh, record({ userId: who.userId }), options())
          .catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(StoreUnavailableError);
        expect((refused as StoreUnavailableError).code).toBe("STORE_FULL");
        [rotation] = await Promise.allSettled([store().create(rotated, record({ userId: who.userId }), options({ replacesSessionId: old }))]);
        // Reads still work while full: nobody is logged out by the outage.
        expect(await store().readAndExtend(bystander, 60_000)).not.toBeNull();
      } finally {
        await undo();
      }
      expect(await store().readAndExtend(fresh, 60_000)).toBeNull();
      const [oldAfter, newAfter] = [await store().readAndExtend(old, 60_000), await store().readAndExtend(rotated, 60_000)];
      if (rotation.status === "rejected") {
        expect(rotation.reason).toBeInstanceOf(StoreUnavailableError);
        expect(oldAfter, "a refused rotation must keep the old session").not.toBeNull();
        expect(newAfter).toBeNull();
      } else {
        expect(oldAfter, "a rotation that succeeded must have ended the old session").toBeNull();
        expect(newAfter).not.toBeNull();
      }
      expect(await store().readAndExtend(bystander, 60_000)).not.toBeNull();
    });
  });
}
