import type { FastifyPluginCallback, FastifyReply, FastifyRequest, onRequestHookHandler } from "fastify";
import { CROSS_SITE_REFUSAL, crossSiteChecker, ownOriginOf, type SameOriginOptions } from "../../core/origin.js";
import type { SessionData } from "../../core/record.js";
import { HeaderRecordRequest, RequestSessions, type RequestSessionsApi } from "../../core/request-sessions.js";
import type { SessionManager } from "../../core/session.js";

export { StoreUnavailableResponseError } from "../../core/http-errors.js";
export type { SameOriginOptions } from "../../core/origin.js";
export type { RequestSessionsApi } from "../../core/request-sessions.js";

/*
 * Fastify 5. Types come from `fastify` itself (type-only imports, erased at runtime): an app that
 * imports this entry has Fastify installed, and Fastify ships its own types.
 */

/**
 * Augment this to type session data app-wide:
 *
 * @example
 * ```ts
 * declare module "tessera/fastify" {
 *   interface Register { data: { theme?: string } }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: an interface, empty on purpose, so apps can fill it by declaration merging
export interface Register {}

/** The data type given to {@link Register}, or `SessionData` (any object) without one. */
export type RegisteredData = Register extends { data: infer Data extends SessionData } ? Data : SessionData;

declare module "fastify" {
  interface FastifyRequest {
    /** The request's session, put there by tessera's {@link tesseraSessions} plugin. */
    sessions: RequestSessionsApi<RegisteredData>;
  }
}

/** Options of the {@link tesseraSessions} plugin. */
export interface TesseraSessionsOptions {
  /** The session manager; its data type should be the one given to {@link Register}. */
  manager: SessionManager<RegisteredData>;
  /** The client address recorded with a login, for device lists: e.g. `(request) => request.ip`. @default none recorded */
  clientIp?: (request: FastifyRequest) => string | undefined;
}

/**
 * A Fastify plugin that decorates every request with `request.sessions`. Registered without
 * encapsulation (as `fastify-plugin` would), so routes in every context see it. Nothing touches
 * the store until a handler asks, and at most once per request. Cookies are appended to
 * `Set-Cookie` with `Cache-Control: no-store`. A store failure throws an error with
 * `statusCode: 503` and a `Retry-After` header, which Fastify's default error handler sends as is.
 *
 * @example
 * ```ts
 * await app.register(tesseraSessions, { manager: sessions, clientIp: (request) => request.ip });
 * app.get("/me", async (request, reply) => {
 *   const session = await request.sessions.session();
 *   return session ? { user: session.userId } : reply.code(401).send({ detail: "Not logged in" });
 * });
 * ```
 */
export const tesseraSessions: FastifyPluginCallback<TesseraSessionsOptions> = Object.assign(
  function tesseraSessions(fastify: Parameters<FastifyPluginCallback>[0], options: TesseraSessionsOptions, done: (error?: Error) => void): void {
    const { manager, clientIp } = options;
    if (!manager || typeof manager.authenticate !== "function") {
      done(new TypeError("tesseraSessions needs { manager }: pass the result of createSessionManager(...) from tessera"));
      return;
    }
    // Registered without encapsulation, a second registration would decorate again, which Fastify
    // throws for outside the plugin's callback: an uncaught error instead of a failed `register`.
    if (fastify.hasRequestDecorator("sessions")) {
      done(new Error("tesseraSessions is registered twice (request.sessions already exists): register it once, on the root instance"));
      return;
    }
    // Fastify 5 wants request decorators declared up front (same object shape for every request).
    fastify.decorateRequest("sessions", null as unknown as RequestSessionsApi<RegisteredData>);
    fastify.addHook("onRequest", function attachSessions(request, reply, hookDone) {
      request.sessions = new FastifyRequestSessions(manager, request, reply, clientIp);
      hookDone();
    });
    done();
  },
  // What `fastify-plugin` sets, without depending on it: skip encapsulation, name the plugin.
  { [Symbol.for("skip-override")]: true, [Symbol.for("fastify.display-name")]: "tessera" },
) as FastifyPluginCallback<TesseraSessionsOptions>;

class FastifyRequestSessions<Data extends SessionData> extends RequestSessions<Data> {
  constructor(
    manager: SessionManager<Data>,
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly clientIpOf: ((request: FastifyRequest) => string | undefined) | undefined,
  ) {
    super(manager, new HeaderRecordRequest(request, request.headers));
  }

  protected override writeCookie(setCookie: string): void {
    // Fastify appends repeated `set-cookie` headers instead of replacing them.
    this.reply.header("set-cookie", setCookie);
    this.reply.header("cache-control", "no-store");
  }

  protected override clientIp(): string | undefined {
    return this.clientIpOf?.(this.request);
  }
}

/**
 * An `onRequest` hook that refuses state-changing requests (anything but GET, HEAD, OPTIONS,
 * TRACE) a browser sent from another origin, with 403 and a JSON `detail`. Requests without
 * `Origin` and `Sec-Fetch-Site` (curl, server-to-server) pass. Never builds a `URL` from `Host`.
 * Behind a proxy, the origin the browser used is read from `X-Forwarded-Proto`/`-Host` when
 * Fastify's `trustProxy` option trusts the peer, as `request.protocol` and `request.host` are.
 *
 * @example
 * ```ts
 * app.addHook("onRequest", sameOriginGuard({ allowedOrigins: ["https://admin.example.com"] }));
 * ```
 */
export function sameOriginGuard(options: SameOriginOptions = {}): onRequestHookHandler {
  const isCrossSite = crossSiteChecker(options);
  return function sameOrigin(request, reply, done) {
    const refused = isCrossSite({
      method: request.method,
      origin: request.headers.origin,
      fetchSite: firstHeader(request.headers["sec-fetch-site"]),
      // `request.host` is `X-Forwarded-Host` when Fastify's `trustProxy` trusts the peer, else `Host`.
      ownOrigin: ownOriginOf(request.protocol, request.host),
    });
    if (!refused) return done();
    void reply.code(CROSS_SITE_REFUSAL.status).send({ detail: CROSS_SITE_REFUSAL.detail });
  };
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
