import { describe, expect, it } from "vitest";
import { createSessionManager, instrumentStore, StoreUnavailableError, type SessionStore } from "tessera";
import { createMemoryStore } from "tessera/memory";
import { createApp, type ServerSessionData } from "./app.js";
import { READINESS_PROBE_SESSION_ID } from "./health-routes.js";
import { silentLogger } from "./logger.js";
import { ServerMetrics, UNMATCHED_ROUTE } from "./metrics.js";

/** A memory store that counts every call and can be made to fail or hang. */
function controllableStore() {
  const inner = createMemoryStore();
  let calls = 0;
  let mode: "up" | "down" | "hung" = "up";
  const gate = <T>(work: () => Promise<T>): Promise<T> => {
    calls++;
    if (mode === "down") return Promise.reject(new StoreUnavailableError("STORE_UNAVAILABLE", "Redis at redis://internal-host:6379 is unreachable"));
    if (mode === "hung") return new Promise<T>(() => undefined);
    return work();
  };
  const store: SessionStore & { readonly size: number } = {
    get description() {
      return inner.description;
    },
    get size() {
      return inner.size;
    },
    create: (...args) => gate(() => inner.create(...args)),
    readAndExtend: (...args) => gate(() => inner.readAndExtend(...args)),
    touch: (...args) => gate(() => inner.touch(...args)),
    patch: (...args) => gate(() => inner.patch(...args)),
    destroy: (...args) => gate(() => inner.destroy(...args)),
    listForUser: (...args) => gate(() => inner.listForUser(...args)),
    destroyForUser: (...args) => gate(() => inner.destroyForUser(...args)),
    close: () => inner.close(),
  };
  return { store, calls: () => calls, set: (next: typeof mode) => void (mode = next) };
}

function makeServer(options: { timeoutMs?: number; draining?: () => boolean } = {}) {
  const backend = controllableStore();
  const metrics = new ServerMetrics({ memoryStoreSize: () => backend.store.size });
  const sessions = createSessionManager<ServerSessionData>({ store: instrumentStore(backend.store, metrics.storeCalls), onEvent: metrics.onSessionEvent });
  const app = createApp({
    sessions,
    logger: silentLogger,
    metrics,
    health: {
      store: backend.store,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.draining ? { isDraining: options.draining } : {}),
    },
  });
  return { app, backend, metrics };
}

const login = async (app: ReturnType<typeof makeServer>["app"], username: string) => {
  const response = await app.request("/login/", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username }) });
  return ((await response.json()) as { session_id: string }).session_id;
};

