import { Hono, type Context } from "hono";
import type { SessionManager } from "../core/session.js";
import { sessionErrorResponse, sessionMiddleware, type SessionEnv } from "../adapters/hono/index.js";
import type { Logger } from "./logger.js";
import { readJsonBody } from "./request-body.js";
import { sameOriginGuard, securityHeaders } from "./security.js";
import { LoginRequestSchema, validateBody } from "./validation.js";

/** The server keeps nothing in session data: the seed's `user` is the session's user id. */
export type ServerSessionData = Record<string, never>;

export interface AppOptions {
  sessions: SessionManager<ServerSessionData>;
  logger: Logger;
  /** @default [] */
  allowedOrigins?: readonly string[];
  /** Largest accepted request body. @default 16384 */
  maxBodyBytes?: number;
  /** Log one line per request. @default false */
  accessLog?: boolean;
}

/** The seed's JSON messages, byte for byte. */
const MESSAGES = {
  loggedIn: "Logged in successfully",
  loggedOut: "Logged out successfully",
  noCookie: "No session cookie found",
  notFound: "Session not found or expired",
} as const;

/**
 * The reference server as a Hono app: the seed's API (`/login/`, `/profile/`, `/logout/`, with or
 * without the trailing slash) on tessera. Runtime-free: `main.ts` serves it on Node.
 */
export function createApp(options: AppOptions): Hono<SessionEnv<ServerSessionData>> {
  const { sessions, logger } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024;
  // strict: false makes "/login" and "/login/" the same route.
  const app = new Hono<SessionEnv<ServerSessionData>>({ strict: false });

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
  app.use(sessionMiddleware(sessions));

  app.post("/login", async (c) => {
    const body = await readJsonBody(c.req.raw, maxBodyBytes);
    if (!body.ok) return bodyError(c, body);
    const parsed = validateBody(LoginRequestSchema, body.value);
    if (!parsed.ok) return c.json({ detail: parsed.detail }, 422);
    const { token } = await c.var.sessions.login({ userId: parsed.value.username });
    return c.json({ message: MESSAGES.loggedIn, session_id: token });
  });

  app.get("/profile", async (c) => {
    const lookup = await c.var.sessions.lookup();
    if (lookup.status === "anonymous") return c.json({ detail: MESSAGES.noCookie }, 403);
    if (lookup.status === "invalid") return c.json({ detail: MESSAGES.notFound }, 404);
    return c.json({ session_id: lookup.token, session_data: { user: lookup.session.userId, status: "active" } });
  });

  app.post("/logout", async (c) => {
    await c.var.sessions.logout();
    return c.json({ message: MESSAGES.loggedOut });
  });

  for (const [path, allow] of [["/login", "POST"], ["/profile", "GET, HEAD"], ["/logout", "POST"]] as const) {
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

type BodyFailure = Exclude<Awaited<ReturnType<typeof readJsonBody>>, { ok: true }>;

function bodyError(c: Context, failure: BodyFailure): Response {
  switch (failure.reason) {
    case "unsupported_media_type":
      return c.json({ detail: `Content-Type must be application/json, got ${failure.contentType === null ? "none" : JSON.stringify(failure.contentType)}` }, 415);
    case "too_large":
      return c.json({ detail: `Request body is larger than ${failure.limitBytes} bytes` }, 413);
    case "empty":
      return c.json({ detail: [{ type: "missing", loc: ["body"], msg: "Field required", input: null }] }, 422);
    case "malformed":
      return c.json({ detail: [{ type: "json_invalid", loc: ["body"], msg: "JSON decode error", input: {}, ctx: { error: failure.message } }] }, 422);
  }
}
