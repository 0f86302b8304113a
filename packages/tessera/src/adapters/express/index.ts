import { describeSessionError } from "../../core/http-errors.js";
import { CROSS_SITE_REFUSAL, crossSiteChecker, firstListValue, ownOriginOf, type SameOriginOptions } from "../../core/origin.js";
import type { SessionData } from "../../core/record.js";
import { HeaderRecordRequest, RequestSessions, type HeaderRecord, type RequestSessionsApi } from "../../core/request-sessions.js";
import type { SessionManager } from "../../core/session.js";

export { StoreUnavailableResponseError } from "../../core/http-errors.js";
export type { SameOriginOptions } from "../../core/origin.js";
export type { RequestSessionsApi } from "../../core/request-sessions.js";

/*
 * Express 4 and 5. The types here are structural (the few members of `req`/`res` this adapter
 * touches, which Node's `http` objects have), not imported from `express`: Express 5 ships no
 * types, and an app without `@types/express` must still type-check with `skipLibCheck: false`.
 */

/**
 * Augment this to type session data app-wide:
 *
 * @example
 * ```ts
 * declare module "tessera/express" {
 *   interface Register { data: { theme?: string } }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: an interface, empty on purpose, so apps can fill it by declaration merging
export interface Register {}

/** The data type given to {@link Register}, or `SessionData` (any object) without one. */
export type RegisteredData = Register extends { data: infer Data extends SessionData } ? Data : SessionData;

declare global {
  // Express's own types (`@types/express`) merge `Express.Request` into their `Request`.
  namespace Express {
    interface Request {
      /** The request's session, put there by tessera's `sessionMiddleware`. */
      sessions: RequestSessionsApi<RegisteredData>;
    }
  }
}

/** The parts of an Express request this adapter reads. */
export interface ExpressRequestLike {
  method: string;
  headers: HeaderRecord;
  /** Express's `req.protocol` (honours the `trust proxy` setting). */
  protocol: string;
  /** The app, whose `trust proxy` setting says whether `X-Forwarded-Host` names the host (the guard reads it). */
  app?: { get(setting: string): unknown };
  /** The connection, whose peer address the `trust proxy` setting is asked about. */
  socket?: { remoteAddress?: string | undefined };
  sessions?: unknown;
}

/** The parts of an Express response (a Node `ServerResponse`) this adapter writes. */
export interface ExpressResponseLike {
  readonly headersSent: boolean;
  getHeader(name: string): number | string | string[] | undefined;
  setHeader(name: string, value: number | string | readonly string[]): unknown;
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body?: string): unknown;
}

type Next = (error?: unknown) => void;

/** Options of {@link sessionMiddleware}. */
export interface SessionMiddlewareOptions<Request extends ExpressRequestLike = ExpressRequestLike> {
  /** The client address recorded with a login, for device lists: e.g. `(req) => req.ip`. @default none recorded */
  clientIp?: (req: Request) => string | undefined;
  /**
   * Read the session before the routes run, and pass a store failure to `next(error)`, so it
   * reaches your error handler (503) even from an Express 4 handler that does not catch its own
   * rejections (there an unhandled one ends the process). The read is the one `lookup()` /
   * `session()` would make, cached for the request: a handler that reads the session costs
   * nothing more; a route that never reads it pays one store read, so mount it only where the
   * routes read the session (`app.use("/account", sessionMiddleware(sessions, { preload: true }))`).
   * @default false
   */
  preload?: boolean;
}

/**
 * Puts `req.sessions` on every request. Nothing touches the store until a handler asks, and a
 * request asks the store at most once however often it calls `lookup()`. Cookies are appended to
 * `Set-Cookie` (never `res.cookie`, never replacing other cookies) with `Cache-Control: no-store`.
 * A store failure rejects with an error that carries `status: 503` and a `Retry-After` header, so
 * Express's default handler answers 503; install {@link sessionErrorHandler} for a JSON body.
 * On Express 4, pass an async handler's rejection to `next` yourself (Express 5 does it), or
 * use `preload` where the routes read the session.
 *
 * @example
 * ```ts
 * app.use(sessionMiddleware(sessions, { clientIp: (req) => req.ip }));
 * app.get("/me", async (req, res) => {
 *   const session = await req.sessions.session();
 *   if (!session) return void res.status(401).json({ detail: "Not logged in" });
 *   res.json({ user: session.userId });
 * });
 * app.use(sessionErrorHandler());
 * ```
 */
