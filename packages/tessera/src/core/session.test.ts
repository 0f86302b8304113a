import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../stores/memory/memory-store.js";
import { ConfigError, SessionInputError, StoreUnavailableError } from "./errors.js";
import type { SessionEvent } from "./events.js";
import { nodeSha256 } from "../runtime/node.js";
import { HeaderRecordRequest } from "./request-sessions.js";
import { createSessionManager } from "./session.js";
import type { SessionManagerOptions } from "./options.js";
import { encodeSessionRecord, type SessionRecord } from "./record.js";
import type { SessionStore } from "./store.js";
import { deriveSessionId } from "./token.js";

function setup(options: Partial<SessionManagerOptions> = {}) {
  let nowMs = 1_800_000_000_000;
  const clock = { now: () => nowMs, advanceSeconds: (seconds: number) => (nowMs += seconds * 1000) };
  const inner = createMemoryStore({ now: clock.now });
  const calls: string[] = [];
  const events: SessionEvent[] = [];
  // Records which store methods ran, to prove what does and does not reach the store.
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || property === "close") return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as SessionStore;
  const sessions = createSessionManager<{ theme?: string; cart?: string[] }>({ store, now: clock.now, onEvent: (event) => events.push(event), ...options });
  return { sessions, clock, calls, events, store };
}

const request = (cookie?: string, url = "http://localhost/", userAgent?: string) => {
  const headers: Record<string, string> = {};
  if (cookie !== undefined) headers.cookie = cookie;
  if (userAgent !== undefined) headers["user-agent"] = userAgent;
  return new Request(url, { headers });
};
const cookieOf = (token: string) => `session_id=${token}`;

