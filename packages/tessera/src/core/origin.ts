/**
 * The same-origin check behind every adapter's guard, framework-free: it takes the few header
 * values it needs as strings, so an adapter never has to build a `URL` from a `Host` header (a
 * malformed `Host` made `new URL` throw, which Express answered with a 500 and an HTML stack trace).
 */

/** Methods that must not change state, so they are never refused (RFC 9110 §9.2.1). */
const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/** What a refused request is answered with, the same on every adapter. */
export const CROSS_SITE_REFUSAL = {
  status: 403,
  detail: "Cross-site request refused: this endpoint only accepts requests from its own origin",
} as const;

/** Options of the same-origin guard, shared by every adapter. */
export interface SameOriginOptions {
  /**
   * Other origins allowed to send state-changing requests, exactly as browsers write them in
   * `Origin` (`"https://app.example.com"`: scheme, host, and port only if not the default).
   * @default []
   */
  allowedOrigins?: readonly string[];
}

/** Options of the guard on frameworks with no proxy setting of their own (Hono, Next.js). */
export interface ProxiedSameOriginOptions extends SameOriginOptions {
  /**
   * Take the scheme and host the browser used from `X-Forwarded-Proto` and `X-Forwarded-Host`:
   * only behind a proxy that sets both (or overwrites them). Without it, a TLS proxy in front
   * makes every browser login look cross-site (`Origin: https://app.example.com` against the
   * app's own `http://10.0.0.5:3000`), and the guard refuses it. Express and Fastify need no such
   * option: their guards follow the framework's own `trust proxy` / `trustProxy` setting.
   * @default false
   */
  trustProxy?: boolean;
}

/** The parts of a request the check reads. `undefined`/`null` means "header absent". */
export interface OriginCheckInput {
  method: string;
  /** The request's `Origin` header. */
  origin: string | null | undefined;
  /** The request's `Sec-Fetch-Site` header. */
  fetchSite: string | null | undefined;
  /** The origin this request was addressed to, e.g. from {@link ownOriginOf}. */
  ownOrigin: string;
}

/**
 * Builds a checker for state-changing requests sent by a page of another site (login CSRF,
 * forced logout). Returns `true` when the request must be refused.
 *
 * Browsers label every request with `Sec-Fetch-Site` and, for unsafe methods, `Origin`. The first
 * decides when present (every current browser sends it): `same-origin` passes, `same-site` and
 * `cross-site` are refused. Without it, an `Origin` other than the request's own is refused. Clients that send neither (curl, server-to-server) are not
 * browsers and cannot be made to carry a victim's cookie, so they pass. `SameSite=Lax` already
 * keeps the cookie off cross-site POSTs; this closes the gaps Lax leaves (sibling subdomains, and
 * login CSRF, which needs no cookie at all).
 *
 * @example
 * ```ts
 * const isCrossSite = crossSiteChecker({ allowedOrigins: ["https://admin.example.com"] });
 * if (isCrossSite({ method, origin, fetchSite, ownOrigin: ownOriginOf("https", host) })) refuse();
 * ```
 */
export function crossSiteChecker(options: SameOriginOptions = {}): (input: OriginCheckInput) => boolean {
  const allowed = new Set(options.allowedOrigins ?? []);
  return ({ method, origin, fetchSite, ownOrigin }) => {
    if (SAFE_METHODS.has(method.toUpperCase())) return false;
    const explicitlyAllowed = origin != null && allowed.has(origin);
    if (explicitlyAllowed) return false;
    // The browser's own verdict, from the page's real origin and the URL it asked for: a page of
    // another site cannot make it say `same-origin`, and no proxy rewrites it, where the `Host`
    // that `ownOrigin` comes from may be the proxy's. (`none`: the user's own action, no page.)
    if (fetchSite === "same-origin" || fetchSite === "none") return false;
    // `same-site` is another origin of the same site (a sibling subdomain): refused like cross-site.
    if (fetchSite === "cross-site" || fetchSite === "same-site") return true;
    // Older browsers send `Origin` alone. `Origin: null` (sandboxed frames, some redirects) names
    // no origin of ours either.
    return origin != null && origin !== ownOrigin;
  };
}

/**
 * The origin a request was addressed to, in the form browsers put in `Origin`: the scheme and
 * the `Host` header lower-cased, the default port dropped. Never throws: a malformed `Host` just
 * yields a string no browser origin equals, so a browser request with it is refused and a
 * non-browser one passes as before.
 */
export function ownOriginOf(scheme: string, host: string | null | undefined): string {
  const lowerScheme = scheme.toLowerCase().replace(/:$/, "");
  let lowerHost = (host ?? "").trim().toLowerCase();
  const defaultPort = lowerScheme === "https" ? ":443" : lowerScheme === "http" ? ":80" : undefined;
  if (defaultPort !== undefined && lowerHost.endsWith(defaultPort)) lowerHost = lowerHost.slice(0, -defaultPort.length);
  return `${lowerScheme}://${lowerHost}`;
}

/** A host as a proxy forwards it: a name, an IPv4 or bracketed IPv6 address, and a port. */
const FORWARDED_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The origin the browser used, behind a proxy that says so: the scheme from `X-Forwarded-Proto`
 * (a TLS proxy talks plain HTTP to the app, whose own scheme is then `http`), the host from
 * `X-Forwarded-Host`, each falling back to the request's own. The first value of a list counts
 * (the proxy nearest the client); a value that is no scheme or host is ignored. Trusting these
 * headers from anyone would gain an attacker nothing against the guard (a page of another site
 * cannot make a browser send them), but they are read only when the app says a proxy sets them.
 *
 * @example forwardedOriginOf("http", "10.0.0.5:3000", "https", "app.example.com") // "https://app.example.com"
 */
export function forwardedOriginOf(
  scheme: string,
  host: string | null | undefined,
  forwardedProto: string | null | undefined,
  forwardedHost: string | null | undefined,
): string {
  const proto = firstListValue(forwardedProto)?.toLowerCase();
  const proxiedHost = firstListValue(forwardedHost);
  return ownOriginOf(
    proto === "http" || proto === "https" ? proto : scheme,
    proxiedHost !== undefined && FORWARDED_HOST.test(proxiedHost) ? proxiedHost : host,
  );
}

/** The first entry of a comma-separated header value, trimmed; `undefined` for none or an empty one. */
export function firstListValue(value: string | null | undefined): string | undefined {
  if (value == null) return undefined;
  const comma = value.indexOf(",");
  const first = (comma === -1 ? value : value.slice(0, comma)).trim();
  return first === "" ? undefined : first;
}
