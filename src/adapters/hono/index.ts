import type { Context, ErrorHandler, MiddlewareHandler } from "hono";
import { isStoreUnavailable, SessionInputError } from "../../core/errors.js";
import type { SessionData } from "../../core/record.js";
import type { DataPatch } from "../../core/record.js";
import type { LoginResult, Session, SessionLookup, SessionManager } from "../../core/session.js";

/** What the middleware puts on `c.var.sessions`. */
export interface HonoSessions<Data extends SessionData = SessionData> {
  /**
   * Reads (and slides) the request's session. The first call costs one store command, later calls
   * in the same request are free. When the cookie names no live session, the response clears it.
   */
  lookup(): Promise<SessionLookup<Data>>;
  /** Logs in (rotating any session the request had) and sets the cookie on the response. */
  login(input: { userId: string; data?: Data }): Promise<LoginResult<Data>>;
  /** Destroys the request's session, if any, and clears the cookie. */
  logout(): Promise<void>;
  /**
   * Changes data keys of the request's session, writing only those keys. `null` when the request
   * has no live session (or it ended meanwhile).
   */
  patch(change: DataPatch): Promise<Session<Data> | null>;
}

/** Options of {@link sessionMiddleware}. */
export interface SessionMiddlewareOptions {
  /**
   * The client address recorded with a login, for device lists. Runtime-specific, so supplied by
   * the app: e.g. `getConnInfo(c).remote.address` from `@hono/node-server/conninfo`.
   */
  clientIp?: (c: Context) => string | undefined;
}

/** Hono `Env` fragment for apps using {@link sessionMiddleware}. */
export type SessionEnv<Data extends SessionData = SessionData> = { Variables: { sessions: HonoSessions<Data> } };

/**
 * Puts `c.var.sessions` on every request. Nothing touches the store until a handler asks, so
 * requests that never look at the session cost nothing. Any response that sets or clears the
 * cookie gets `Cache-Control: no-store`, so no shared cache keeps a session.
 *
 * @example
 * ```ts
 * const app = new Hono<SessionEnv>();
 * app.use(sessionMiddleware(sessions));
 * app.onError(sessionErrorHandler());
 * app.get("/me", async (c) => {
 *   const lookup = await c.var.sessions.lookup();
 *   return lookup.status === "active" ? c.json({ user: lookup.session.userId }) : c.json({ detail: "Not logged in" }, 401);
 * });
 * ```
 */
export function sessionMiddleware<Data extends SessionData>(manager: SessionManager<Data>, options: SessionMiddlewareOptions = {}): MiddlewareHandler<SessionEnv<Data>> {
  return async function tesseraSessions(c, next) {
    let lookup: Promise<SessionLookup<Data>> | undefined;
    const setCookie = (value: string) => {
      c.header("Set-Cookie", value, { append: true });
      c.header("Cache-Control", "no-store");
    };
    c.set("sessions", {
      lookup() {
        lookup ??= manager.authenticate(c.req.raw).then((result) => {
          if (result.status === "invalid") setCookie(result.clearCookie);
          return result;
        });
        return lookup;
      },
      async login(input) {
        const result = await manager.login(c.req.raw, { ...input, ip: options.clientIp?.(c) });
        lookup = Promise.resolve({ status: "active", session: result.session, token: result.token });
        setCookie(result.setCookie);
        return result;
      },
      async logout() {
        const { clearCookie } = await manager.logout(c.req.raw);
        lookup = Promise.resolve({ status: "anonymous" });
        if (clearCookie !== null) setCookie(clearCookie);
      },
      async patch(change) {
        const current = await this.lookup();
        if (current.status !== "active") return null;
        const updated = await manager.patch(current.session, change);
        if (updated !== null) lookup = Promise.resolve({ ...current, session: updated });
        return updated;
      },
    });
    await next();
  };
}

/**
 * The response tessera's errors call for, or `undefined` for other errors: a store outage is a
 * 503 with `Retry-After` (never "logged out", never a 500); refused session input is a 422.
 */
export function sessionErrorResponse(error: unknown, c: Context): Response | undefined {
  if (isStoreUnavailable(error)) {
    return c.json({ detail: "Session store unavailable, please retry shortly" }, 503, {
      "Retry-After": String(error.retryAfterSeconds),
      "Cache-Control": "no-store",
    });
  }
  if (error instanceof SessionInputError) return c.json({ detail: error.message }, 422);
  return undefined;
}

/**
 * An `app.onError` handler: tessera's errors as {@link sessionErrorResponse} maps them, anything
 * else to `fallback` (default: a JSON 500 that reveals nothing).
 */
export function sessionErrorHandler(fallback?: ErrorHandler): ErrorHandler {
  return (error, c) =>
    sessionErrorResponse(error, c) ?? (fallback ? fallback(error, c) : c.json({ detail: "Internal Server Error" }, 500));
}
