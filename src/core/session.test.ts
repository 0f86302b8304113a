import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../stores/memory/memory-store.js";
import { ConfigError, SessionInputError, StoreUnavailableError } from "./errors.js";
import { createSessionManager, type SessionManagerOptions } from "./session.js";
import type { SessionStore } from "./store.js";
import { deriveSessionId } from "./token.js";

function setup(options: Partial<SessionManagerOptions> = {}) {
  let nowMs = 1_800_000_000_000;
  const clock = { now: () => nowMs, advanceSeconds: (seconds: number) => (nowMs += seconds * 1000) };
  const inner = createMemoryStore({ now: clock.now });
  const calls: string[] = [];
  // Records which store methods ran, to prove what does and does not reach the store.
  const store: SessionStore = {
    description: inner.description,
    create: (...args) => (calls.push("create"), inner.create(...args)),
    readAndExtend: (...args) => (calls.push("readAndExtend"), inner.readAndExtend(...args)),
    update: (...args) => (calls.push("update"), inner.update(...args)),
    destroy: (...args) => (calls.push("destroy"), inner.destroy(...args)),
    close: () => inner.close(),
  };
  const sessions = createSessionManager<{ theme?: string }>({ store, now: clock.now, ...options });
  return { sessions, clock, calls, store };
}

const request = (cookie?: string, url = "http://localhost/") => new Request(url, cookie === undefined ? {} : { headers: { cookie } });

describe("login", () => {
  it("creates a session and a cookie with the secure defaults", async () => {
    const { sessions } = setup();
    const { session, token, setCookie } = await sessions.login(request(), { userId: "abdullah" });
    expect(setCookie).toBe(`session_id=${token}; Path=/; HttpOnly; SameSite=Lax`);
    expect(session.userId).toBe("abdullah");
    expect(session.id).toBe(await deriveSessionId(token));
    expect(session.expiresAt.getTime() - session.createdAt.getTime()).toBe(900_000);
    expect(session.absoluteExpiresAt.getTime() - session.createdAt.getTime()).toBe(43_200_000);
  });

  it("sets Secure when the request is https, and when configured", async () => {
    expect((await setup().sessions.login(request(undefined, "https://app.example/"), { userId: "a" })).setCookie).toContain("; Secure");
    expect((await setup().sessions.login(request(), { userId: "a" })).setCookie).not.toContain("Secure");
    expect((await setup({ cookie: { secure: true } }).sessions.login(request(), { userId: "a" })).setCookie).toContain("; Secure");
  });

  it("gives a persistent cookie a Max-Age of the absolute timeout", async () => {
    const { setCookie } = await setup({ cookie: { persistent: true }, absoluteTimeoutSeconds: 3600 }).sessions.login(request(), { userId: "a" });
    expect(setCookie).toContain("; Max-Age=3600");
  });

  it("rotates: the session the request carried is destroyed, its id never adopted", async () => {
    const { sessions } = setup();
    const first = await sessions.login(request(), { userId: "a" });
    const second = await sessions.login(request(`session_id=${first.token}`), { userId: "b" });
    expect(second.token).not.toBe(first.token);
    expect(await sessions.validateToken(first.token)).toBeNull();
    expect((await sessions.validateToken(second.token))?.userId).toBe("b");
  });

  it("ignores a client-chosen (malformed) session id entirely", async () => {
    const { sessions, calls } = setup();
    const { token } = await sessions.login(request("session_id=attacker-chosen"), { userId: "a" });
    expect(token).not.toBe("attacker-chosen");
    expect(calls).toEqual(["create"]);
  });

  it("refuses an empty or over-long user id and oversized data before touching the store", async () => {
    const { sessions, calls } = setup({ maxUserIdLength: 8, maxRecordBytes: 100 });
    await expect(sessions.login(request(), { userId: "" })).rejects.toThrow(SessionInputError);
    await expect(sessions.login(request(), { userId: "123456789" })).rejects.toThrow(/at most 8 characters/);
    await expect(sessions.login(request(), { userId: "a", data: { theme: "x".repeat(200) } })).rejects.toThrow(/bytes encoded, limit is maxRecordBytes = 100/);
    expect(calls).toEqual([]);
  });
});

