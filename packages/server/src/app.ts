import { Hono, type Context } from "hono";
import { sameOriginGuard, sessionMiddleware } from "tessera/hono";
import type { SessionManager, SessionStore } from "tessera";
import { mountDevicesApi } from "./devices-api.js";
import { allowedMethodsFor } from "./allowed-methods.js";
import { mountHealthRoutes } from "./health-routes.js";
import type { LegacySeedCookies } from "./legacy-seed-cookies.js";
import { answerError } from "./error-answer.js";
import type { Logger } from "./logger.js";
import { mountMetricsRoute, type ServerMetrics } from "./metrics.js";
import { observeRequests, RequestRecorder } from "./request-observer.js";
import type { ServerEnv, ServerSessionData } from "./require-session.js";
import { mountSeedApi } from "./seed-api.js";
import { mountWebRoutes, type DocsAssetLoader } from "./web-routes.js";
import { responseHeaders, STATIC_RESPONSE_HEADERS } from "./security.js";
import { StoreOutageLog } from "./store-outage.js";

export type { ServerSessionData } from "./require-session.js";

/** Largest request body the server reads: a login body is a few dozen bytes. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

export interface AppOptions {
  sessions: SessionManager<ServerSessionData>;
  logger: Logger;
  /** @default [] */
  allowedOrigins?: readonly string[];
  /** Largest accepted request body. @default {@link DEFAULT_MAX_BODY_BYTES} */
  maxBodyBytes?: number;
  /** Log one line per request. @default false */
  accessLog?: boolean;
  /** The client address of a request, for device lists (runtime-specific). */
  clientIp?: (c: Context) => string | undefined;
  /** Files of the `/docs` page (Swagger UI from the swagger-ui-dist package), runtime-specific. */
  docsAssets?: DocsAssetLoader;
  /** Version shown in `/openapi.json`. @default "0.0.0" */
  version?: string;
  /**
   * Logs store outages (start and end, with the count of 503s). Give the store its `storeCalls` (through `instrumentStore`)
   * so the end is seen. @default a new one on `logger`, which sees only the start
   */
  outageLog?: StoreOutageLog;
  /** Counts requests into these metrics. */
  metrics?: ServerMetrics;
  /** Serve `GET /metrics` on this app (off when `METRICS_PORT` serves it elsewhere). @default true when `metrics` is given */
  metricsRoute?: boolean;
  /** `/readyz`: what to probe (default `sessions.store`), and whether shutdown has begun. */
  health?: { store?: SessionStore; isDraining?: () => boolean; timeoutMs?: number };
  /** Also log `/healthz`, `/readyz` and `/metrics` requests in the access log. @default false */
  accessLogHealth?: boolean;
  /** Takes the request's scheme and host from `X-Forwarded-Proto`/`-Host` for the same-origin check. @default false */
  trustProxy?: boolean;
  /**
   * Records request ids, metrics and access-log lines; give the one the Node lane uses too, so ids
   * stay unique across both. @default one from `metrics`, `accessLog` and `accessLogHealth`
   */
  recorder?: RequestRecorder;
  /** `LEGACY_SEED_SESSIONS=true`: converts the tutorial's cookies on the routes that need a session. */
  legacySeed?: LegacySeedCookies;
}

/**
 * The reference server as a Hono app: the seed's API (`/login/`, `/profile/`, `/logout/`), the
 * device list (`/sessions/…`), the web page (`/`) and the API docs (`/docs`, `/openapi.json`),
 * every API path with or without the trailing slash. Runtime-free: `main.ts` serves it on Node.
 */
export function createApp(options: AppOptions): Hono<ServerEnv> {
  const { sessions, logger } = options;
  // strict: false makes "/login" and "/login/" the same route.
  const app = new Hono<ServerEnv>({ strict: false });

  const recorder =
    options.recorder ??
    new RequestRecorder({ metrics: options.metrics, accessLog: options.accessLog ? logger : undefined, accessLogHealth: options.accessLogHealth });
  app.use(observeRequests(recorder));
  app.use(responseHeaders(STATIC_RESPONSE_HEADERS));
  // Probes and the scrape come before the same-origin guard and the session middleware: they
  // touch no session and must answer whatever the request's origin.
  mountHealthRoutes(app, { ...options.health, store: options.health?.store ?? sessions.store });
  if (options.metrics && (options.metricsRoute ?? true)) mountMetricsRoute(app, options.metrics);

  app.use(sameOriginGuard({ allowedOrigins: options.allowedOrigins ?? [], trustProxy: options.trustProxy ?? false }));
  app.use(sessionMiddleware(sessions, options.clientIp ? { clientIp: options.clientIp } : {}));
  const { legacySeed } = options;
  if (legacySeed !== undefined) {
    app.use(function legacySeedCookies(c, next) {
      c.set("legacySeed", legacySeed);
      return next();
    });
  }

  mountSeedApi(app, { maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES });
  mountDevicesApi(app, sessions);
  mountWebRoutes(app, {
    cookieName: sessions.cookieName,
    version: options.version ?? "0.0.0",
    docsAssets: options.docsAssets,
    metricsRoute: options.metrics !== undefined && (options.metricsRoute ?? true),
  });

  const outageLog = options.outageLog ?? new StoreOutageLog(logger);
  // Derived from the routes on the first miss, so routes mounted after this point count too.
  // Checked only when no route matched, rather than registered as catch-all routes: those would
  // be matched, and cost router time, on every request.
  let allowFor: ((path: string) => string | undefined) | undefined;
  app.notFound((c) => {
    allowFor ??= allowedMethodsFor(app.routes);
    const allow = allowFor(new URL(c.req.url).pathname);
    if (allow !== undefined) return c.json({ detail: "Method Not Allowed" }, 405, { Allow: allow });
    return c.json({ detail: "Not Found" }, 404);
  });
  app.onError((error, c) => {
    const answer = answerError(error, { requestId: c.var.requestId, method: c.req.method, url: c.req.url }, { logger, outageLog });
    return c.json(answer.body, answer.status, answer.headers);
  });
  return app;
}
