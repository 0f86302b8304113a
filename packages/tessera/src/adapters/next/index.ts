import { readCookieValues } from "../../core/cookie.js";
import { describeSessionError } from "../../core/http-errors.js";
import { CROSS_SITE_REFUSAL, crossSiteChecker, forwardedOriginOf, ownOriginOf, type ProxiedSameOriginOptions } from "../../core/origin.js";
import type { SessionData } from "../../core/record.js";
import { RequestSessions, type RequestSessionsApi, type SessionRequest } from "../../core/request-sessions.js";
import { mayRepeatCookie, type SessionManager } from "../../core/session.js";
import { parseSetCookie } from "../../core/set-cookie.js";

export { StoreUnavailableResponseError } from "../../core/http-errors.js";
export type { ProxiedSameOriginOptions, SameOriginOptions } from "../../core/origin.js";
export type { RequestSessionsApi } from "../../core/request-sessions.js";

/*
 * Next.js App Router. Nothing here imports `next`: the cookie store of `cookies()` is accepted by
 * shape, and route handlers and middleware speak Web `Request`/`Response`, which `NextRequest`
 * and `NextResponse` extend. So this entry loads (and type-checks) without Next installed.
 */

/** Header access, as `headers()` from `next/headers` and `Request.headers` give it. */
export interface HeaderReader {
  get(name: string): string | null;
}

/** Options of a cookie written through {@link NextCookieStore}, in Next's (`ResponseCookie`) form. */
export interface NextCookieOptions {
  path: string;
  domain?: string;
  maxAge?: number;
  httpOnly: boolean;
  secure: boolean;
  sameSite: "lax" | "strict" | "none";
}

/** What `await cookies()` from `next/headers` resolves to, as far as tessera uses it. */
export interface NextCookieStore {
  get(name: string): { value: string } | undefined;
  set(name: string, value: string, options: NextCookieOptions): unknown;
}

/** Options of {@link createNextSessions}. */
export interface NextSessionsOptions {
  /** The client address recorded with a login, for device lists: e.g. from `x-forwarded-for` behind your proxy. @default none recorded */
  clientIp?: (headers: HeaderReader) => string | undefined;
}

/** Options of {@link NextSessions.route}. */
export interface RouteOptions {
  /** Refuse state-changing requests a browser sent from another origin (403). `true` = own origin only. @default false */
  sameOrigin?: boolean | ProxiedSameOriginOptions;
}

/** The Next.js side of tessera for one session manager. */
export interface NextSessions<Data extends SessionData> {
  /**
   * The request's sessions through `cookies()`, for route handlers and Server Actions (and reads in
   * Server Components, which may not set cookies: there a dead cookie stays until a route, action
   * or middleware clears it). Calls with the same cookie store (one request) share one lookup.
   */
  fromCookies(cookies: NextCookieStore, headers?: HeaderReader): RequestSessionsApi<Data>;
  /**
   * Wraps an App Router route handler or a middleware: the handler gets the request's sessions,
   * cookies it sets are appended to its response with `Cache-Control: no-store`, and a store
   * failure becomes 503 with `Retry-After` instead of Next's 500.
   */
  route<Args extends unknown[], In extends Request = Request>(
    handler: (request: In, sessions: RequestSessionsApi<Data>, ...args: Args) => Response | Promise<Response>,
    options?: RouteOptions,
  ): (request: In, ...args: Args) => Promise<Response>;
}

/**
 * Binds a session manager to Next.js.
 *
 * @example
 * ```ts
 * // app/api/me/route.ts
 * export const GET = nextSessions.route(async (request, sessions) => {
 *   const session = await sessions.session();
 *   return session ? Response.json({ user: session.userId }) : Response.json({ detail: "Not logged in" }, { status: 401 });
 * });
 * ```
 */
