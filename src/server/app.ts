import { Hono, type Context } from "hono";
import { sessionErrorResponse, sessionMiddleware } from "../adapters/hono/index.js";
import type { SessionManager } from "../core/session.js";
import { mountDevicesApi } from "./devices-api.js";
import type { Logger } from "./logger.js";
import type { ServerEnv, ServerSessionData } from "./require-session.js";
import { mountSeedApi } from "./seed-api.js";
import { sameOriginGuard, securityHeaders } from "./security.js";

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
}

/** Paths and the methods they answer, for 405s with an accurate `Allow`. */
const ROUTES: ReadonlyArray<readonly [path: string, allow: string]> = [
  ["/login", "POST"],
  ["/profile", "GET, HEAD"],
  ["/logout", "POST"],
  ["/sessions", "GET, HEAD"],
  ["/sessions/revoke-others", "POST"],
  ["/sessions/:handle", "DELETE"],
];

/**
 * The reference server as a Hono app: the seed's API (`/login/`, `/profile/`, `/logout/`) and the
 * device list (`/sessions/…`), every path with or without the trailing slash. Runtime-free:
 * `main.ts` serves it on Node.
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
  app.use(securityHeaders());
  app.use(async (c, next) => {
    await next();
    // Every endpoint here reads or changes a session; no cache may keep any of it.
    c.header("Cache-Control", "no-store");
  });
  app.use(sameOriginGuard({ allowedOrigins: options.allowedOrigins ?? [] }));
  app.use(sessionMiddleware(sessions, options.clientIp ? { clientIp: options.clientIp } : {}));

  mountSeedApi(app, { maxBodyBytes: options.maxBodyBytes ?? 16 * 1024 });
  mountDevicesApi(app, sessions);

  for (const [path, allow] of ROUTES) {
    app.all(path, (c) => c.json({ detail: "Method Not Allowed" }, 405, { Allow: allow }));
  }
  app.notFound((c) => c.json({ detail: "Not Found" }, 404));
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
