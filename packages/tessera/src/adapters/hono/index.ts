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
  // Not async, and one object per request with its methods on the prototype: this runs on every
  // request, and closures or an extra async frame per request showed in read throughput.
  return function tesseraSessions(c, next) {
    c.set("sessions", new RequestSessions(manager, c, options.clientIp));
    return next();
  };
}

class RequestSessions<Data extends SessionData> implements HonoSessions<Data> {
  #lookup: Promise<SessionLookup<Data>> | undefined;

  constructor(
    private readonly manager: SessionManager<Data>,
    private readonly c: Context,
    private readonly clientIp: ((c: Context) => string | undefined) | undefined,
  ) {}

  lookup(): Promise<SessionLookup<Data>> {
    return (this.#lookup ??= this.#authenticate());
  }

  async #authenticate(): Promise<SessionLookup<Data>> {
    const result = await this.manager.authenticate(this.c.req.raw);
    if (result.status === "invalid") this.#setCookie(result.clearCookie);
    return result;
  }

  #setCookie(value: string): void {
    this.c.header("Set-Cookie", value, { append: true });
    this.c.header("Cache-Control", "no-store");
  }

  async login(input: { userId: string; data?: Data }): Promise<LoginResult<Data>> {
    const result = await this.manager.login(this.c.req.raw, { ...input, ip: this.clientIp?.(this.c) });
    this.#lookup = Promise.resolve({ status: "active", session: result.session, token: result.token });
    this.#setCookie(result.setCookie);
    return result;
  }

  async logout(): Promise<void> {
    const { clearCookie } = await this.manager.logout(this.c.req.raw);
    this.#lookup = Promise.resolve({ status: "anonymous" });
    if (clearCookie !== null) this.#setCookie(clearCookie);
  }

  async patch(change: DataPatch): Promise<Session<Data> | null> {
    const current = await this.lookup();
    if (current.status !== "active") return null;
    const updated = await this.manager.patch(current.session, change);
    if (updated !== null) this.#lookup = Promise.resolve({ ...current, session: updated });
    return updated;
  }
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
