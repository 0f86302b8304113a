import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { app as readmeExample } from "../../../examples/hono-memory.js";
import { StoreUnavailableError } from "../../core/errors.js";
import { createSessionManager } from "../../core/session.js";
import type { SessionStore } from "../../core/store.js";
import { createMemoryStore } from "../../stores/memory/memory-store.js";
import { sessionErrorHandler, sessionMiddleware, type SessionEnv } from "./index.js";

describe("the README's example app", () => {
  it("logs in, reads the session back, and refuses without a cookie", async () => {
    const login = await readmeExample.request("/login", { method: "POST" });
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    expect(login.headers.get("cache-control")).toBe("no-store");
    expect(await (await readmeExample.request("/me", { headers: { cookie } })).json()).toEqual({ user: "ada", theme: "dark" });
    expect((await readmeExample.request("/me")).status).toBe(401);
  });
});

describe("sessionMiddleware", () => {
  function counting() {
    const inner = createMemoryStore();
    let reads = 0;
    const store: SessionStore = {
      ...inner,
      description: "counting",
      readAndExtend: (...args) => {
        reads++;
        return inner.readAndExtend(...args);
      },
    };
    return { store, reads: () => reads };
  }

  it("reads the store once per request however often lookup() is called, and not at all if never called", async () => {
    const { store, reads } = counting();
    const sessions = createSessionManager({ store });
    const app = new Hono<SessionEnv>();
    app.use(sessionMiddleware(sessions));
    app.post("/login", async (c) => c.json({ token: (await c.var.sessions.login({ userId: "u" })).token }));
    app.get("/twice", async (c) => {
      await c.var.sessions.lookup();
      return c.json((await c.var.sessions.lookup()).status);
    });
    app.get("/never", (c) => c.text("ok"));
    const { token } = (await (await app.request("/login", { method: "POST" })).json()) as { token: string };
    expect(await (await app.request("/twice", { headers: { cookie: `session_id=${token}` } })).json()).toBe("active");
    expect(reads()).toBe(1);
    await app.request("/never", { headers: { cookie: `session_id=${token}` } });
    expect(reads()).toBe(1);
  });

  it("after logout() in a request, lookup() sees no session and the cookie is cleared", async () => {
    const sessions = createSessionManager({ store: createMemoryStore() });
    const app = new Hono<SessionEnv>();
    app.use(sessionMiddleware(sessions));
    app.post("/login", async (c) => c.json({ token: (await c.var.sessions.login({ userId: "u" })).token }));
    app.post("/logout", async (c) => {
      await c.var.sessions.logout();
      return c.json((await c.var.sessions.lookup()).status);
    });
    const { token } = (await (await app.request("/login", { method: "POST" })).json()) as { token: string };
    const response = await app.request("/logout", { method: "POST", headers: { cookie: `session_id=${token}` } });
    expect(await response.json()).toBe("anonymous");
    expect(response.headers.get("set-cookie")).toContain("Max-Age=0");
  });

  it("sessionErrorHandler maps store failures to 503 and other errors to a bare 500", async () => {
    const broken: SessionStore = {
      ...createMemoryStore(),
      readAndExtend: () => Promise.reject(new StoreUnavailableError("STORE_TIMEOUT", "slow", { retryAfterSeconds: 3 })),
    };
    const app = new Hono<SessionEnv>();
    app.use(sessionMiddleware(createSessionManager({ store: broken })));
    app.onError(sessionErrorHandler());
    app.get("/me", async (c) => c.json(await c.var.sessions.lookup()));
    app.get("/bug", () => {
      throw new Error("secret internals");
    });
    const unavailable = await app.request("/me", { headers: { cookie: `session_id=${"A".repeat(45)}` } });
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get("retry-after")).toBe("3");
    const bug = await app.request("/bug");
    expect(bug.status).toBe(500);
    expect(await bug.text()).toBe('{"detail":"Internal Server Error"}');
  });
});

describe("c.var.sessions.patch", () => {
  it("changes the request's session data, and is null without a session", async () => {
    const sessions = createSessionManager<{ theme?: string; count?: number }>({ store: createMemoryStore() });
    const app = new Hono<SessionEnv<{ theme?: string; count?: number }>>();
    app.use(sessionMiddleware(sessions, { clientIp: () => "192.0.2.1" }));
    app.post("/login", async (c) => c.json({ token: (await c.var.sessions.login({ userId: "u", data: { theme: "dark" } })).token }));
    app.post("/count", async (c) => c.json((await c.var.sessions.patch({ set: { count: 1 } }))?.data ?? null));
    app.get("/devices", async (c) => {
      const lookup = await c.var.sessions.lookup();
      return c.json(lookup.status === "active" ? await sessions.listSessions(lookup.session) : []);
    });
    const { token } = (await (await app.request("/login", { method: "POST" })).json()) as { token: string };
    const headers = { cookie: `session_id=${token}` };
    expect(await (await app.request("/count", { method: "POST", headers })).json()).toEqual({ theme: "dark", count: 1 });
    expect(await (await app.request("/count", { method: "POST" })).json()).toBeNull();
    expect(((await (await app.request("/devices", { headers })).json()) as Array<{ ip: string }>)[0]?.ip).toBe("192.0.2.1");
  });
});

describe("a handler that returns a Response of its own", () => {
  function app() {
    const manager = createSessionManager({ store: createMemoryStore() });
    const hono = new Hono<SessionEnv>();
    hono.use(sessionMiddleware(manager));
    hono.post("/login-redirect", async (c) => {
      await c.var.sessions.login({ userId: "ada" });
      return Response.redirect("http://localhost/home", 303);
    });
    hono.post("/logout-204", async (c) => {
      await c.var.sessions.logout();
      return new Response(null, { status: 204, headers: { "set-cookie": "theme=dark; Path=/" } });
    });
    hono.post("/login-json", async (c) => {
      await c.var.sessions.login({ userId: "ada" });
      return c.json({ ok: true });
    });
    hono.get("/me", async (c) => c.json({ user: (await c.var.sessions.session())?.userId ?? null }));
    return hono;
  }

  it("still carries the login cookie and no-store (Response.redirect's headers are immutable)", async () => {
    const hono = app();
    const response = await hono.request("/login-redirect", { method: "POST" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("http://localhost/home");
    const cookies = response.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const me = await hono.request("/me", { headers: { cookie: cookies[0]!.split(";")[0]! } });
    expect(await me.json()).toEqual({ user: "ada" });
  });

  it("still carries the clearing cookie beside the handler's own, and a c.json answer gets each cookie once", async () => {
    const hono = app();
    const login = await hono.request("/login-json", { method: "POST" });
    expect(login.headers.getSetCookie()).toHaveLength(1);
    const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
    const logout = await hono.request("/logout-204", { method: "POST", headers: { cookie } });
    expect(logout.status).toBe(204);
    expect(logout.headers.getSetCookie()).toEqual(["theme=dark; Path=/", "session_id=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"]);
  });
});