// A synchronous hash (nodeSha256) takes another path through login than Web Crypto's promise.
describe.each([
  ["Web Crypto", {}],
  ["nodeSha256", { sha256: nodeSha256 }],
] as const)("login (%s)", (_, hash: Partial<SessionManagerOptions>) => {
  it("creates a session and a cookie with the secure defaults", async () => {
    const { sessions, events } = setup(hash);
    const { session, token, setCookie } = await sessions.login(request(), { userId: "abdullah" });
    expect(setCookie).toBe(`session_id=${token}; Path=/; HttpOnly; SameSite=Lax`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{45}$/);
    expect(session.userId).toBe("abdullah");
    expect(session.id).toBe(await deriveSessionId(token));
    expect(session.expiresAt.getTime() - session.createdAt.getTime()).toBe(900_000);
    expect(session.absoluteExpiresAt.getTime() - session.createdAt.getTime()).toBe(43_200_000);
    expect(events).toEqual([{ type: "created", sessionId: session.id, userId: "abdullah" }]);
  });

  it("sets Secure when the request is https, and when configured", async () => {
    expect((await setup(hash).sessions.login(request(undefined, "https://app.example/"), { userId: "a" })).setCookie).toContain("; Secure");
    expect((await setup(hash).sessions.login(request(), { userId: "a" })).setCookie).not.toContain("Secure");
    expect((await setup({ ...hash, cookie: { secure: true } }).sessions.login(request(), { userId: "a" })).setCookie).toContain("; Secure");
  });

  it("gives a persistent cookie a Max-Age of the absolute timeout", async () => {
    const { setCookie } = await setup({ ...hash, cookie: { persistent: true }, absoluteTimeoutSeconds: 3600 }).sessions.login(request(), { userId: "a" });
    expect(setCookie).toContain("; Max-Age=3600");
  });

  it("remember me per login: persistent overrides the manager's cookie.persistent for that login's cookie only", async () => {
    const plain = setup({ ...hash, absoluteTimeoutSeconds: 3600 }).sessions;
    expect((await plain.login(request(), { userId: "a", persistent: true })).setCookie).toContain("; Max-Age=3600");
    expect((await plain.login(request(), { userId: "a" })).setCookie).not.toContain("Max-Age");
    const remembering = setup({ ...hash, cookie: { persistent: true }, absoluteTimeoutSeconds: 3600 }).sessions;
    expect((await remembering.login(request(), { userId: "a", persistent: false })).setCookie).not.toContain("Max-Age");
    // Secure follows the request's scheme either way.
    expect((await plain.login(request(undefined, "https://app.example/"), { userId: "a", persistent: true })).setCookie).toMatch(
      /; Secure.*; Max-Age=3600|; Max-Age=3600.*; Secure/,
    );
  });

  it("rotates: the session the request carried is destroyed, its id never adopted", async () => {
    const { sessions, events } = setup(hash);
    const first = await sessions.login(request(), { userId: "a" });
    const second = await sessions.login(request(cookieOf(first.token)), { userId: "b" });
    expect(second.token).not.toBe(first.token);
    expect(await sessions.validateToken(first.token)).toBeNull();
    expect((await sessions.validateToken(second.token))?.userId).toBe("b");
    expect(events).toContainEqual({ type: "rotated", sessionId: second.session.id, previousSessionId: first.session.id, userId: "b" });
  });

  it("ignores a client-chosen (malformed) session id entirely", async () => {
    const { sessions, calls } = setup(hash);
    const { token } = await sessions.login(request("session_id=attacker-chosen"), { userId: "a" });
    expect(token).not.toBe("attacker-chosen");
    expect(calls).toEqual(["create"]);
  });

  it("records the device as a short label and a sanitized IP", async () => {
    const { sessions } = setup(hash);
    const ua = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";
    const { session } = await sessions.login(request(undefined, undefined, ua), { userId: "a", ip: "203.0.113.9" });
    const [listed] = await sessions.listSessions(session);
    expect(listed).toMatchObject({ userAgent: "Firefox 132 on Linux", ip: "203.0.113.9", current: true });
  });

  it("refuses an empty or over-long user id and oversized data before touching the store", async () => {
    const { sessions, calls } = setup({ ...hash, maxUserIdLength: 8, maxRecordBytes: 100 });
    await expect(sessions.login(request(), { userId: "" })).rejects.toThrow(SessionInputError);
    await expect(sessions.login(request(), { userId: "123456789" })).rejects.toThrow(/at most 8 characters/);
    await expect(sessions.login(request(), { userId: "a", data: { theme: "x".repeat(200) } })).rejects.toThrow(/bytes encoded, limit is maxRecordBytes = 100/);
    expect(calls).toEqual([]);
  });

  it("counts maxRecordBytes in UTF-8 bytes, not characters", async () => {
    const { sessions, calls } = setup({ ...hash, maxRecordBytes: 300 });
    // About 210 characters encoded, but "é" takes 2 bytes: about 350 bytes.
    await expect(sessions.login(request(), { userId: "a", data: { theme: "é".repeat(140) } })).rejects.toThrow(
      /is 3\d\d bytes encoded, limit is maxRecordBytes = 300/,
    );
    expect(calls).toEqual([]);
    await expect(sessions.login(request(), { userId: "a", data: { theme: "e".repeat(140) } })).resolves.toBeDefined();
  });

  it("hands the store the record it encoded for the size check, so a login encodes it once", async () => {
    const inner = createMemoryStore();
    const seen: Array<{ record: SessionRecord; encodedRecord: string | undefined }> = [];
    const store: SessionStore = {
      ...inner,
      description: inner.description,
      create: (sessionId, record, options) => {
        seen.push({ record, encodedRecord: options.encodedRecord });
        return inner.create(sessionId, record, options);
      },
    };
    const sessions = createSessionManager({ store, ...hash });
    const { token } = await sessions.login(request(undefined, "http://localhost/", "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"), {
      userId: "ada",
      data: { theme: "dark", note: 'quote " é' },
      ip: "203.0.113.7",
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.encodedRecord).toBe(encodeSessionRecord(seen[0]!.record));
    expect((await sessions.validateToken(token))?.data).toEqual({ theme: "dark", note: 'quote " é' });
  });

  it("with maxSessionsPerUser, a new login evicts the user's oldest session", async () => {
    const { sessions, clock, events } = setup({ ...hash, maxSessionsPerUser: 2 });
    const first = await sessions.login(request(), { userId: "a" });
    clock.advanceSeconds(1);
    const second = await sessions.login(request(), { userId: "a" });
    clock.advanceSeconds(1);
    const third = await sessions.login(request(), { userId: "a" });
    expect(await sessions.validateToken(first.token)).toBeNull();
    expect(await sessions.validateToken(second.token)).not.toBeNull();
    expect(await sessions.validateToken(third.token)).not.toBeNull();
    expect(events).toContainEqual({ type: "revoked", sessionId: first.session.id, userId: "a", reason: "evicted" });
  });
});

describe("authenticate", () => {
  it("takes any request with a url and headers.get, not only a Web Request: a Node request's headers (a WebSocket upgrade)", async () => {
    const { sessions } = setup();
    const { token } = await sessions.login(request(), { userId: "ada" });
    // What an `upgrade` listener gets: IncomingMessage headers, a plain record with lower-case names.
    const upgrade = new HeaderRecordRequest("http", { cookie: `session_id=${token}`, "user-agent": "ws-client" });
    const lookup = await sessions.authenticate(upgrade);
    expect(lookup).toMatchObject({ status: "active", session: { userId: "ada" } });
    expect(sessions.clearCookie(new HeaderRecordRequest("https", {}))).toMatch(/; Secure/);
  });

  it("is anonymous without a cookie (or with an empty one) and touches no store", async () => {
    const { sessions, calls } = setup();
    expect(await sessions.authenticate(request())).toEqual({ status: "anonymous" });
    expect(await sessions.authenticate(request("other=1; session_id="))).toEqual({ status: "anonymous" });
    expect(calls).toEqual([]);
  });

  it("rejects a malformed cookie before any store call, and clears it", async () => {
    const { sessions, calls } = setup();
    for (const value of ["68223c50-ede4-48eb-9d26-4a4dd735c10d", "x".repeat(4000), "'; DROP TABLE", `${"A".repeat(44)}B`]) {
      const lookup = await sessions.authenticate(request(`session_id=${value}`));
      expect(lookup).toEqual({ status: "invalid", clearCookie: "session_id=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" });
    }
    expect(calls).toEqual([]);
  });

  it("looks past a dead session cookie sent before a live one, instead of clearing the live one", async () => {
    const { sessions, calls } = setup();
    const { token: live } = await sessions.login(request(), { userId: "a" });
    const { token: dead } = await sessions.login(request(), { userId: "b" });
    await sessions.logout(request(cookieOf(dead)));
    calls.length = 0;
    // A stale cookie of a longer path, or one planted for the parent domain, comes first.
    for (const header of [`session_id=${dead}; session_id=${live}`, `session_id=junk; other=1; session_id=${live}`, `session_id=${dead}, session_id=${live}`]) {
      const lookup = await sessions.authenticate(request(header));
      expect(lookup.status, header).toBe("active");
      if (lookup.status === "active") expect(lookup.token).toBe(live);
    }
    // Only well-formed values reach the store: dead + live, live (junk costs nothing), dead + live.
    expect(calls).toEqual(["readAndExtend", "readAndExtend", "readAndExtend", "readAndExtend", "readAndExtend"]);
  });

  it("looks past an empty first session cookie too, and is anonymous when no later one is live", async () => {
    const { sessions } = setup();
    const { token: live } = await sessions.login(request(), { userId: "a" });
    expect(await sessions.authenticate(request(`session_id=; session_id=${live}`))).toMatchObject({ status: "active", token: live });
    expect(await sessions.authenticate(request("session_id=; session_id=junk"))).toEqual({ status: "anonymous" });
  });

  it("with the session cookie sent twice, logout ends both sessions and a login replaces both", async () => {
    const { sessions } = setup();
    const first = (await sessions.login(request(), { userId: "a" })).token;
    const second = (await sessions.login(request(), { userId: "a" })).token;
    await sessions.logout(request(`session_id=${first}; session_id=${second}`));
    expect((await sessions.authenticate(request(cookieOf(first)))).status).toBe("invalid");
    expect((await sessions.authenticate(request(cookieOf(second)))).status).toBe("invalid");

    const third = (await sessions.login(request(), { userId: "a" })).token;
    const fourth = (await sessions.login(request(), { userId: "a" })).token;
    const { token: fresh } = await sessions.login(request(`session_id=junk; session_id=${third}; session_id=${fourth}`), { userId: "a" });
    expect((await sessions.authenticate(request(cookieOf(third)))).status).toBe("invalid");
    expect((await sessions.authenticate(request(cookieOf(fourth)))).status).toBe("invalid");
    expect((await sessions.authenticate(request(cookieOf(fresh)))).status).toBe("active");
  });

  it("reads at most three of a repeated session cookie, and clears when none is live", async () => {
    const { sessions, calls } = setup();
    const { token: live } = await sessions.login(request(), { userId: "a" });
    const dead = await Promise.all(
      ["b", "c", "d"].map(async (userId) => {
        const { token } = await sessions.login(request(), { userId });
        await sessions.logout(request(cookieOf(token)));
        return token;
      }),
    );
    calls.length = 0;
    const header = [...dead, live].map(cookieOf).join("; ");
    expect(await sessions.authenticate(request(header))).toEqual({ status: "invalid", clearCookie: "session_id=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" });
    expect(calls).toHaveLength(3);
    // Repeats of one value are read once.
    calls.length = 0;
    expect((await sessions.authenticate(request([dead[0]!, dead[0]!, dead[0]!, live].map(cookieOf).join("; ")))).status).toBe("active");
    expect(calls).toHaveLength(2);
  });

  it("finds an active session with one store call", async () => {
    const { sessions, calls } = setup();
    const { token } = await sessions.login(request(), { userId: "a", data: { theme: "dark" } });
    calls.length = 0;
    const lookup = await sessions.authenticate(request(cookieOf(token)));
    expect(lookup.status).toBe("active");
    if (lookup.status === "active") {
      expect(lookup.token).toBe(token);
      expect(lookup.session.data).toEqual({ theme: "dark" });
    }
    expect(calls).toEqual(["readAndExtend"]);
  });

  it("records activity at most once per touch interval: one extra store call then, none otherwise", async () => {
    const { sessions, clock, calls } = setup({ touchIntervalSeconds: 60 });
    const { token } = await sessions.login(request(), { userId: "a" });
    calls.length = 0;
    clock.advanceSeconds(30);
    await sessions.authenticate(request(cookieOf(token)));
    expect(calls).toEqual(["readAndExtend"]);
    clock.advanceSeconds(31);
    const lookup = await sessions.authenticate(request(cookieOf(token)));
    expect(calls).toEqual(["readAndExtend", "readAndExtend", "touch"]);
    if (lookup.status === "active") expect(lookup.session.lastSeenAt.getTime() - lookup.session.createdAt.getTime()).toBe(61_000);
    clock.advanceSeconds(10);
    await sessions.authenticate(request(cookieOf(token)));
    expect(calls.filter((call) => call === "touch")).toHaveLength(1);
  });

  it("slides the idle timeout on use and ends the session after 900 s idle", async () => {
    const { sessions, clock } = setup();
    const { token } = await sessions.login(request(), { userId: "a" });
    for (let i = 0; i < 5; i++) {
      clock.advanceSeconds(899);
      expect((await sessions.authenticate(request(cookieOf(token)))).status).toBe("active");
    }
    clock.advanceSeconds(900);
    expect((await sessions.authenticate(request(cookieOf(token)))).status).toBe("invalid");
  });

  it("ends an active session at the absolute timeout however busy it is, deletes it and says so", async () => {
    const { sessions, clock, calls, events } = setup({ idleTimeoutSeconds: 600, absoluteTimeoutSeconds: 3600, touchIntervalSeconds: 10_000 });
    const { token, session } = await sessions.login(request(), { userId: "a" });
    for (let elapsed = 0; elapsed < 3000; elapsed += 500) {
      clock.advanceSeconds(500);
      const lookup = await sessions.authenticate(request(cookieOf(token)));
      expect(lookup.status).toBe("active");
      // expiresAt never promises more than the absolute deadline allows.
      if (lookup.status === "active") expect(lookup.session.expiresAt.getTime()).toBeLessThanOrEqual(lookup.session.absoluteExpiresAt.getTime());
    }
    clock.advanceSeconds(500); // 3500 s: still inside
    expect((await sessions.authenticate(request(cookieOf(token)))).status).toBe("active");
    clock.advanceSeconds(100); // 3600 s: over
    calls.length = 0;
    expect((await sessions.authenticate(request(cookieOf(token)))).status).toBe("invalid");
    expect(calls).toEqual(["readAndExtend", "destroy"]);
    expect(events.at(-1)).toEqual({ type: "expired", sessionId: session.id, userId: "a", reason: "absolute" });
  });

  it("propagates a store outage as StoreUnavailableError, never as 'invalid'", async () => {
    const down = () => Promise.reject(new StoreUnavailableError("STORE_UNAVAILABLE", "down"));
    const failing: SessionStore = {
      description: "failing",
      create: down,
      readAndExtend: down,
      touch: down,
      patch: down,
      destroy: down,
      listForUser: down,
      destroyForUser: down,
      close: async () => undefined,
    };
    const sessions = createSessionManager({ store: failing });
    const { token } = await setup().sessions.login(request(), { userId: "a" });
    await expect(sessions.authenticate(request(cookieOf(token)))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(sessions.logout(request(cookieOf(token)))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(sessions.login(request(), { userId: "a" })).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe("logout", () => {
  it("destroys the session, clears the cookie and reports the revocation", async () => {
    const { sessions, events } = setup();
    const { token, session } = await sessions.login(request(), { userId: "a" });
    expect(await sessions.logout(request(cookieOf(token)))).toEqual({ clearCookie: "session_id=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" });
    expect(await sessions.validateToken(token)).toBeNull();
    expect(events.at(-1)).toEqual({ type: "revoked", sessionId: session.id, userId: "a", reason: "logout" });
  });

  it("without a cookie does nothing; with a malformed one only clears it", async () => {
    const { sessions, calls } = setup();
    expect(await sessions.logout(request())).toEqual({ clearCookie: null });
    expect((await sessions.logout(request("session_id=junk"))).clearCookie).toContain("Max-Age=0");
    expect(calls).toEqual([]);
  });
});

describe("session data", () => {
  it("a patch is typed by the manager's data: misspelt keys and wrong value types do not compile (checked by npm run typecheck)", async () => {
    const sessions = createSessionManager<{ theme?: string; visits?: number }>({ store: createMemoryStore() });
    const { session } = await sessions.login(request(), { userId: "a", data: { theme: "dark" } });
    expect((await sessions.patch(session, { set: { visits: 2 }, delete: ["theme"] }))?.data).toEqual({ visits: 2 });
    // @ts-expect-error a key the data type does not have
    await sessions.patch(session, { set: { theem: "light" } });
    // @ts-expect-error a value of the wrong type
    await sessions.patch(session, { set: { visits: "3" } });
    // @ts-expect-error deleting a key the data type does not have
    await sessions.patch(session, { delete: ["colour"] });
    // A maybe-undefined value is fine (skipped, as JSON drops it), under exactOptionalPropertyTypes too.
    const maybeTheme: string | undefined = undefined;
    await sessions.patch(session, { set: { theme: maybeTheme } });
    // A union: the keys of every member may be deleted.
    const cart = createSessionManager<{ kind: "guest"; basket?: string[] } | { kind: "member"; points?: number }>({ store: createMemoryStore() });
    const member = await cart.login(request(), { userId: "m", data: { kind: "member", points: 3 } });
    expect((await cart.patch(member.session, { delete: ["points"] }))?.data).toEqual({ kind: "member" });
    await cart.patch(member.session, { delete: ["basket"] });
    // @ts-expect-error a key of no member
    await cart.patch(member.session, { delete: ["coupon"] });
    // Untyped data takes any key.
    const untyped = createSessionManager({ store: createMemoryStore() });
    const other = await untyped.login(request(), { userId: "b" });
    expect((await untyped.patch(other.session, { set: { anything: 1 }, delete: ["else"] }))?.data).toEqual({ anything: 1 });
  });

  it("patch writes only the named keys; update replaces everything; neither recreates an ended session", async () => {
    const { sessions } = setup();
    const { token, session } = await sessions.login(request(), { userId: "a", data: { theme: "dark" } });
    const patched = await sessions.patch(session, { set: { cart: ["book"] } });
    expect(patched?.data).toEqual({ theme: "dark", cart: ["book"] });
    expect((await sessions.validateToken(token))?.data).toEqual({ theme: "dark", cart: ["book"] });
    expect((await sessions.patch(session, { delete: ["theme"] }))?.data).toEqual({ cart: ["book"] });
    expect((await sessions.update(session, { theme: "light" }))?.data).toEqual({ theme: "light" });
    expect((await sessions.validateToken(token))?.data).toEqual({ theme: "light" });
    await sessions.logout(request(cookieOf(token)));
    expect(await sessions.patch(session, { set: { theme: "x" } })).toBeNull();
    expect(await sessions.validateToken(token)).toBeNull();
  });

  it("refuses a patch that would pass maxRecordBytes, with the limit in the message", async () => {
    const { sessions } = setup({ maxRecordBytes: 200 });
    const { session } = await sessions.login(request(), { userId: "a" });
    await expect(sessions.patch(session, { set: { cart: ["x".repeat(300)] } })).rejects.toThrow(/maxRecordBytes = 200/);
    await expect(sessions.patch(session, { set: { theme: (() => 1) as unknown as string } })).rejects.toThrow(SessionInputError);
  });
});

describe("devices", () => {
  it("lists the user's sessions newest first, marks the caller's own, and revokes by handle for the owner only", async () => {
    const { sessions, clock, events } = setup();
    const phone = await sessions.login(
      request(undefined, undefined, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Version/18.0 Mobile/15E148 Safari/604.1"),
      { userId: "ada" },
    );
    clock.advanceSeconds(5);
    const laptop = await sessions.login(request(), { userId: "ada" });
    const mallory = await sessions.login(request(), { userId: "mallory" });

    const list = await sessions.listSessions(laptop.session);
    expect(list.map((entry) => [entry.handle, entry.current, entry.userAgent])).toEqual([
      [laptop.session.id, true, "Unknown"],
      [phone.session.id, false, "Safari 18 on iOS"],
    ]);
    expect(JSON.stringify(list)).not.toContain(phone.token.slice(2));

    expect(await sessions.revokeSession(mallory.session, phone.session.id)).toBe(false);
    expect(await sessions.validateToken(phone.token)).not.toBeNull();
    expect(await sessions.revokeSession(laptop.session, phone.session.id)).toBe(true);
    expect(await sessions.validateToken(phone.token)).toBeNull();
    expect(events.at(-1)).toEqual({ type: "revoked", sessionId: phone.session.id, userId: "ada", reason: "revoke" });
    expect(await sessions.revokeSession(laptop.session, phone.session.id)).toBe(false);
  });

  it("revokeSession refuses anything but a well-formed handle without a store call: a bare bucket, a token, a partial id", async () => {
    const { sessions, calls } = setup();
    const own = await sessions.login(request(), { userId: "ada" });
    const other = await sessions.login(request(), { userId: "ada" });
    calls.length = 0;
    for (const handle of [
      "",
      own.session.id.slice(0, 2),
      own.token,
      other.token,
      other.session.id.slice(0, 25),
      `${other.session.id}A`,
      undefined as unknown as string,
    ]) {
      expect(await sessions.revokeSession(own.session, handle)).toBe(false);
    }
    expect(calls).toEqual([]);
    expect(await sessions.validateToken(own.token)).not.toBeNull();
    expect(await sessions.validateToken(other.token)).not.toBeNull();
  });

  it("refuses a user id that is not well-formed Unicode before any store call, saying how to fix it", async () => {
    const { sessions, calls } = setup();
    for (const userId of ["\ud800", "a\udfffb", "\ude00\ud83d"]) {
      const error = await sessions.login(request(), { userId }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionInputError);
      expect((error as SessionInputError).code).toBe("SESSION_INPUT_INVALID");
      expect((error as Error).message).toMatch(/lone UTF-16 surrogate.*toWellFormed/);
      await expect(sessions.listUserSessions(userId)).rejects.toBeInstanceOf(SessionInputError);
      await expect(sessions.revokeAllSessions(userId)).rejects.toBeInstanceOf(SessionInputError);
    }
    expect(calls).toEqual([]);
    // A well-formed pair (an emoji) and U+FFFD itself are ordinary ids.
    expect((await sessions.login(request(), { userId: "\ud83d\ude00" })).session.userId).toBe("😀");
    expect((await sessions.login(request(), { userId: "\ufffd" })).session.userId).toBe("\ufffd");
  });

  it("revokes all other sessions, or all sessions of a user", async () => {
    const { sessions } = setup();
    const logins = [];
    for (let i = 0; i < 4; i++) logins.push(await sessions.login(request(), { userId: "ada" }));
    const other = await sessions.login(request(), { userId: "bob" });
    expect(await sessions.revokeOtherSessions(logins[0]!.session)).toBe(3);
    expect((await sessions.listUserSessions("ada")).map((entry) => entry.handle)).toEqual([logins[0]!.session.id]);
    expect(await sessions.revokeAllSessions("ada")).toBe(1);
    expect(await sessions.validateToken(logins[0]!.token)).toBeNull();
    expect(await sessions.validateToken(other.token)).not.toBeNull();
  });

  it("a listener that throws does not break the session flow", async () => {
    const store = createMemoryStore();
    const sessions = createSessionManager({
      store,
      onEvent: () => {
        throw new Error("audit log down");
      },
    });
    const { token } = await sessions.login(request(), { userId: "a" });
    expect(await sessions.validateToken(token)).not.toBeNull();
  });

  it("validateToken rejects, never throws, when the token is no string or the hash or store throws", async () => {
    const throwing = (): never => {
      throw new Error("sync failure");
    };
    const { store } = setup();
    const { token } = await createSessionManager({ store }).login(request(), { userId: "a" });
    const badHash = createSessionManager({ store, sha256: throwing });
    const badStore = createSessionManager({ store: { ...store, readAndExtend: throwing } });
    for (const call of [
      () => createSessionManager({ store }).validateToken(undefined as unknown as string),
      () => badHash.validateToken(token),
      () => badStore.validateToken(token),
    ]) {
      let pending: Promise<unknown> | undefined;
      expect(() => {
        pending = call();
      }).not.toThrow();
      await expect(pending).rejects.toThrow();
    }
  });
});

describe("configuration", () => {
  it.each([
    [{ idleTimeoutSeconds: 0 }, /idleTimeoutSeconds \(seconds\) must be a whole number/],
    [{ absoluteTimeoutSeconds: 1.5 }, /absoluteTimeoutSeconds/],
    [{ idleTimeoutSeconds: 30 * 86_400 }, /idleTimeoutSeconds \(2592000\) is longer than absoluteTimeoutSeconds \(43200, the default\).*at least 2592000/],
    [{ idleTimeoutSeconds: 7200, absoluteTimeoutSeconds: 3600 }, /idleTimeoutSeconds \(7200\) is longer than absoluteTimeoutSeconds \(3600\)/],
    [{ touchIntervalSeconds: -1 }, /touchIntervalSeconds/],
    [{ maxSessionsPerUser: 0.5 }, /maxSessionsPerUser/],
    [{ cookie: { name: "__Host-sid" } }, /__Host- prefix/],
    [{ store: undefined as unknown as SessionStore }, /options.store is required/],
  ])("rejects %o at construction", (options, message) => {
    const { store } = setup();
    expect(() => createSessionManager({ store, ...options })).toThrow(ConfigError);
    expect(() => createSessionManager({ store, ...options })).toThrow(message);
  });
});
