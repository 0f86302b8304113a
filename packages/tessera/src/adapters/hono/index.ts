import type { Context, ErrorHandler, MiddlewareHandler } from "hono";
import { describeSessionError } from "../../core/http-errors.js";
import { CROSS_SITE_REFUSAL, crossSiteChecker, firstListValue, forwardedOriginOf, type ProxiedSameOriginOptions } from "../../core/origin.js";
import type { SessionData } from "../../core/record.js";
import { RequestSessions, type RequestSessionsApi, type SessionRequest } from "../../core/request-sessions.js";
import type { SessionManager } from "../../core/session.js";

export { StoreUnavailableResponseError } from "../../core/http-errors.js";
export type { ProxiedSameOriginOptions, SameOriginOptions } from "../../core/origin.js";
export type { RequestSessionsApi } from "../../core/request-sessions.js";

/**
 * What the middleware puts on `c.var.sessions`: the request's session, looked up at most once.
 * `c.get("sessions")` is the same object and cheaper in hot handlers: Hono builds a new object of
 * every variable on each `c.var` access.
 */
export type HonoSessions<Data extends SessionData = SessionData> = RequestSessionsApi<Data>;

/** Options of {@link sessionMiddleware}. */
export interface SessionMiddlewareOptions {
  /**
   * The client address recorded with a login, for device lists. Runtime-specific, so supplied by
   * the app: e.g. `getConnInfo(c).remote.address` from `@hono/node-server/conninfo`.
   */
  clientIp?: (c: Context) => string | undefined;
  /**
   * Behind a TLS proxy that sets `X-Forwarded-Proto`: take the scheme from it, so `secure: "auto"`
   * marks the cookie `Secure` (the proxy talks plain HTTP to the app, whose own URL says `http:`).
   * Only behind a proxy that sets or overwrites that header. Or set `cookie: { secure: true }`.
   * @default false
   */
  trustProxy?: boolean;
}

/** Hono `Env` fragment for apps using {@link sessionMiddleware}. */
export type SessionEnv<Data extends SessionData = SessionData> = { Variables: { sessions: HonoSessions<Data> } };

/**
 * Puts `c.var.sessions` on every request. Nothing touches the store until a handler asks, so
 * requests that never look at the session cost nothing. Any response that sets or clears the
 * cookie gets `Cache-Control: no-store`. A store failure throws an error that carries its own 503
 * response with `Retry-After` (as Hono's `HTTPException` does), so even an app without
 * `app.onError(...)` answers 503, not 500; {@link sessionErrorHandler} gives the same 503 and maps
 * other errors too.
 *
 * @example
 * ```ts
 * const app = new Hono<SessionEnv>();
 * app.use(sessionMiddleware(sessions));
 * app.get("/me", async (c) => {
 *   const session = await c.var.sessions.session();
 *   return session ? c.json({ user: session.userId }) : c.json({ detail: "Not logged in" }, 401);
 * });
 * ```
 */
export function sessionMiddleware<Data extends SessionData>(
  manager: SessionManager<Data>,
  options: SessionMiddlewareOptions = {},
): MiddlewareHandler<SessionEnv<Data>> {
  const { clientIp, trustProxy = false } = options;
  // Not async: this runs on every request, and an extra async frame per request showed in read
  // throughput.
  return function tesseraSessions(c, next) {
    const sessions = new HonoRequestSessions(manager, c, clientIp, trustProxy);
    c.set("sessions", sessions);
    return next().then(() => sessions.onto(c));
  };
}

class HonoRequestSessions<Data extends SessionData> extends RequestSessions<Data> {
  constructor(
    manager: SessionManager<Data>,
    private readonly c: Context,
    private readonly clientIpOf: ((c: Context) => string | undefined) | undefined,
    trustProxy: boolean,
  ) {
    super(manager, trustProxy ? new ProxiedRequest(c.req.raw) : c.req.raw);
  }

  /** What {@link writeCookie} wrote, in order. */
  readonly #written: string[] = [];

  protected override writeCookie(setCookie: string): void {
    this.#written.push(setCookie);
    this.c.header("Set-Cookie", setCookie, { append: true });
    this.c.header("Cache-Control", "no-store");
  }

