import { Hono, type Context } from "hono";
import { sessionErrorResponse, sessionMiddleware } from "tessera/hono";
import type { SessionManager } from "tessera";
import { mountDevicesApi } from "./devices-api.js";
import type { Logger } from "./logger.js";
import type { ServerEnv, ServerSessionData } from "./require-session.js";
import { mountSeedApi } from "./seed-api.js";
import { mountWebRoutes, type DocsAssetLoader } from "./web-routes.js";
import { responseHeaders, sameOriginGuard } from "./security.js";

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
}

/**
 * Paths and the methods they answer, for 405s with an accurate `Allow`. Checked only when no
 * route matched (in `notFound`), rather than registered as catch-all routes: those would be
 * matched, and cost router time, on every request.
 */
const ROUTES: ReadonlyArray<readonly [path: RegExp, allow: string]> = [
  [/^\/$/, "GET, HEAD"],
  [/^\/openapi\.json$/, "GET, HEAD"],
  [/^\/docs\/?$/, "GET, HEAD"],
  [/^\/(static|docs)\/[^/]+$/, "GET, HEAD"],
  [/^\/login\/?$/, "POST"],
  [/^\/profile\/?$/, "GET, HEAD"],
  [/^\/logout\/?$/, "POST"],
  [/^\/sessions\/?$/, "GET, HEAD"],
  [/^\/sessions\/revoke-others\/?$/, "POST"],
  [/^\/sessions\/[^/]+\/?$/, "DELETE"],
];

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
      // Path only: a query string could carry anything, and this line must never hold a token.
      // (c.req.path has the trailing slash removed under strict: false; log what was asked.)
      logger.info(`${c.req.method} ${new URL(c.req.url).pathname} ${c.res.status} ${(performance.now() - started).toFixed(1)}ms`);
    });
  }
  // Every endpoint here reads or changes a session; no cache may keep any of it.
  app.use(responseHeaders({ "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store" }));
  app.use(sameOriginGuard({ allowedOrigins: options.allowedOrigins ?? [] }));
  app.use(sessionMiddleware(sessions, options.clientIp ? { clientIp: options.clientIp } : {}));

  mountSeedApi(app, { maxBodyBytes: options.maxBodyBytes ?? 16 * 1024 });
  mountDevicesApi(app, sessions);
  mountWebRoutes(app, { cookieName: sessions.cookieName, version: options.version ?? "0.0.0", docsAssets: options.docsAssets });

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    // "/sessions/revoke-others" also matches the handle pattern; the first match is the specific one.
    const allow = ROUTES.find(([pattern]) => pattern.test(path))?.[1];
    if (allow !== undefined) return c.json({ detail: "Method Not Allowed" }, 405, { Allow: allow });
    return c.json({ detail: "Not Found" }, 404);
  });
  app.onError((error, c) => {
    const response = sessionErrorResponse(error, c);
    if (response) {
      logger.warn(`${c.req.method} ${c.req.path}: ${error.message}`);
      return response;
    }
    logger.error(`${c.req.method} ${c.req.path}: ${error.stack ?? error.message}`);
    return c.json({ detail: "Internal Server Error" }, 500);
  });
  return app;
}
