import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeStoreContract } from "../../testing/index.js";
import { StoreUnavailableError } from "../../core/errors.js";
import type { CreateSessionOptions } from "../../core/store.js";
import { withRandomInterleaving } from "../../testing/index.js";
import { createMemoryStore } from "./memory-store.js";

const record = {
  userId: "ada",
  device: { userAgent: "test", ip: "" },
  createdAtSeconds: 0,
  absoluteExpiresAtSeconds: 10_000_000_000,
  lastSeenAtSeconds: 0,
  data: {},
};
const options = (ttlMs: number): CreateSessionOptions => ({
  ttlMs,
  indexTtlMs: ttlMs,
  maxSessionsPerUser: 0,
  nowSeconds: 0,
});

function fakeClock(start = 1_800_000_000_000) {
  let nowMs = start;
  return { now: () => nowMs, advance: (ms: number) => (nowMs += ms) };
}

describeStoreContract(
  "memory",
  async () => {
    const clock = fakeClock();
    const store = createMemoryStore({ now: clock.now, maxSessions: 20_000 });
    let seed = 0;
    return {
      store,
      independentStore: async () => withRandomInterleaving(store, ++seed),
      async fillBackend() {
        const fillers: string[] = [];
        for (let i = 0; i < 20_000; i++) {
          const id = `FL${String(i).padStart(24, "0")}`;
          try {
            await store.create(id, { ...record, userId: `filler-${i}` }, options(600_000));
          } catch (error) {
            if (error instanceof StoreUnavailableError && error.code === "STORE_FULL") break;
            throw error;
          }
          fillers.push(id);
        }
        return async () => void (await Promise.all(fillers.map((id) => store.destroy(id))));
      },
      elapse: async (ms) => void clock.advance(ms),
      nowSeconds: () => Math.floor(clock.now() / 1000),
      // The memory store has no backend to lose; "unavailable" for it means full.
      unavailableStore: async () => {
        const full = createMemoryStore({ maxSessions: 1, now: clock.now });
        await full.create("AAoccupant", record, options(60_000));
        return full;
      },
      close: async () => undefined,
    };
  },
  { countsCommands: false, failsOnlyWhenFull: true, prunesIndexEagerly: true },
  { describe, it, beforeAll, afterAll },
);

describe("memory store limits", () => {
  it("refuses a login when full of live sessions, naming the setting to raise", async () => {
    const store = createMemoryStore({ maxSessions: 2 });
    await store.create("AAa", record, options(60_000));
    await store.create("AAb", record, options(60_000));
    const error = await store.create("AAc", record, options(60_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).code).toBe("STORE_FULL");
    expect((error as Error).message).toContain("maxSessions");
    // Nobody who was logged in lost their session.
    expect(await store.readAndExtend("AAa", 60_000)).not.toBeNull();
    expect(await store.readAndExtend("AAb", 60_000)).not.toBeNull();
  });

  it("makes room by dropping expired sessions before refusing", async () => {
    const clock = fakeClock();
    const store = createMemoryStore({ maxSessions: 2, now: clock.now });
    await store.create("AAa", record, options(1000));
    await store.create("AAb", { ...record, userId: "bob" }, options(1000));
    clock.advance(1001);
    await store.create("AAc", { ...record, userId: "cy" }, options(1000));
    expect(store.size).toBe(1);
  });

  it("when full, a rotating login still succeeds (it frees what it takes), and a refused one changes nothing", async () => {
    const store = createMemoryStore({ maxSessions: 2 });
    await store.create("AAa", record, options(60_000));
    await store.create("AAb", { ...record, userId: "bob" }, options(60_000));
    expect((await store.create("AAc", record, { ...options(60_000), replacesSessionId: "AAa" })).replaced).toBe(true);
    expect(await store.readAndExtend("AAa", 60_000)).toBeNull();
    expect(store.size).toBe(2);
    // With a per-user limit the evictions would free room, but a refusal must not have made them:
    // here the rotation names a session that does not exist, so nothing is freed and nothing lost.
    const refused = await store.create("AAd", record, { ...options(60_000), replacesSessionId: "AAgone" }).catch((e: unknown) => e);
    expect((refused as StoreUnavailableError).code).toBe("STORE_FULL");
    expect(await store.readAndExtend("AAb", 60_000)).not.toBeNull();
    expect(await store.readAndExtend("AAc", 60_000)).not.toBeNull();
  });

  it("a refused login looks at a bounded number of sessions, not all of them", async () => {
    // 100 live sessions at the front of the store's order, then 900 that have expired behind them.
    // A refusal that scanned everything would find room; a bounded one (O(1)) does not look that far.
    const clock = fakeClock();
    const store = createMemoryStore({ maxSessions: 1000, now: clock.now });
    for (let i = 0; i < 100; i++) await store.create(`LV${i}`, { ...record, userId: `live${i}` }, options(3_600_000));
    for (let i = 0; i < 900; i++) await store.create(`EX${i}`, { ...record, userId: `gone${i}` }, options(1000));
    clock.advance(2000);
    const error = await store.create("NEW", { ...record, userId: "late" }, options(1000)).catch((e: unknown) => e);
    expect((error as StoreUnavailableError).code).toBe("STORE_FULL");
    expect(store.size).toBe(1000);
  });

  it("does not grow without bound under churn: expired sessions (and their index entries) are swept", async () => {
    const clock = fakeClock();
    const store = createMemoryStore({ now: clock.now });
    for (let i = 0; i < 10_000; i++) {
      await store.create(`AA${i}`, { ...record, userId: `user${i}` }, options(1000));
      clock.advance(10); // each session outlives the next 100 logins only
    }
    // Without sweeping all 10 000 would still be held; with it, about the last 100 live ones.
    expect(store.size).toBeLessThan(200);
  });

  it("rejects a nonsensical capacity at construction", () => {
    expect(() => createMemoryStore({ maxSessions: 0 })).toThrow(/maxSessions/);
  });
});