describe("authenticate", () => {
  it("is anonymous without a cookie (or with an empty one) and touches no store", async () => {
    const { sessions, calls } = setup();
    expect(await sessions.authenticate(request())).toEqual({ status: "anonymous" });
    expect(await sessions.authenticate(request("other=1; session_id="))).toEqual({ status: "anonymous" });
    expect(calls).toEqual([]);
  });

  it("rejects a malformed cookie before any store call, and clears it", async () => {
    const { sessions, calls } = setup();
    for (const value of ["68223c50-ede4-48eb-9d26-4a4dd735c10d", "x".repeat(4000), "'; DROP TABLE", `${"A".repeat(42)}B`]) {
      const lookup = await sessions.authenticate(request(`session_id=${value}`));
      expect(lookup).toEqual({ status: "invalid", clearCookie: "session_id=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" });
    }
    expect(calls).toEqual([]);
  });

  it("finds an active session with one store call", async () => {
    const { sessions, calls } = setup();
    const { token } = await sessions.login(request(), { userId: "a", data: { theme: "dark" } });
    calls.length = 0;
    const lookup = await sessions.authenticate(request(`session_id=${token}`));
    expect(lookup.status).toBe("active");
    if (lookup.status === "active") {
      expect(lookup.token).toBe(token);
      expect(lookup.session.data).toEqual({ theme: "dark" });
    }
    expect(calls).toEqual(["readAndExtend"]);
  });

  it("slides the idle timeout on use and ends the session after 900 s idle", async () => {
    const { sessions, clock } = setup();
    const { token } = await sessions.login(request(), { userId: "a" });
    for (let i = 0; i < 5; i++) {
      clock.advanceSeconds(899);
      expect((await sessions.authenticate(request(`session_id=${token}`))).status).toBe("active");
    }
    clock.advanceSeconds(900);
    expect((await sessions.authenticate(request(`session_id=${token}`))).status).toBe("invalid");
  });

  it("ends an active session at the absolute timeout however busy it is, and deletes it", async () => {
    const { sessions, clock, calls } = setup({ idleTimeoutSeconds: 600, absoluteTimeoutSeconds: 3600 });
    const { token } = await sessions.login(request(), { userId: "a" });
    for (let elapsed = 0; elapsed < 3000; elapsed += 500) {
      clock.advanceSeconds(500);
      const lookup = await sessions.authenticate(request(`session_id=${token}`));
      expect(lookup.status).toBe("active");
      // expiresAt never promises more than the absolute deadline allows.
      if (lookup.status === "active") expect(lookup.session.expiresAt.getTime()).toBeLessThanOrEqual(lookup.session.absoluteExpiresAt.getTime());
    }
    clock.advanceSeconds(500); // 3500 s: still inside
    expect((await sessions.authenticate(request(`session_id=${token}`))).status).toBe("active");
    clock.advanceSeconds(100); // 3600 s: over
    calls.length = 0;
    expect((await sessions.authenticate(request(`session_id=${token}`))).status).toBe("invalid");
    expect(calls).toEqual(["readAndExtend", "destroy"]);
  });

  it("propagates a store outage as StoreUnavailableError, never as 'invalid'", async () => {
    const failing: SessionStore = {
      description: "failing",
      create: async () => Promise.reject(new StoreUnavailableError("STORE_UNAVAILABLE", "down")),
      readAndExtend: async () => Promise.reject(new StoreUnavailableError("STORE_UNAVAILABLE", "down")),
      update: async () => Promise.reject(new StoreUnavailableError("STORE_UNAVAILABLE", "down")),
      destroy: async () => Promise.reject(new StoreUnavailableError("STORE_UNAVAILABLE", "down")),
      close: async () => undefined,
    };
    const sessions = createSessionManager({ store: failing });
    const { token } = await setup().sessions.login(request(), { userId: "a" });
    await expect(sessions.authenticate(request(`session_id=${token}`))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(sessions.logout(request(`session_id=${token}`))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(sessions.login(request(), { userId: "a" })).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe("logout", () => {
  it("destroys the session and clears the cookie", async () => {
    const { sessions } = setup();
    const { token } = await sessions.login(request(), { userId: "a" });
    expect(await sessions.logout(request(`session_id=${token}`))).toEqual({ clearCookie: "session_id=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" });
    expect(await sessions.validateToken(token)).toBeNull();
  });

  it("without a cookie does nothing; with a malformed one only clears it", async () => {
    const { sessions, calls } = setup();
    expect(await sessions.logout(request())).toEqual({ clearCookie: null });
    expect((await sessions.logout(request("session_id=junk"))).clearCookie).toContain("Max-Age=0");
    expect(calls).toEqual([]);
  });
});

describe("update", () => {
  it("replaces data, and returns null without recreating a session that ended", async () => {
    const { sessions } = setup();
    const { token, session } = await sessions.login(request(), { userId: "a" });
    const updated = await sessions.update(session, { theme: "dark" });
    expect(updated?.data).toEqual({ theme: "dark" });
    expect((await sessions.validateToken(token))?.data).toEqual({ theme: "dark" });
    await sessions.destroy(session.id);
    expect(await sessions.update(session, { theme: "light" })).toBeNull();
    expect(await sessions.validateToken(token)).toBeNull();
  });
});

describe("configuration", () => {
  it.each([
    [{ idleTimeoutSeconds: 0 }, /idleTimeoutSeconds must be a whole number/],
    [{ absoluteTimeoutSeconds: 1.5 }, /absoluteTimeoutSeconds/],
    [{ cookie: { name: "__Host-sid" } }, /__Host- prefix/],
    [{ store: undefined as unknown as SessionStore }, /options.store is required/],
  ])("rejects %o at construction", (options, message) => {
    const { store } = setup();
    expect(() => createSessionManager({ store, ...options })).toThrow(ConfigError);
    expect(() => createSessionManager({ store, ...options })).toThrow(message);
  });
});