export function createNextSessions<Data extends SessionData>(manager: SessionManager<Data>, options: NextSessionsOptions = {}): NextSessions<Data> {
  const { clientIp } = options;
  warnOfMemoryStoreInNext(manager.store.description);
  // One RequestSessions per cookie store: Next gives every request its own store, so this is the
  // per-request cache that keeps a request to one store read however many components ask.
  const byCookieStore = new WeakMap<NextCookieStore, RequestSessions<Data>>();
  return {
    fromCookies(cookies, headers) {
      let sessions = byCookieStore.get(cookies);
      if (sessions === undefined) {
        sessions = new CookieStoreSessions(manager, cookies, headers, clientIp);
        byCookieStore.set(cookies, sessions);
      }
      return sessions;
    },

    route(handler, routeOptions = {}) {
      const guard = routeOptions.sameOrigin ? sameOriginGuard(routeOptions.sameOrigin === true ? {} : routeOptions.sameOrigin) : undefined;
      return async (request, ...args) => {
        const refusal = guard?.(request);
        if (refusal) return refusal;
        const sessions = new CollectingSessions(manager, request, clientIp);
        let response: Response;
        try {
          response = await handler(request, sessions, ...args);
        } catch (error) {
          const described = describeSessionError(error);
          if (described === undefined) throw error;
          return Response.json(described.body, { status: described.status, headers: described.headers });
        }
        return sessions.applyTo(response);
      };
    },
  };
}

/** Collects `Set-Cookie` values, to add them to whatever response the handler returns. */
class CollectingSessions<Data extends SessionData> extends RequestSessions<Data> {
  readonly #setCookies: string[] = [];

  constructor(
    manager: SessionManager<Data>,
    private readonly request: Request,
    private readonly clientIpOf: ((headers: HeaderReader) => string | undefined) | undefined,
  ) {
    super(manager, request);
  }

  protected override writeCookie(setCookie: string): void {
    this.#setCookies.push(setCookie);
  }

  protected override clientIp(): string | undefined {
    return this.clientIpOf?.(this.request.headers);
  }

