import type { Context, Env, Hono } from "hono";
import { matchedRoutes } from "hono/route";
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from "prom-client";
import { sessionEventLabels, type SessionEvent, type StoreCallObserver } from "tessera";
import { HotHistogram, type RegistrableMetric } from "./hot-histogram.js";

/**
 * The server's Prometheus metrics (docs/operations.md says what each means and what to alert on).
 * Every label comes from a short fixed set — method, route pattern, status, store operation,
 * error code, event kind — so no user id, token or raw path can reach one.
 */

/** Seconds; a request or a store call on a healthy Redis takes well under a millisecond to a few. */
const DURATION_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const methodLabel = (method: string) => (KNOWN_METHODS.has(method) ? method : "other");
/** The route label of a request no route answered (404, 405): its path could be anything. */
export const UNMATCHED_ROUTE = "(unmatched)";

/** Options of {@link ServerMetrics}. */
export interface ServerMetricsOptions {
  /** Also export prom-client's process metrics (CPU, memory, event-loop delay, GC). @default false */
  processMetrics?: boolean;
  /** The embedded store's session count, when that is the store. */
  memoryStoreSize?: () => number;
}

/** The metrics of one server; each instance has its own registry, so tests and apps do not share counts. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly #requestSeconds = new HotHistogram(
    "tessera_http_request_duration_seconds",
    "Time from receiving a request to its response being ready, by method, route pattern and status.",
    ["method", "route", "status"],
    DURATION_BUCKETS_SECONDS,
  );
  readonly #storeSeconds = new HotHistogram(
    "tessera_store_call_duration_seconds",
    "Duration of session-store calls (one Redis round trip each), by operation and outcome (ok or error).",
    ["operation", "outcome"],
    DURATION_BUCKETS_SECONDS,
  );
  readonly #storeErrors: Counter<"operation" | "code">;
  readonly #sessionEvents: Counter<"event" | "reason">;
  readonly #legacyConversions: Counter;

  constructor(options: ServerMetricsOptions = {}) {
    const registers = [this.registry];
    // The per-request series cost a map lookup per observation (see hot-histogram.ts); the rest are prom-client's own.
    // prom-client's registry takes any object with a name and get(); its type names its own class.
    const register = (metric: RegistrableMetric) => this.registry.registerMetric(metric as unknown as Metric);
    register(this.#requestSeconds.countMetric("tessera_http_requests_total", "HTTP requests answered, by method, route pattern and status."));
    register(this.#requestSeconds.metric());
    register(this.#storeSeconds.metric());
    this.#storeErrors = new Counter({
      name: "tessera_store_errors_total",
      help: "Failed session-store calls, by operation and error code (STORE_UNAVAILABLE, STORE_TIMEOUT, STORE_FULL, …).",
      labelNames: ["operation", "code"],
      registers,
    });
    this.#sessionEvents = new Counter({
      name: "tessera_session_events_total",
      help: "Session lifecycle events: login, rotation, logout, revocation (reason revoke or evicted), expiration (reason idle or absolute).",
      labelNames: ["event", "reason"],
      registers,
    });
    this.#legacyConversions = new Counter({
      name: "tessera_legacy_sessions_converted_total",
      help: "Sessions of the tutorial's app converted into tessera sessions (LEGACY_SEED_SESSIONS).",
      registers,
    });
    // Start every series at 0, so a rate() over the first events is right and dashboards show the series.
    for (const event of ["login", "rotation", "logout"]) this.#sessionEvents.inc({ event, reason: "" }, 0);
    for (const reason of ["revoke", "evicted"]) this.#sessionEvents.inc({ event: "revocation", reason }, 0);
    for (const reason of ["idle", "absolute"]) this.#sessionEvents.inc({ event: "expiration", reason }, 0);

    const { memoryStoreSize } = options;
    if (memoryStoreSize !== undefined) {
      new Gauge({
        name: "tessera_memory_store_sessions",
        help: "Sessions held by the embedded memory store (capped by MEMORY_MAX_SESSIONS; past it logins get 503).",
        registers,
        collect() {
          this.set(memoryStoreSize());
        },
      });
    }
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts and times one answered request. `route` is a route pattern or {@link UNMATCHED_ROUTE}, never a raw path. */
  observeRequest(method: string, route: string, status: number, durationSeconds: number): void {
    this.#requestSeconds.observe([methodLabel(method), route, String(status)], durationSeconds);
  }

  /**
   * {@link observeRequest} for the requests of one method and route, each status's series found
   * once: for the Node lane, whose few routes answer every request of the seed's API.
   */
  routeObserver(method: string, route: string): (status: number, durationSeconds: number) => void {
    const label = methodLabel(method);
    const seriesOf = this.#requestSeconds.seriesByKey((status: number) => [label, route, String(status)]);
    return (status, durationSeconds) => seriesOf(status).observe(durationSeconds);
  }

  /** The `ok` series of each store operation, found once: a read reports one per request. */
  readonly #storeOkSeries = this.#storeSeconds.seriesByKey((operation: string) => [operation, "ok"]);

  /** For `instrumentStore(store, metrics.storeCalls)`. */
  readonly storeCalls: StoreCallObserver = {
    onCall: (operation, durationMs, errorCode) => {
      if (errorCode === undefined) {
        this.#storeOkSeries(operation).observe(durationMs / 1000);
        return;
      }
      this.#storeSeconds.observe([operation, "error"], durationMs / 1000);
      this.#storeErrors.inc({ operation, code: errorCode });
    },
  };

  /** For the session manager's `onEvent`. */
  readonly onSessionEvent = (event: SessionEvent): void => {
    this.#sessionEvents.inc(sessionEventLabels(event));
  };

  /** A tutorial session was converted. */
  legacySessionConverted(): void {
    this.#legacyConversions.inc();
  }

  /** The exposition text and its media type. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

/**
 * The route pattern that answered the request (`/sessions/:handle`), or {@link UNMATCHED_ROUTE}
 * when only middleware ran (404, 405). Read after `next()`, when `routeIndex` points at the
 * handler that answered.
 */
export function routeLabel(c: Context): string {
  const route = matchedRoutes(c)[c.req.routeIndex];
  return route !== undefined && route.method !== "ALL" ? route.path : UNMATCHED_ROUTE;
}

/** `GET /metrics` on `app`: the Prometheus text format. */
export function mountMetricsRoute<E extends Env>(app: Hono<E>, metrics: ServerMetrics): void {
  app.get("/metrics", async (c) => {
    const { body, contentType } = await metrics.render();
    return c.body(body, 200, { "Content-Type": contentType, "Cache-Control": "no-store" });
  });
}
