import { createSessionManager, type SessionManager, type SessionStore } from "tessera";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SuiteRequest, SuiteResponse } from "./raw-http.js";
import { APP_COOKIE, type SuiteData } from "./suite-routes.js";
import { OUTAGE_RETRY_AFTER_SECONDS, switchableStore } from "./switchable-store.js";

/** An app of the suite (every route of `SUITE_ROUTES`), running on one adapter. */
export interface RunningApp {
  /** The origin a browser would send for pages of this app, e.g. `http://127.0.0.1:5123`. */
  origin: string;
  send(request: SuiteRequest): Promise<SuiteResponse>;
  close(): Promise<void>;
}

/** How the app is set up, beyond the suite's routes. */
export interface AppSetup {
  /**
   * Behind a proxy the app trusts, as the framework says it: Express's `trust proxy`, Fastify's
   * `trustProxy`, the Hono guard's `trustProxy`. The suite's requests come from loopback.
   */
  trustProxy?: boolean;
}

/** How to run the suite's app on one adapter. */
export interface AdapterDriver {
  name: string;
  start(manager: SessionManager<SuiteData>, setup?: AppSetup): Promise<RunningApp>;
  /** Cases this driver cannot send, each with the reason; they are reported as skipped, not passed. */
  cannotRun?: Partial<Record<"trace" | "customMethod" | "malformedHost" | "trustProxy", string>>;
}

const COOKIE = "session_id";

/** The `name=value` pair of the session cookie a response set (not a clearing one), or undefined. */
function sessionCookie(response: SuiteResponse): string | undefined {
  const line = response.setCookies.find((value) => value.startsWith(`${COOKIE}=`) && !value.startsWith(`${COOKIE}=;`));
  return line?.split(";")[0];
}

function clearsCookie(response: SuiteResponse): boolean {
  return response.setCookies.some((value) => value.startsWith(`${COOKIE}=;`) && /Max-Age=0/.test(value));
}

/**
 * The one test suite every adapter passes: login, read, rotation, logout, list, revoke, store down
 * → 503, malformed `Host`, odd methods, HEAD, one store read per request, `no-store` on cookie
 * responses, dead cookies cleared, the same-origin guard.
 */