describe("/healthz and /readyz", () => {
  it("/healthz answers 200 without a store call, even with the store down", async () => {
    const { app, backend } = makeServer();
    backend.set("down");
    const response = await app.request("/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(backend.calls()).toBe(0);
  });

  it("/readyz is 200 when the store answers, with one read of a probe id and nothing written", async () => {
    const { app, backend } = makeServer();
    const response = await app.request("/readyz");
    expect([response.status, await response.json()]).toEqual([200, { status: "ready" }]);
    expect(backend.calls()).toBe(1);
    expect(backend.store.size).toBe(0);
    expect(READINESS_PROBE_SESSION_ID).toHaveLength(26);
  });

  it("/readyz is 503 with the store's error code as the reason, and no internal host name", async () => {
    const { app, backend } = makeServer();
    backend.set("down");
    const response = await app.request("/readyz");
    expect(response.status).toBe(503);
    const body = (await response.json()) as { detail: string };
    expect(body.detail).toContain("STORE_UNAVAILABLE");
    expect(body.detail).not.toContain("internal-host");
  });

  it("/readyz is 503 when the store does not answer within the probe's bound", async () => {
    const { app, backend } = makeServer({ timeoutMs: 50 });
    backend.set("hung");
    const response = await app.request("/readyz");
    expect([response.status, await response.json()]).toEqual([503, { detail: "session store did not answer within 50 ms" }]);
  });

  it("/readyz is 503 once shutdown has begun", async () => {
    let draining = false;
    const { app } = makeServer({ draining: () => draining });
    expect((await app.request("/readyz")).status).toBe(200);
    draining = true;
    const response = await app.request("/readyz");
    expect([response.status, await response.json()]).toEqual([503, { detail: "shutting down: not taking new requests" }]);
  });

  it("probes answer whatever site the request claims to come from", async () => {
    const { app } = makeServer();
    const crossSite = { headers: { "sec-fetch-site": "cross-site", origin: "https://evil.example" } };
    for (const path of ["/healthz", "/readyz", "/metrics"]) expect([path, (await app.request(path, crossSite)).status]).toEqual([path, 200]);
  });
});

describe("/metrics", () => {
  it("labels requests by route pattern and status, never by raw path, user or token", async () => {
    const { app } = makeServer();
    const user = "alice@example.com";
    const token = await login(app, user);
    const cookie = { headers: { cookie: `session_id=${token}` } };
    await app.request("/profile/", cookie);
    await app.request("/profile");
    await app.request(`/sessions/${token}`, { method: "DELETE", ...cookie });
    await app.request(`/no/such/${token}`);
    const text = await (await app.request("/metrics")).text();
    expect(text).toContain('tessera_http_requests_total{method="POST",route="/login",status="200"} 1');
    expect(text).toContain('tessera_http_requests_total{method="GET",route="/profile",status="200"} 1');
    expect(text).toContain('tessera_http_requests_total{method="GET",route="/profile",status="403"} 1');
    expect(text).toContain('tessera_http_requests_total{method="DELETE",route="/sessions/:handle",status="404"} 1');
    expect(text).toContain(`tessera_http_requests_total{method="GET",route="${UNMATCHED_ROUTE}",status="404"} 1`);
    expect(text).toContain('tessera_http_request_duration_seconds_count{method="GET",route="/profile",status="200"} 1');
    expect(text).toContain('tessera_http_request_duration_seconds_bucket{method="GET",route="/profile",status="403",le="+Inf"} 1');
    expect(text).not.toContain(user);
    expect(text).not.toContain(token.slice(0, 12));
    expect(text).not.toContain("/no/such");
  });

  it("times store calls by operation, counts store errors by code, and counts session events", async () => {
    const { app, backend } = makeServer();
    const token = await login(app, "ada");
    const cookie = { headers: { cookie: `session_id=${token}` } };
    await app.request("/profile/", cookie);
    backend.set("down");
    expect((await app.request("/profile/", cookie)).status).toBe(503);
    backend.set("up");
    await app.request("/logout/", { method: "POST", ...cookie });
    const text = await (await app.request("/metrics")).text();
    expect(text).toContain('tessera_store_call_duration_seconds_count{operation="create",outcome="ok"} 1');
    expect(text).toContain('tessera_store_call_duration_seconds_count{operation="readAndExtend",outcome="ok"} 1');
    expect(text).toContain('tessera_store_call_duration_seconds_count{operation="readAndExtend",outcome="error"} 1');
    expect(text).toContain('tessera_store_errors_total{operation="readAndExtend",code="STORE_UNAVAILABLE"} 1');
    expect(text).toContain('tessera_session_events_total{event="login",reason=""} 1');
    expect(text).toContain('tessera_session_events_total{event="logout",reason=""} 1');
    expect(text).toContain('tessera_session_events_total{event="expiration",reason="idle"} 0');
    expect(text).toContain("tessera_memory_store_sessions 0");
  });

  it("reports the memory store's size at scrape time", async () => {
    const { app } = makeServer();
    for (const user of ["a", "b", "c"]) await login(app, user);
    expect(await (await app.request("/metrics")).text()).toContain("tessera_memory_store_sessions 3");
  });

  it("is a documented operation only where it is served", async () => {
    const sessions = createSessionManager<ServerSessionData>({ store: createMemoryStore() });
    const metrics = new ServerMetrics();
    const paths = async (app: ReturnType<typeof createApp>) => Object.keys(((await (await app.request("/openapi.json")).json()) as { paths: object }).paths);
    const served = createApp({ sessions, logger: silentLogger, metrics });
    const elsewhere = createApp({ sessions, logger: silentLogger, metrics, metricsRoute: false });
    expect(await paths(served)).toContain("/metrics");
    expect(await paths(elsewhere)).not.toContain("/metrics");
    expect((await elsewhere.request("/metrics")).status).toBe(404);
    expect(served.routes.some((route) => route.path === "/metrics")).toBe(true);
  });
});
