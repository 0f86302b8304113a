import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/core/errors.js";
import type { SessionRecord } from "../../src/core/record.js";
import type { SessionStore } from "../../src/core/store.js";

/** What a store needs to provide to run the shared contract tests. */
export interface StoreHarness {
  store: SessionStore;
  /** Lets `ms` pass for the store: a fake clock for memory, a real sleep for server stores. */
  elapse(ms: number): Promise<void>;
  /**
   * Runs `operation` and reports the commands the backend executed (from the server's own
   * counters) and the round trips the client made. Omitted for stores with no backend.
   */
  measure?(operation: () => Promise<unknown>): Promise<{ commands: number; roundTrips: number }>;
  /** A store of the same kind whose backend cannot be reached. */
  unavailableStore(): Promise<SessionStore>;
  close(): Promise<void>;
}

let counter = 0;
/** Store ids as the manager makes them: 24 base64url characters. */
const newId = () => `${`test${process.pid}x${++counter}`.padEnd(24, "A")}`;

const record = (overrides: Partial<SessionRecord> = {}): SessionRecord => ({
  userId: "ada",
  createdAtSeconds: 1_800_000_000,
  absoluteExpiresAtSeconds: 1_800_043_200,
  data: {},
  ...overrides,
});

/**
 * The store contract (`src/core/store.ts`) as tests. Every store runs exactly these, against its
 * real backend, so no store can drift from the others.
 */
export function describeStoreContract(
  name: string,
  createHarness: () => Promise<StoreHarness>,
  capabilities: { countsCommands: boolean; failsOnlyWhenFull?: boolean },
): void {
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

    it("reads back exactly what was created", async () => {
      const id = newId();
      const stored = record({ userId: "ünïcode 用户 🎉", data: { zip: "0012", n: 12, nested: { list: [1, "2", null, true] }, empty: "" } });
      await store.create(id, stored, { ttlMs: 60_000 });
      expect(await store.readAndExtend(id, 60_000)).toEqual(stored);
    });

    it("returns null for a session that never existed", async () => {
      expect(await store.readAndExtend(newId(), 60_000)).toBeNull();
    });

    it("expires a session after its TTL", async () => {
      const id = newId();
      await store.create(id, record(), { ttlMs: 1 });
      await harness.elapse(20);
      expect(await store.readAndExtend(id, 60_000)).toBeNull();
    });

    it("slides the expiry on every read", async () => {
      const id = newId();
      await store.create(id, record(), { ttlMs: 1000 });
      await harness.elapse(700);
      expect(await store.readAndExtend(id, 1000)).not.toBeNull();
      await harness.elapse(700); // 1400 ms after creation: alive only because the read slid it
      expect(await store.readAndExtend(id, 1000)).not.toBeNull();
    });

    it("rotation deletes the replaced session and creates the new one", async () => {
      const oldId = newId();
      const newIdValue = newId();
      await store.create(oldId, record({ userId: "old" }), { ttlMs: 60_000 });
      await store.create(newIdValue, record({ userId: "new" }), { ttlMs: 60_000, replacesSessionId: oldId });
      expect(await store.readAndExtend(oldId, 60_000)).toBeNull();
      expect((await store.readAndExtend(newIdValue, 60_000))?.userId).toBe("new");
    });

    it("rotation from a session that no longer exists still creates the new one", async () => {
      const id = newId();
      await store.create(id, record(), { ttlMs: 60_000, replacesSessionId: newId() });
      expect(await store.readAndExtend(id, 60_000)).not.toBeNull();
    });

    it("updates an existing session without extending its expiry", async () => {
      const id = newId();
      await store.create(id, record(), { ttlMs: 400 });
      expect(await store.update(id, record({ data: { theme: "dark" } }))).toBe(true);
      expect((await store.readAndExtend(id, 400))?.data).toEqual({ theme: "dark" });
      expect(await store.update(id, record({ data: { theme: "light" } }))).toBe(true);
      await harness.elapse(600);
      expect(await store.readAndExtend(id, 400)).toBeNull();
    });

    it("never resurrects a destroyed session through update", async () => {
      const id = newId();
      await store.create(id, record(), { ttlMs: 60_000 });
      await store.destroy(id);
      expect(await store.update(id, record({ data: { late: true } }))).toBe(false);
      expect(await store.readAndExtend(id, 60_000)).toBeNull();
    });

    it("destroys sessions, and destroying a missing one is not an error", async () => {
      const id = newId();
      await store.create(id, record(), { ttlMs: 60_000 });
      await store.destroy(id);
      expect(await store.readAndExtend(id, 60_000)).toBeNull();
      await expect(store.destroy(newId())).resolves.toBeUndefined();
    });

    it("fails with StoreUnavailableError, not null, when the backend is unreachable", async () => {
      const broken = await harness.unavailableStore();
      try {
        const id = newId();
        await expect(broken.create(id, record(), { ttlMs: 60_000 })).rejects.toBeInstanceOf(StoreUnavailableError);
        if (capabilities.failsOnlyWhenFull) return; // a full store still serves reads and deletes
        await expect(broken.readAndExtend(id, 60_000)).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(broken.update(id, record())).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(broken.destroy(id)).rejects.toBeInstanceOf(StoreUnavailableError);
      } finally {
        await broken.close();
      }
    });

    // Only stores with a server have commands to count; the memory store has none.
    if (capabilities.countsCommands)
      it("costs one command in one round trip per read, one round trip per write", async () => {
      if (!harness.measure) throw new Error(`${name} declares countsCommands but its harness has no measure()`);
      const id = newId();
      const otherId = newId();
      expect(await harness.measure(() => store.create(id, record(), { ttlMs: 60_000 }))).toEqual({ commands: 1, roundTrips: 1 });
      expect(await harness.measure(() => store.readAndExtend(id, 60_000))).toEqual({ commands: 1, roundTrips: 1 });
      expect(await harness.measure(() => store.readAndExtend(newId(), 60_000))).toEqual({ commands: 1, roundTrips: 1 });
      expect(await harness.measure(() => store.update(id, record({ data: { a: 1 } })))).toEqual({ commands: 1, roundTrips: 1 });
      expect(await harness.measure(() => store.create(otherId, record(), { ttlMs: 60_000, replacesSessionId: id }))).toEqual({ commands: 2, roundTrips: 1 });
      expect(await harness.measure(() => store.destroy(otherId))).toEqual({ commands: 1, roundTrips: 1 });
    });
  });
}
