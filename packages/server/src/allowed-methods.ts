/**
 * The `Allow` header of a 405, derived from the routes an app registered, so it cannot drift
 * from them: a route added, removed or given another method changes the answer by itself.
 */

/** A registered route as Hono lists it in `app.routes`. */
export interface RegisteredRoute {
  method: string;
  path: string;
}

/** The order methods are listed in, so `Allow` reads the same whatever order routes were added in. */
const METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

interface PathMethods {
  pattern: RegExp;
  methods: Set<string>;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A Hono route path as a regular expression over request paths, trailing slash optional (the app is `strict: false`). */
function patternOf(path: string): RegExp {
  const segments = path.replace(/\/+$/, "").split("/").slice(1);
  const parts = segments.map((segment) => (segment.startsWith(":") ? "[^/]+" : segment === "*" ? ".*" : escapeRegExp(segment)));
  return new RegExp(`^${parts.map((part) => `/${part}`).join("")}/?$`);
}

/**
 * Builds the lookup a 405 needs from `routes` (pass `app.routes` once every route is mounted).
 * Middleware (method `ALL`) is not a route and is left out. A `GET` route also answers `HEAD`.
 * Every route that matches the path counts, as the router would dispatch to it: DELETE
 * `/sessions/revoke-others` reaches `DELETE /sessions/:handle`, so that path allows POST and DELETE.
 * Returns the `Allow` value for a path, or `undefined` when no route has that path (a 404).
 *
 * @example allowedMethodsFor(app.routes)("/login/") // "POST"
 */
export function allowedMethodsFor(routes: readonly RegisteredRoute[]): (path: string) => string | undefined {
  const byPath = new Map<string, PathMethods>();
  for (const route of routes) {
    if (route.method === "ALL") continue;
    const key = route.path.replace(/\/+$/, "") || "/";
    let entry = byPath.get(key);
    if (entry === undefined) byPath.set(key, (entry = { pattern: patternOf(route.path), methods: new Set() }));
    entry.methods.add(route.method);
    if (route.method === "GET") entry.methods.add("HEAD");
  }
  const entries = [...byPath.values()];
  return (path) => {
    const matching = entries.filter((entry) => entry.pattern.test(path));
    if (matching.length === 0) return undefined;
    const methods = new Set(matching.flatMap((entry) => [...entry.methods]));
    const rank = (method: string) => (METHOD_ORDER.includes(method) ? METHOD_ORDER.indexOf(method) : METHOD_ORDER.length);
    return [...methods].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).join(", ");
  };
}
