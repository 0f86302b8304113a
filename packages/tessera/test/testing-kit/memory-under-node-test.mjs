// The conformance kit under node:test, as a third-party store author would run it, against the
// built package. With BREAK_STORE=1 the store's `destroy` forgets to delete: the kit must fail.
import { after, before, describe, it } from "node:test";
import { createMemoryStore } from "tessera/memory";
import { describeStoreContract } from "tessera/testing";

describeStoreContract(
  process.env.BREAK_STORE === "1" ? "memory (destroy broken on purpose)" : "memory",
  async () => {
    let nowMs = 1_800_000_000_000;
    const store = createMemoryStore({ now: () => nowMs, maxSessions: 2_000 });
    if (process.env.BREAK_STORE === "1") store.destroy = async () => null;
    return {
      store,
      independentStore: async () => store,
      async fillBackend() {
        const ids = [];
        const record = {
          userId: "filler",
          device: { userAgent: "x", ip: "" },
          createdAtSeconds: 1_800_000_000,
          absoluteExpiresAtSeconds: 1_800_043_200,
          lastSeenAtSeconds: 1_800_000_000,
          data: {},
        };
        for (let i = 0; i < 2_000; i++) {
          const id = `FL${String(i).padStart(24, "0")}`;
          try {
            await store.create(
              id,
              { ...record, userId: `filler-${i}` },
              { ttlMs: 600_000, indexTtlMs: 600_000, maxSessionsPerUser: 0, nowSeconds: 1_800_000_000 },
            );
          } catch {
            break;
          }
          ids.push(id);
        }
        return async () => void (await Promise.all(ids.map((id) => store.destroy(id))));
      },
      elapse: async (ms) => void (nowMs += ms),
      nowSeconds: () => Math.floor(nowMs / 1000),
      // The memory store has no backend to lose; "unavailable" for it means full.
      unavailableStore: async () => {
        const full = createMemoryStore({ maxSessions: 1, now: () => nowMs });
        await full.create(
          "AAoccupant",
          {
            userId: "occupant",
            device: { userAgent: "x", ip: "" },
            createdAtSeconds: 1_800_000_000,
            absoluteExpiresAtSeconds: 1_800_043_200,
            lastSeenAtSeconds: 1_800_000_000,
            data: {},
          },
          { ttlMs: 60_000, indexTtlMs: 60_000, maxSessionsPerUser: 0, nowSeconds: 1_800_000_000 },
        );
        return full;
      },
      close: () => store.close(),
    };
  },
  { countsCommands: false, failsOnlyWhenFull: true, prunesIndexEagerly: true },
  { describe, it, before, after },
);
