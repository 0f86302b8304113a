import { Hono, type Context } from "hono";
import { sessionErrorResponse, sessionMiddleware } from "tessera/hono";
import { isStoreUnavailable } from "tessera";
import type { SessionManager } from "tessera";
import { mountDevicesApi } from "./devices-api.js";
import { allowedMethodsFor } from "./allowed-methods.js";
import { pathForLog } from "./log-path.js";
import type { Logger } from "./logger.js";
import type { ServerEnv, ServerSessionData } from "./require-session.js";
import { mountSeedApi } from "./seed-api.js";
import { mountWebRoutes, type DocsAssetLoader } from "./web-routes.js";
import { responseHeaders, sameOriginGuard } from "./security.js";
import { StoreOutageLog } from "./store-outage.js";

export type { ServerSessionData } from "./require-session.js";

export interface AppOptions {
  sessions: SessionManager<ServerSessionData>;
  logger: Logger;
  /** @default [] */
  allowedOrigins?: readonly string[];
  /** Largest accepted request body. @default 16384 */
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
   * Logs store outages (start and end, with the count of 503s). Wrap the store with its `watch`
   * so the end is seen. @default a new one on `logger`, which sees only the start
   */
  outageLog?: StoreOutageLog;
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

  if (options.accessLog) {
    app.use(async (c, next) => {
      const started = performance.now();
      await next();
      // Path only (a query string could carry anything), with token-like parts redacted: this line
      // must never hold a token. (c.req.path is decoded and loses the trailing slash; log what was asked.)
      logger.info(`${c.req.method} ${pathForLog(c.req.url)} ${c.res.status} ${(performance.now() - started).toFixed(1)}ms`);
    });
  }
  // Every endpoint here reads or changes a session; no cache may keep any of it.
  app.use(responseHeaders({ "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store" }));
  app.use(sameOriginGuard({ allowedOrigins: options.allowedOrigins ?? [] }));
  app.use(sessionMiddleware(sessions, options.clientIp ? { clientIp: options.clientIp } : {}));

  mountSeedApi(app, { maxBodyBytes: options.maxBodyBytes ?? 16 * 1024 });
  mountDevicesApi(app, sessions);
  mountWebRoutes(app, { cookieName: sessions.cookieName, version: options.version ?? "0.0.0", docsAssets: options.docsAssets });

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
    const response = sessionErrorResponse(error, c);
    if (response) {
      // One line when an outage starts and one when it ends, not one per refused request.
      if (isStoreUnavailable(error)) outageLog.refused(error);
      else logger.warn(`${c.req.method} ${pathForLog(c.req.url)}: ${error.message}`);
      return response;
    }
    logger.error(`${c.req.method} ${pathForLog(c.req.url)}: ${error.stack ?? error.message}`);
    return c.json({ detail: "Internal Server Error" }, 500);
  });
  return app;
}
