import type { RequestSessionsApi } from "tessera";

/** The session data of the suite's apps. */
export type SuiteData = { theme?: string };

/** What a route answers; drivers write it with their framework's own API (JSON body). */
export interface RouteResult {
  status: number;
  body: unknown;
}

/** One route of the suite's app, framework-neutral: each driver mounts every one of these. */
export interface SuiteRoute {
  /** `"ALL"`: every method the framework can route, including HEAD, OPTIONS, TRACE. */
  method: "GET" | "POST" | "ALL";
  path: string;
  /** Mount the adapter's same-origin guard in front of this route. */
  guarded?: boolean;
  /**
   * The driver sets the app's own cookie {@link APP_COOKIE} with its framework's API before the
   * handler runs (Next: on the response the handler returns), so a session cookie that replaced
   * instead of appended would show.
   */
  appCookie?: boolean;
  /** `header(name)` reads a request header (lower-case name). */
  handle(sessions: RequestSessionsApi<SuiteData>, header: (name: string) => string | undefined): Promise<RouteResult>;
}

/** The app's own cookie on `appCookie` routes. */
export const APP_COOKIE = "app_theme=dark; Path=/";

const NOT_LOGGED_IN: RouteResult = { status: 401, body: { detail: "Not logged in" } };

/**
 * The suite's app. Input comes in headers (`x-user`, `x-handle`), not bodies, so no driver needs a
 * body parser and the adapters are compared on sessions alone.
 */
export const SUITE_ROUTES: readonly SuiteRoute[] = [
  {
    method: "POST",
    path: "/login",
    guarded: true,
    appCookie: true,
    async handle(sessions, header) {
      const { session } = await sessions.login({ userId: header("x-user") ?? "ada", data: { theme: "dark" } });
      return { status: 200, body: { handle: session.id } };
    },
  },
  {
    method: "GET",
    path: "/me",
    async handle(sessions) {
      // Asked twice on purpose: the adapter must still read the store once.
      await sessions.lookup();
      const session = await sessions.session();
      return session ? { status: 200, body: { user: session.userId, theme: session.data.theme } } : NOT_LOGGED_IN;
    },
  },
  {
    method: "GET",
    path: "/plain",
    async handle() {
      return { status: 200, body: { ok: true } };
    },
  },
  {
    method: "POST",
    path: "/logout",
    guarded: true,
    async handle(sessions) {
      await sessions.logout();
      return { status: 200, body: { ok: true } };
    },
  },
  {
    method: "GET",
    path: "/sessions",
    async handle(sessions) {
      const list = await sessions.listSessions();
      return list ? { status: 200, body: list.map(({ handle, current }) => ({ handle, current })) } : NOT_LOGGED_IN;
    },
  },
  {
    method: "POST",
    path: "/revoke",
    guarded: true,
    async handle(sessions, header) {
      if ((await sessions.session()) === null) return NOT_LOGGED_IN;
      return { status: 200, body: { revoked: await sessions.revokeSession(header("x-handle") ?? "") } };
    },
  },
  {
    method: "ALL",
    path: "/any",
    async handle(sessions) {
      return { status: 200, body: { status: (await sessions.lookup()).status } };
    },
  },
];
