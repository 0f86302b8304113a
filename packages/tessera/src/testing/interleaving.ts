import type { SessionStore } from "../core/store.js";

/**
 * A view of an in-process store whose every call starts, and settles, after a random number of
 * event-loop turns. The memory store runs each call synchronously, so two calls can only
 * interleave at their await points; without jitter, concurrent calls would always reach it in
 * the order they were made. Seeded, so a failing order can be replayed.
 */
export function withRandomInterleaving(store: SessionStore, seed: number): SessionStore {
  const random = mulberry32(seed);
  const turns = async () => {
    for (let turn = Math.floor(random() * 4); turn > 0; turn--) {
      // Alternate microtask and macrotask turns: both are places other calls can run.
      await (random() < 0.5 ? Promise.resolve() : new Promise<void>((resolve) => setTimeout(resolve, 0)));
    }
  };
  const jittered =
    <Args extends unknown[], Result>(call: (...args: Args) => Promise<Result>) =>
    async (...args: Args): Promise<Result> => {
      await turns();
      const result = await call(...args);
      await turns();
      return result;
    };
  return {
    description: `${store.description}, randomly interleaved (seed ${seed})`,
    create: jittered(store.create.bind(store)),
    readAndExtend: jittered(store.readAndExtend.bind(store)),
    touch: jittered(store.touch.bind(store)),
    patch: jittered(store.patch.bind(store)),
    destroy: jittered(store.destroy.bind(store)),
    listForUser: jittered(store.listForUser.bind(store)),
    destroyForUser: jittered(store.destroyForUser.bind(store)),
    // The sessions belong to the shared store; closing a view must not drop them.
    close: async () => undefined,
  };
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