export function sessionMiddleware<Data extends SessionData, Request extends ExpressRequestLike = ExpressRequestLike>(
  manager: SessionManager<Data>,
  options: SessionMiddlewareOptions<Request> = {},
): (req: Request, res: ExpressResponseLike, next: Next) => void {
  const { clientIp, preload = false } = options;
  return function tesseraSessions(req, res, next) {
    // Mounted twice on one path (on the app and on a router): one object per request, so the
    // store is still read at most once.
    let sessions = req.sessions as unknown;
    if (!(sessions instanceof ExpressRequestSessions && sessions.manager === manager)) {
      sessions = new ExpressRequestSessions(manager, req, res, clientIp);
      req.sessions = sessions;
    }
    if (!preload) return next();
    // Two-argument `then`: whatever a later layer does inside `next()` is not taken for a failed read.
    (sessions as ExpressRequestSessions<Data, Request>).lookup().then(
      () => next(),
      (error: unknown) => next(error),
    );
  };
}

class ExpressRequestSessions<Data extends SessionData, Request extends ExpressRequestLike> extends RequestSessions<Data> {
  constructor(
    /** Whose sessions these are: a second mount of the same manager reuses this object. */
    readonly manager: SessionManager<Data>,
    private readonly req: Request,
    private readonly res: ExpressResponseLike,
    private readonly clientIpOf: ((req: Request) => string | undefined) | undefined,
  ) {
    super(manager, new HeaderRecordRequest(req, req.headers));
  }

  protected override writeCookie(setCookie: string): void {
    appendSetCookie(this.res, setCookie);
  }

  protected override clientIp(): string | undefined {
    return this.clientIpOf?.(this.req);
  }
}

/** Adds a `Set-Cookie` line to a Node response, keeping the ones already there. */
function appendSetCookie(res: ExpressResponseLike, setCookie: string): void {
  const existing = res.getHeader("Set-Cookie");
  const lines = existing === undefined ? [setCookie] : Array.isArray(existing) ? [...existing, setCookie] : [String(existing), setCookie];
  res.setHeader("Set-Cookie", lines);
  res.setHeader("Cache-Control", "no-store");
}

/**
 * Refuses state-changing requests (anything but GET, HEAD, OPTIONS, TRACE) that a browser sent
 * from another origin, with 403 and a JSON `detail`. Requests without `Origin` and
 * `Sec-Fetch-Site` (curl, server-to-server) pass. Never builds a `URL` from `Host`, so a malformed
 * `Host` cannot turn into a 500. Behind a proxy, the origin the browser used is read from
 * `X-Forwarded-Proto` and `X-Forwarded-Host` when Express's `trust proxy` setting trusts the peer
 * (`app.set("trust proxy", …)`), as `req.protocol` and Express 5's `req.host` are.
 *
 * @example
 * ```ts
 * app.use(sameOriginGuard({ allowedOrigins: ["https://admin.example.com"] }));
 * ```
 */
export function sameOriginGuard(options: SameOriginOptions = {}): (req: ExpressRequestLike, res: ExpressResponseLike, next: Next) => void {
  const isCrossSite = crossSiteChecker(options);
  return function sameOrigin(req, res, next) {
    const refused = isCrossSite({
      method: req.method,
      origin: firstHeader(req.headers.origin),
      fetchSite: firstHeader(req.headers["sec-fetch-site"]),
      ownOrigin: ownOriginOf(req.protocol, forwardedHostOf(req) ?? firstHeader(req.headers.host)),
    });
    if (!refused) return next();
    sendJson(res, CROSS_SITE_REFUSAL.status, {}, { detail: CROSS_SITE_REFUSAL.detail });
  };
}

/**
 * `X-Forwarded-Host`'s first value when the app's `trust proxy` setting trusts the peer that sent
 * it. Express 5's `req.host` does this too, but Express 4's `req.host` drops the port (and is
 * deprecated), so the setting is asked directly: Express keeps it compiled as `"trust proxy fn"`
 * in both versions, a function of the peer's address and its hop (0, the nearest).
 */
function forwardedHostOf(req: ExpressRequestLike): string | undefined {
  const forwarded = firstListValue(firstHeader(req.headers["x-forwarded-host"]));
  if (forwarded === undefined) return undefined;
  const trusts = req.app?.get("trust proxy fn");
  // Truthy, as Express itself reads the answer of a custom `trust proxy` function.
  return typeof trusts === "function" && trusts(req.socket?.remoteAddress, 0) ? forwarded : undefined;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(res: ExpressResponseLike, status: number, headers: Readonly<Record<string, string>>, body: unknown): void {
  res.writeHead(status, { ...headers, "Content-Type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

/**
 * An Express error middleware (mount it after your routes): tessera's store failures become 503
 * with `Retry-After` and a JSON `detail`, refused session input 422; any other error goes on to
 * the next error handler untouched.
 */
export function sessionErrorHandler(): (error: unknown, req: ExpressRequestLike, res: ExpressResponseLike, next: Next) => void {
  return function tesseraErrors(error, _req, res, next) {
    const described = describeSessionError(error);
    if (described === undefined || res.headersSent) return next(error);
    sendJson(res, described.status, described.headers, described.body);
  };
}
