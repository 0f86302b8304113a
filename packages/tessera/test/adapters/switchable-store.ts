import { StoreUnavailableError, type SessionStore } from "tessera";
import { createMemoryStore } from "tessera/memory";

/** Seconds the failing store asks clients to wait; the suite checks it reaches `Retry-After`. */
export const OUTAGE_RETRY_AFTER_SECONDS = 7;

/**
 * The memory store behind a switch, in the manner of @fastify/session's `FailingStore`: it counts
 * every call by method and, while `failing` is on, rejects every call as a store outage would.
 * The adapter suite needs only the store contract's failure shape; real-Redis outages are proven
 * by the conformance and integration suites.
 */
export function switchableStore(): { store: SessionStore; calls: Map<keyof SessionStore, number>; setFailing(failing: boolean): void } {
  const inner = createMemoryStore();
  const calls = new Map<keyof SessionStore, number>();
  let failing = false;
  function wrap<Name extends Exclude<keyof SessionStore, "description">>(name: Name): SessionStore[Name] {
    const method = inner[name] as (...args: unknown[]) => Promise<unknown>;
    return ((...args: unknown[]) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      if (failing && name !== "close") {
        return Promise.reject(
          new StoreUnavailableError("STORE_UNAVAILABLE", "test outage: the store is switched off", { retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS }),
        );
      }
      return method.apply(inner, args);
    }) as SessionStore[Name];
  }
  const store: SessionStore = {
    description: "switchable memory store",
    create: wrap("create"),
    readAndExtend: wrap("readAndExtend"),
    touch: wrap("touch"),
    patch: wrap("patch"),
    destroy: wrap("destroy"),
    listForUser: wrap("listForUser"),
    destroyForUser: wrap("destroyForUser"),
    close: wrap("close"),
  };
  return { store, calls, setFailing: (value) => void (failing = value) };
}