export function describeAdapterSuite(driver: AdapterDriver): void {
  describe(`adapter suite: ${driver.name}`, () => {
    let app: RunningApp;
    let calls: Map<keyof SessionStore, number>;
    let setFailing: (failing: boolean) => void;

    beforeAll(async () => {
      const switchable = switchableStore();
      calls = switchable.calls;
      setFailing = switchable.setFailing;
      app = await driver.start(createSessionManager<SuiteData>({ store: switchable.store }));
    });
    afterAll(async () => app?.close());
    afterEach(() => setFailing(false));

    const storeCalls = (): number => [...calls.values()].reduce((sum, count) => sum + count, 0);
    async function login(user: string, cookie?: string): Promise<{ response: SuiteResponse; cookie: string; handle: string }> {
      const response = await app.send({ method: "POST", path: "/login", headers: { "x-user": user, ...(cookie ? { cookie } : {}) } });
      expect(response.status, response.text).toBe(200);
      const set = sessionCookie(response);
      expect(set, `login set no session cookie: ${JSON.stringify(response.setCookies)}`).toBeDefined();
      return { response, cookie: set!, handle: (JSON.parse(response.text) as { handle: string }).handle };
    }

    it("login sets one HttpOnly session cookie with Cache-Control: no-store, appended to other cookies", async () => {
      const { response } = await login("ada");
      expect(response.setCookies.filter((line) => line.startsWith(`${COOKIE}=`))).toHaveLength(1);
      expect(response.setCookies.find((line) => line.startsWith(`${COOKIE}=`))).toMatch(/HttpOnly/);
      expect(response.setCookies).toContain(APP_COOKIE);
      expect(response.headers["cache-control"]).toBe("no-store");
    });

    it("reads the session with one store call however often the handler asks, and none when it never asks", async () => {
      const { cookie } = await login("grace");
      const before = storeCalls();
      const me = await app.send({ method: "GET", path: "/me", headers: { cookie } });
      expect(me.status).toBe(200);
      expect(JSON.parse(me.text)).toEqual({ user: "grace", theme: "dark" });
      expect(storeCalls() - before).toBe(1);
      expect(me.setCookies).toEqual([]);
      await app.send({ method: "GET", path: "/plain", headers: { cookie } });
      expect(storeCalls() - before).toBe(1);
    });

    it("a request without a cookie is anonymous and costs no store call", async () => {
      const before = storeCalls();
      const me = await app.send({ method: "GET", path: "/me" });
      expect(me.status).toBe(401);
      expect(me.setCookies).toEqual([]);
      expect(storeCalls()).toBe(before);
    });

    it("a login with a session rotates it: new token, the old cookie is dead and cleared with no-store", async () => {
      const first = await login("linus");
      const second = await login("linus", first.cookie);
      expect(second.cookie).not.toBe(first.cookie);
      const stale = await app.send({ method: "GET", path: "/me", headers: { cookie: first.cookie } });
      expect(stale.status).toBe(401);
      expect(clearsCookie(stale)).toBe(true);
      expect(stale.headers["cache-control"]).toBe("no-store");
      expect((await app.send({ method: "GET", path: "/me", headers: { cookie: second.cookie } })).status).toBe(200);
    });

    it("logout ends the session and clears the cookie with no-store", async () => {
      const { cookie } = await login("barbara");
      const out = await app.send({ method: "POST", path: "/logout", headers: { cookie } });
      expect(out.status).toBe(200);
      expect(clearsCookie(out)).toBe(true);
      expect(out.headers["cache-control"]).toBe("no-store");
      expect((await app.send({ method: "GET", path: "/me", headers: { cookie } })).status).toBe(401);
    });

    it("lists the user's sessions and revokes another one; revoking its own clears its cookie", async () => {
      const laptop = await login("edsger");
      const phone = await login("edsger");
      const list = await app.send({ method: "GET", path: "/sessions", headers: { cookie: laptop.cookie } });
      expect(JSON.parse(list.text)).toEqual(
        expect.arrayContaining([
          { handle: laptop.handle, current: true },
          { handle: phone.handle, current: false },
        ]),
      );
      expect(JSON.parse(list.text)).toHaveLength(2);
      const revoked = await app.send({ method: "POST", path: "/revoke", headers: { cookie: laptop.cookie, "x-handle": phone.handle } });
      expect(JSON.parse(revoked.text)).toEqual({ revoked: true });
      expect((await app.send({ method: "GET", path: "/me", headers: { cookie: phone.cookie } })).status).toBe(401);
      const self = await app.send({ method: "POST", path: "/revoke", headers: { cookie: laptop.cookie, "x-handle": laptop.handle } });
      expect(JSON.parse(self.text)).toEqual({ revoked: true });
      expect(clearsCookie(self)).toBe(true);
      expect(self.headers["cache-control"]).toBe("no-store");
    });

    it("a user cannot revoke another user's session", async () => {
      const mallory = await login("mallory");
      const alice = await login("alice");
      const attempt = await app.send({ method: "POST", path: "/revoke", headers: { cookie: mallory.cookie, "x-handle": alice.handle } });
      expect(JSON.parse(attempt.text)).toEqual({ revoked: false });
      expect((await app.send({ method: "GET", path: "/me", headers: { cookie: alice.cookie } })).status).toBe(200);
    });

    it("store down: 503 with Retry-After and no-store, the cookie is kept, and the session survives the outage", async () => {
      const { cookie } = await login("ken");
      setFailing(true);
      for (const request of [
        { method: "GET", path: "/me", headers: { cookie } },
        { method: "POST", path: "/login", headers: { cookie } },
        { method: "POST", path: "/logout", headers: { cookie } },
        { method: "GET", path: "/sessions", headers: { cookie } },
      ]) {
        const down = await app.send(request);
        expect(down.status, `${request.method} ${request.path}: ${down.text}`).toBe(503);
        expect(down.headers["retry-after"]).toBe(String(OUTAGE_RETRY_AFTER_SECONDS));
        expect(down.headers["cache-control"]).toBe("no-store");
        expect(down.setCookies.filter((line) => line.startsWith(`${COOKIE}=`))).toEqual([]);
        expect(down.text).not.toMatch(/<html|<pre|at .*\.ts:/i);
      }
      setFailing(false);
      expect((await app.send({ method: "GET", path: "/me", headers: { cookie } })).status).toBe(200);
    });

    it.skipIf(driver.cannotRun?.malformedHost !== undefined)("a malformed Host is no 500 and no stack trace, and the guard still works", async () => {
      const { cookie } = await login("dennis");
      for (const host of ["bad host", "[::1", "%%", "exa mple.com:99999"]) {
        const me = await app.send({ method: "GET", path: "/me", headers: { host, cookie } });
        expect(me.status, `Host ${host}: ${me.text}`).toBeLessThan(500);
        expect(me.text).not.toMatch(/<html|<pre|at .*\.ts:/i);
        const guarded = await app.send({ method: "POST", path: "/login", headers: { host, origin: "https://evil.example" } });
        // 403 from the guard, or 400 from a server that refuses the Host before the app runs
        // (@hono/node-server cannot build a Web Request from it); never through, never a 500.
        expect([400, 403], `Host ${host}: ${guarded.status} ${guarded.text}`).toContain(guarded.status);
      }
    });

    it("OPTIONS reaches the session without a 500", async () => {
      const { cookie } = await login("ritchie");
      const response = await app.send({ method: "OPTIONS", path: "/any", headers: { cookie } });
      expect(response.status, response.text).toBeLessThan(500);
    });

    it.skipIf(driver.cannotRun?.customMethod !== undefined)("a custom method the app registered (PURGE) reaches the session", async () => {
      const { cookie } = await login("pike");
      const purge = await app.send({ method: "PURGE", path: "/any", headers: { cookie } });
      expect(purge.status, purge.text).toBe(200);
      expect(JSON.parse(purge.text)).toEqual({ status: "active" });
    });

    it.skipIf(driver.cannotRun?.trace !== undefined)("TRACE is answered without a 500", async () => {
      const { cookie } = await login("thompson");
      const response = await app.send({ method: "TRACE", path: "/any", headers: { cookie } });
      expect(response.status, response.text).toBeLessThan(500);
    });

    it("HEAD reads the session like GET, with no body, and clears a dead cookie with no-store", async () => {
      const { cookie } = await login("hopper");
      const live = await app.send({ method: "HEAD", path: "/me", headers: { cookie } });
      expect(live.status).toBe(200);
      expect(live.text).toBe("");
      await app.send({ method: "POST", path: "/logout", headers: { cookie } });
      const dead = await app.send({ method: "HEAD", path: "/me", headers: { cookie } });
      expect(dead.status).toBe(401);
      expect(clearsCookie(dead)).toBe(true);
      expect(dead.headers["cache-control"]).toBe("no-store");
    });

    it("a malformed or unknown cookie is cleared, with no-store", async () => {
      for (const value of ["not-a-token", "A".repeat(45)]) {
        const response = await app.send({ method: "GET", path: "/me", headers: { cookie: `${COOKIE}=${value}` } });
        expect(response.status).toBe(401);
        expect(clearsCookie(response)).toBe(true);
        expect(response.headers["cache-control"]).toBe("no-store");
      }
    });

    it("the same-origin guard refuses cross-site browsers and lets its own origin and non-browsers through", async () => {
      const refused = await app.send({ method: "POST", path: "/login", headers: { origin: "https://evil.example" } });
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.text)).toEqual({ detail: expect.stringContaining("Cross-site request refused") });
      expect(refused.setCookies).toEqual([]);
      expect((await app.send({ method: "POST", path: "/login", headers: { "sec-fetch-site": "cross-site" } })).status).toBe(403);
      expect((await app.send({ method: "POST", path: "/login", headers: { "sec-fetch-site": "same-site" } })).status).toBe(403);
      expect((await app.send({ method: "POST", path: "/login", headers: { "sec-fetch-site": "same-origin" } })).status).toBe(200);
      expect((await app.send({ method: "POST", path: "/login", headers: { origin: app.origin } })).status).toBe(200);
      expect((await app.send({ method: "POST", path: "/login" })).status).toBe(200);
    });

    it("the browser's Sec-Fetch-Site decides over Origin and Host: same-origin passes behind any proxy, cross-site is refused even with our Origin", async () => {
      // Behind a TLS proxy that rewrites Host, with no proxy setting: Origin and Host disagree,
      // but the browser says the page is of the origin it asked.
      const behindProxy = await app.send({ method: "POST", path: "/login", headers: { origin: "https://app.example.com", "sec-fetch-site": "same-origin" } });
      expect(behindProxy.status, behindProxy.text).toBe(200);
      expect((await app.send({ method: "POST", path: "/login", headers: { origin: app.origin, "sec-fetch-site": "cross-site" } })).status).toBe(403);
      expect((await app.send({ method: "POST", path: "/login", headers: { origin: app.origin, "sec-fetch-site": "same-site" } })).status).toBe(403);
      // A browser without Sec-Fetch-Site (older ones): Origin against the request's own origin.
      expect((await app.send({ method: "POST", path: "/login", headers: { origin: "https://app.example.com" } })).status).toBe(403);
    });

    it("the guard ignores X-Forwarded-Host and -Proto from a proxy the app does not trust", async () => {
      // The app's own scheme (http), so only the forwarded host could make these match.
      const forged = { "x-forwarded-host": "evil.example", origin: "http://evil.example" };
      expect((await app.send({ method: "POST", path: "/login", headers: forged })).status).toBe(403);
      const proxied = { "x-forwarded-host": "app.example.com", "x-forwarded-proto": "https", origin: "https://app.example.com" };
      expect((await app.send({ method: "POST", path: "/login", headers: proxied })).status).toBe(403);
    });
  });

  describe.skipIf(driver.cannotRun?.trustProxy !== undefined)(`adapter suite: ${driver.name}, behind a proxy it trusts`, () => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await driver.start(createSessionManager<SuiteData>({ store: switchableStore().store }), { trustProxy: true });
    });
    afterAll(async () => app?.close());

    it("a browser's login through a TLS proxy on another host passes the guard on Origin alone; another site's is still refused", async () => {
      // No Sec-Fetch-Site (it would decide on its own): the Origin comparison is what is tested.
      const viaProxy = { "x-forwarded-host": "app.example.com", "x-forwarded-proto": "https" };
      const own = await app.send({ method: "POST", path: "/login", headers: { ...viaProxy, origin: "https://app.example.com" } });
      expect(own.status, own.text).toBe(200);
      // The browser used https: the session cookie is Secure (`secure: "auto"`).
      expect(own.setCookies.find((line) => line.startsWith(`${COOKIE}=`))).toMatch(/; Secure(;|$)/);
      // The port the browser used is part of its origin.
      const withPort = { ...viaProxy, "x-forwarded-host": "app.example.com:8443", origin: "https://app.example.com:8443" };
      expect((await app.send({ method: "POST", path: "/login", headers: withPort })).status).toBe(200);
      // The app's own address is no longer the origin the browser used.
      expect((await app.send({ method: "POST", path: "/login", headers: { ...viaProxy, origin: app.origin } })).status).toBe(403);
      const crossSite = await app.send({
        method: "POST",
        path: "/login",
        headers: { ...viaProxy, origin: "https://evil.example" },
      });
      expect(crossSite.status).toBe(403);
      expect(JSON.parse(crossSite.text)).toEqual({ detail: expect.stringContaining("Cross-site request refused") });
    });
  });
}