  applyTo(response: Response): Response {
    if (this.#setCookies.length === 0) return response;
    let target = response;
    try {
      target.headers.set("Cache-Control", "no-store");
    } catch {
      // `Response.redirect()` and fetched responses have immutable headers: copy into a fresh one.
      target = new Response(response.body, response);
      target.headers.set("Cache-Control", "no-store");
    }
    for (const setCookie of this.#setCookies) target.headers.append("Set-Cookie", setCookie);
    return target;
  }
}

/** Writes through the `cookies()` store; reads the token from it too, so a login earlier in the request shows. */
class CookieStoreSessions<Data extends SessionData> extends RequestSessions<Data> {
  constructor(
    manager: SessionManager<Data>,
    private readonly cookies: NextCookieStore,
    private readonly headerReader: HeaderReader | undefined,
    private readonly clientIpOf: ((headers: HeaderReader) => string | undefined) | undefined,
  ) {
    super(manager, cookieStoreRequest(manager.cookieName, cookies, headerReader));
  }

  protected override writeCookie(setCookie: string): void {
    const { name, value, path, domain, maxAgeSeconds, httpOnly, secure, sameSite } = parseSetCookie(setCookie);
    const options: NextCookieOptions = { path, httpOnly, secure, sameSite: sameSite.toLowerCase() as NextCookieOptions["sameSite"] };
    if (domain !== undefined) options.domain = domain;
    if (maxAgeSeconds !== undefined) options.maxAge = maxAgeSeconds;
    try {
      this.cookies.set(name, value, options);
    } catch (error) {
      // Server Components may not set cookies (Next throws). Clearing a dead cookie can wait for
      // the next route, action or middleware; a login cannot, so that error goes to the caller.
      if (maxAgeSeconds !== 0) throw error;
    }
  }

  protected override clientIp(): string | undefined {
    return this.headerReader && this.clientIpOf?.(this.headerReader);
  }
}

function cookieStoreRequest(cookieName: string, cookies: NextCookieStore, headers: HeaderReader | undefined): SessionRequest {
  // Next's server sets `x-forwarded-proto` on every request it hands to the app.
  const scheme = headers?.get("x-forwarded-proto")?.split(",")[0]?.trim() ?? "http";
  return {
    url: `${scheme}://`,
    headers: {
      get(name) {
        if (name.toLowerCase() !== "cookie") return headers?.get(name) ?? null;
        const value = cookies.get(cookieName)?.value;
        if (value === undefined) return null;
        // Next's cookie store keeps only the last of a cookie sent twice, and a browser sends the
        // app's own `Path=/` cookie before a later one of the same path (a sibling subdomain's,
        // planted for the parent domain): read alone, that one hid the live session, and an
        // action then cleared the live cookie. While the store still holds a value the browser
        // sent (nothing in this request set the cookie), read all of them, as `route()` does.
        const sent = headers?.get("cookie") ?? null;
        if (mayRepeatCookie(sent, cookieName) && readCookieValues(sent, cookieName, 16).includes(value)) return sent;
        return `${cookieName}=${value}`;
      },
    },
  };
}

let warnedOfMemoryStore = false;

/**
 * The memory store inside a Next.js server (which sets `NEXT_RUNTIME`): Next loads the proxy, each
 * route handler and each page as bundles of their own, each with its own copy of the app's
 * modules, so a session one of them created is unknown to the others, whose reads then clear the
 * cookie. Seen under `next start`: a login through a route handler, then the proxy redirected to
 * the login page. Said once per process, on the console: this is a setup mistake, not a request's.
 */
function warnOfMemoryStoreInNext(storeDescription: string): void {
  const inNext = typeof process !== "undefined" && typeof process.env?.NEXT_RUNTIME === "string" && process.env.NEXT_RUNTIME !== "";
  if (!inNext || warnedOfMemoryStore || !storeDescription.startsWith("memory")) return;
  warnedOfMemoryStore = true;
  console.warn(
    "tessera/next: the memory store is not shared between Next.js's proxy, route handlers and pages (each bundle has its own copy), so users will appear logged out. Use the Redis store (tessera/redis) or, on the Edge runtime, the Upstash store (tessera/upstash).",
  );
}

/**
 * A check for middleware and route handlers: the 403 response for a state-changing request a
 * browser sent from another origin, or `null` to go on. Requests without `Origin` and
 * `Sec-Fetch-Site` (curl, server-to-server) pass.
 *
 * @example
 * ```ts
 * const refuseCrossSite = sameOriginGuard();
 * export function middleware(request: NextRequest) {
 *   return refuseCrossSite(request) ?? NextResponse.next();
 * }
 * ```
 */
export function sameOriginGuard(options: ProxiedSameOriginOptions = {}): (request: Request) => Response | null {
  const isCrossSite = crossSiteChecker(options);
  const trustProxy = options.trustProxy ?? false;
  return (request) => {
    const refused = isCrossSite({
      method: request.method,
      origin: request.headers.get("origin"),
      fetchSite: request.headers.get("sec-fetch-site"),
      ownOrigin: addressedOrigin(request, trustProxy),
    });
    return refused ? Response.json({ detail: CROSS_SITE_REFUSAL.detail }, { status: CROSS_SITE_REFUSAL.status }) : null;
  };
}

/**
 * The origin the browser addressed: the request URL's scheme with the `Host` header. Not the URL's
 * own origin: `next start` builds that URL from the address it listens on
 * (`http://localhost:3000/…` whatever the `Host`), so a browser on `http://127.0.0.1:3000` or
 * `https://app.example.com` never matched it and every login was refused. The scheme is the URL's,
 * which Next takes from `X-Forwarded-Proto`. `X-Forwarded-Host` is read only with `trustProxy` (Next
 * fills it in from `Host` when a client sent none, so without a proxy it changes nothing); else
 * list a proxy's public origin in `allowedOrigins`. A request without `Host` (one built in
 * process) keeps its URL's origin. Never throws: `ownOriginOf` takes any string.
 */
function addressedOrigin(request: Request, trustProxy: boolean): string {
  // A Web Request's URL is always valid (its constructor parsed it), so this cannot throw.
  const url = new URL(request.url);
  const host = request.headers.get("host");
  if (trustProxy) return forwardedOriginOf(url.protocol, host ?? url.host, undefined, request.headers.get("x-forwarded-host"));
  return host === null ? url.origin : ownOriginOf(url.protocol, host);
}