  /**
   * Puts the cookies written into the response when the handler built its own (`return
   * Response.redirect(…)`, `new Response(…)`): `c.header` reaches only Hono's own response
   * helpers, and the login, logout or clearing cookie was lost. Nothing to do in the usual case.
   */
  onto(c: Context): void {
    if (this.#written.length === 0) return;
    // A response Hono built carries what `c.header` set: our `Cache-Control: no-store`, and the
    // cookies unless the app removed one on purpose (`c.header("Set-Cookie", undefined)`), which
    // stays removed. Only a response with none of it is the handler's own. (One that sets
    // `no-store` itself is taken for Hono's: return `c.redirect`/`c.body` there instead.)
    const present = c.res.headers.getSetCookie();
    if (c.res.headers.get("cache-control") === "no-store" || this.#written.some((cookie) => present.includes(cookie))) return;
    const addTo = (response: Response) => {
      for (const cookie of this.#written) response.headers.append("Set-Cookie", cookie);
      response.headers.set("Cache-Control", "no-store");
    };
    try {
      addTo(c.res);
    } catch {
      // Immutable headers (`Response.redirect`): a copy in its place. Hono's `res` setter copies
      // the old response's headers onto it, and an immutable one carries no Set-Cookie to restore.
      const copy = new Response(c.res.body, c.res);
      addTo(copy);
      c.res = copy;
    }
  }

  protected override clientIp(): string | undefined {
    return this.clientIpOf?.(this.c);
  }
}

/** A request as the session sees it behind a trusted proxy: the scheme from `X-Forwarded-Proto`. */
class ProxiedRequest implements SessionRequest {
  constructor(private readonly raw: Request) {}

  get url(): string {
    const proto = firstListValue(this.raw.headers.get("x-forwarded-proto"))?.toLowerCase();
    return proto === "https" || proto === "http" ? `${proto}://` : this.raw.url;
  }

  get headers(): Headers {
    return this.raw.headers;
  }
}

/**
 * Refuses state-changing requests (anything but GET, HEAD, OPTIONS, TRACE) that a browser sent
 * from another origin, with 403 and a JSON `detail`. Requests without `Origin` and
 * `Sec-Fetch-Site` (curl, server-to-server) pass. Mount it before routes that log in or out.
 * Behind a proxy (TLS, another host), set `trustProxy` so the origin the browser used is read from
 * `X-Forwarded-Proto`/`-Host`, or list that origin in `allowedOrigins`.
 *
 * @example
 * ```ts
 * app.use(sameOriginGuard({ allowedOrigins: ["https://admin.example.com"] }));
 * ```
 */
export function sameOriginGuard(options: ProxiedSameOriginOptions = {}): MiddlewareHandler {
  const isCrossSite = crossSiteChecker(options);
  const trustProxy = options.trustProxy ?? false;
  // Not async: on safe methods (every authenticated read) this is a plain pass-through.
  return function sameOrigin(c, next) {
    const refused =
      c.req.method !== "GET" &&
      isCrossSite({
        method: c.req.method,
        origin: c.req.header("origin"),
        fetchSite: c.req.header("sec-fetch-site"),
        ownOrigin: ownOriginOfRequest(c, trustProxy),
      });
    if (refused) return Promise.resolve(c.json({ detail: CROSS_SITE_REFUSAL.detail }, CROSS_SITE_REFUSAL.status));
    return next();
  };
}

function ownOriginOfRequest(c: Context, trustProxy: boolean): string {
  // A Web Request's URL is always valid (its constructor parsed it), so this cannot throw.
  const url = new URL(c.req.url);
  if (!trustProxy) return url.origin;
  return forwardedOriginOf(url.protocol.slice(0, -1), url.host, c.req.header("x-forwarded-proto"), c.req.header("x-forwarded-host"));
}

/**
 * The response tessera's errors call for, or `undefined` for other errors: a store outage is a
 * 503 with `Retry-After` (never "logged out", never a 500); refused session input is a 422.
 */
export function sessionErrorResponse(error: unknown, c: Context): Response | undefined {
  const described = describeSessionError(error);
  return described && c.json(described.body, described.status, described.headers);
}

/**
 * An `app.onError` handler: tessera's errors as {@link sessionErrorResponse} maps them, anything
 * else to `fallback` (default: a JSON 500 that reveals nothing).
 */
export function sessionErrorHandler(fallback?: ErrorHandler): ErrorHandler {
  return (error, c) => sessionErrorResponse(error, c) ?? (fallback ? fallback(error, c) : c.json({ detail: "Internal Server Error" }, 500));
}
