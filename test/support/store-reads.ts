import type { SessionStore } from "../../packages/tessera/src/core/store.js";

/**
 * Microtask turns from `from` settling (at once when not given) until `promise` settles: how many
 * promise reactions lie on a code path, which a test compares between two ways of doing the same
 * thing without timing anything.
 */
export async function microtaskTurnsUntilSettled(promise: Promise<unknown>, from?: Promise<unknown>): Promise<number> {
  let settled = false;
  const done = () => {
    settled = true;
  };
  promise.then(done, done);
  if (from !== undefined) await from;
  let turns = 0;
  while (!settled) {
    await Promise.resolve();
    if (++turns > 1000) throw new Error("the promise did not settle within 1000 microtask turns");
  }
  return turns;
}

/**
 * A copy of `store` with a `readAndExtend` of its own that records each session id it reads: a
 * store the manager can read only through `readAndExtend`, since a copy cannot carry the original's
 * fused read (see `readAndExtendThenOf`).
 */
export function withTracedReads(store: SessionStore): { store: SessionStore; read: string[] } {
  const read: string[] = [];
  return {
    read,
    store: {
      ...store,
      description: store.description,
      readAndExtend: (sessionId, ttlMs) => {
        read.push(sessionId);
        return store.readAndExtend(sessionId, ttlMs);
      },
    },
  };
}
