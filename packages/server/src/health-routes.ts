import type { Env, Hono } from "hono";
import { SESSION_ID_LENGTH, storeErrorCode, type SessionStore } from "tessera";

/**
 * Probe ids: the readiness check reads this session id, which no token hashes to (it would take a
 * 144-bit SHA-256 collision). A read of a missing key is the cheapest call every store has, and it
 * changes nothing: `GETEX` on a missing key sets no TTL and creates nothing.
 */
export const READINESS_PROBE_SESSION_ID = "00readinessprobe".padEnd(SESSION_ID_LENGTH, "0");

/** The detail `/readyz` gives for each store error code: fixed sentences, never the store's own message (it may name internal hosts). */
const NOT_READY_DETAIL: Readonly<Record<string, string>> = {
  STORE_TIMEOUT: "session store did not answer within its deadline (STORE_TIMEOUT)",
  STORE_UNAVAILABLE: "session store is unreachable or answered with an error (STORE_UNAVAILABLE)",
  STORE_FULL: "session store is full (STORE_FULL)",
};

/** Options of {@link mountHealthRoutes}. */
export interface HealthRoutesOptions {
  /** The store to probe: the plain one, so probes neither end an outage in the log nor count as session traffic. */
  store: SessionStore;
  /**
   * A last bound on the probe, for a store that does not keep its own deadline. The Redis and
   * Upstash stores answer within `commandTimeoutMs` (1 s by default) plus a tick. @default 2000
   */
  timeoutMs?: number;
  /** True once shutdown has begun: `/readyz` then says 503 so load balancers stop sending traffic. */
  isDraining?: () => boolean;
}

/**
 * `GET /healthz`: 200 while the process serves HTTP, with no store call (a liveness probe must
 * not restart a healthy server because Redis is down). `GET /readyz`: 200 when the store answers
 * a read within its deadline, else 503 with a JSON `detail` giving the reason (and while shutting
 * down). Both `no-store`; mount them before the same-origin guard and the session middleware.
 */
export function mountHealthRoutes<E extends Env>(app: Hono<E>, options: HealthRoutesOptions): void {
  const { store, isDraining } = options;
  const timeoutMs = options.timeoutMs ?? 2000;
  const noStore = { "Cache-Control": "no-store" };

  app.get("/healthz", (c) => c.json({ status: "ok" }, 200, noStore));

  app.get("/readyz", async (c) => {
    if (isDraining?.()) return c.json({ detail: "shutting down: not taking new requests" }, 503, noStore);
    const reason = await probe(store, timeoutMs);
    if (reason !== null) return c.json({ detail: reason }, 503, noStore);
    return c.json({ status: "ready" }, 200, noStore);
  });
}

/** `null` when the store answered in time, else why not. */
async function probe(store: SessionStore, timeoutMs: number): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`session store did not answer within ${timeoutMs} ms`), timeoutMs);
  });
  const answered = store.readAndExtend(READINESS_PROBE_SESSION_ID, 1).then(
    () => null,
    (error: unknown) => NOT_READY_DETAIL[storeErrorCode(error)] ?? "session store failed",
  );
  try {
    return await Promise.race([answered, late]);
  } finally {
    clearTimeout(timer);
  }
}
