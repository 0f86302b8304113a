import { describe, expect, it } from "vitest";
import { nodeSha256 } from "../runtime/node.js";
import { StoreUnavailableError } from "./errors.js";
import { StoreUnavailableResponseError } from "./http-errors.js";
import { createMemoryStore } from "../stores/memory/memory-store.js";
import { HeaderRecordRequest, RequestSessions } from "./request-sessions.js";
import { createSessionManager, type SessionManager, VALIDATE_TOKEN_THEN } from "./session.js";
import { webCryptoSha256 } from "./token.js";
import type { SessionStore } from "./store.js";

describe("HeaderRecordRequest", () => {
  it("reads Node-style headers by lower-case name, joining repeated ones, null when absent", () => {
    const request = new HeaderRecordRequest("http", { cookie: "session_id=abc", "x-list": ["a", "b"] });
    expect(request.headers.get("Cookie")).toBe("session_id=abc");
    expect(request.headers.get("x-list")).toBe("a, b");
    expect(request.headers.get("user-agent")).toBeNull();
  });

  it("takes the scheme as text or from the framework request's protocol, so secure: auto sees https", () => {
    expect(new HeaderRecordRequest("https", {}).url).toBe("https://");
    expect(new HeaderRecordRequest({ protocol: "https" }, {}).url).toBe("https://");
    expect(new HeaderRecordRequest({ protocol: "http" }, {}).url.startsWith("https:")).toBe(false);
  });

  it("reads the protocol only when the url is asked for (a getter that consults proxy settings)", () => {
    let reads = 0;
    const req = {
      get protocol() {
        reads++;
        return "https";
      },
    };
    const request = new HeaderRecordRequest(req, { cookie: "a=b" });
    request.headers.get("cookie");
    expect(reads).toBe(0);
    expect(request.url).toBe("https://");
    expect(reads).toBe(1);
  });
});

describe("RequestSessions.lookup", () => {
  class Sessions extends RequestSessions {
    protected override writeCookie(): void {}
  }

  it("rejects, never throws, when reading the request fails, and keeps the failure for the request", async () => {
    const manager = createSessionManager({ store: createMemoryStore() });
    const broken = {
      url: "http://localhost/",
      headers: {
        get(): string | null {
          throw new Error("headers unavailable");
        },
      },
    };
    const sessions = new Sessions(manager, broken);
    let first: Promise<unknown> | undefined;
    expect(() => {
      first = sessions.lookup();
    }).not.toThrow();
    await expect(first).rejects.toThrow("headers unavailable");
    expect(sessions.lookup()).toBe(first);
  });
});

describe("RequestSessions.lookup through the manager's one-reaction read", () => {
  class Sessions extends RequestSessions {
    readonly cookies: string[] = [];
    protected override writeCookie(setCookie: string): void {
      this.cookies.push(setCookie);
    }
  }

  /** A manager over a memory store whose reads answer only when released, and the same manager without its one-reaction read. */
  async function managers() {
    const inner = createMemoryStore();
    let releases: Array<() => void> = [];
    const store: SessionStore = {
      ...inner,
      readAndExtend: async (sessionId, ttlMs) => {
        const record = await inner.readAndExtend(sessionId, ttlMs);
        return new Promise((resolve) => releases.push(() => resolve(record)));
      },
    };
    // A synchronous hash: the store's read then starts within the lookup's own microtasks.
    const manager = createSessionManager({ store, sha256: nodeSha256 });
    const { [VALIDATE_TOKEN_THEN]: oneReaction, ...withoutIt } = manager as SessionManager & { [VALIDATE_TOKEN_THEN]?: unknown };
    expect(oneReaction).toBeTypeOf("function");
    const { token } = await manager.login(new Request("http://localhost/login"), { userId: "ada" });
    const release = async () => {
      // Until the store's read is waiting (the memory store's own read comes first); a lookup that
      // reads nothing (no cookie, a malformed token) never gets there.
      for (let turn = 0; releases.length === 0 && turn < 20; turn++) await Promise.resolve();
      const pending = releases;
      releases = [];
      for (const resolve of pending) resolve();
    };
    return { manager, withoutIt: withoutIt as SessionManager, token, release };
  }

  /** Microtask turns from the store's answer to the settled lookup. */
  async function turnsToLookup(manager: SessionManager, cookie: string, release: () => Promise<void>) {
    let settled = false;
    const lookup = new Sessions(manager, new HeaderRecordRequest("http", { cookie })).lookup();
    void lookup.then(() => (settled = true));
    await release();
    let turns = 0;
    while (!settled && turns < 50) {
      await null;
      turns++;
    }
    return { turns, lookup: await lookup };
  }

  it("answers as validateToken does, one promise reaction sooner after the store's answer", async () => {
    const { manager, withoutIt, token, release } = await managers();
    const fast = await turnsToLookup(manager, `session_id=${token}`, release);
    const slow = await turnsToLookup(withoutIt, `session_id=${token}`, release);
    expect(fast.lookup).toMatchObject({ status: "active", token, session: { userId: "ada" } });
    expect({ ...slow.lookup, session: undefined }).toEqual({ ...fast.lookup, session: undefined });
    expect(fast.turns).toBe(slow.turns - 1);
  });

  it("answers 503 for a store that throws instead of rejecting, on a read or on a touch, with a sync or an async hash", async () => {
    const down = (): never => {
      throw new StoreUnavailableError("STORE_UNAVAILABLE", "store down (thrown)");
    };
    for (const sha256 of [nodeSha256, webCryptoSha256]) {
      for (const failing of ["readAndExtend", "touch"] as const) {
        const inner = createMemoryStore();
        let nowMs = 1_800_000_000_000;
        const options = { sha256, now: () => nowMs };
        const { token } = await createSessionManager({ store: inner, ...options }).login(new Request("http://localhost/login"), { userId: "ada" });
        // Past the touch interval (60 s), well within the idle timeout: the read is followed by a touch.
        nowMs += 120_000;
        const manager = createSessionManager({ store: { ...inner, [failing]: down }, ...options });
        const lookup = new Sessions(manager, new HeaderRecordRequest("http", { cookie: `session_id=${token}` })).lookup();
        const error = await lookup.then(
          (answer) => answer,
          (rejected: unknown) => rejected,
        );
        expect(error, `${failing} with ${sha256 === nodeSha256 ? "sync" : "async"} hash`).toBeInstanceOf(StoreUnavailableResponseError);
        expect((error as StoreUnavailableResponseError).statusCode).toBe(503);
      }
    }
  });

  it("reads through the manager's own validateToken when a copy of the manager replaced it", async () => {
    const { manager, token, release } = await managers();
    const asked: string[] = [];
    const logged: SessionManager = {
      ...manager,
      validateToken(value) {
        asked.push(value);
        return manager.validateToken(value);
      },
    };
    const { lookup } = await turnsToLookup(logged, `session_id=${token}`, release);
    expect(lookup.status).toBe("active");
    expect(asked).toEqual([token]);
  });

  it("gives the same invalid and anonymous lookups either way", async () => {
    const { manager, withoutIt, token, release } = await managers();
    const unknown = `session_id=${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    for (const cookie of [unknown, "session_id=not-a-token", "other=1"]) {
      const fast = await turnsToLookup(manager, cookie, release);
      const slow = await turnsToLookup(withoutIt, cookie, release);
      expect(fast.lookup).toEqual(slow.lookup);
    }
  });
});

describe("RequestSessions with a session cookie sent twice", () => {
  class Sessions extends RequestSessions {
    readonly written: string[] = [];
    protected override writeCookie(setCookie: string): void {
      this.written.push(setCookie);
    }
  }

  it("uses the live one and clears nothing; clears when neither is live", async () => {
    const manager = createSessionManager({ store: createMemoryStore() });
    const { token: live } = await manager.login(new Request("http://localhost/"), { userId: "a" });
    const { token: dead } = await manager.login(new Request("http://localhost/"), { userId: "b" });
    await manager.logout(new Request("http://localhost/", { headers: { cookie: `session_id=${dead}` } }));

    const shadowed = new Sessions(manager, new HeaderRecordRequest("http", { cookie: `session_id=${dead}; session_id=${live}` }));
    expect(await shadowed.lookup()).toMatchObject({ status: "active", token: live, session: { userId: "a" } });
    expect(shadowed.written).toEqual([]);

    const emptyFirst = new Sessions(manager, new HeaderRecordRequest("http", { cookie: `session_id=; session_id=${live}` }));
    expect(await emptyFirst.lookup()).toMatchObject({ status: "active", token: live });
    expect(emptyFirst.written).toEqual([]);

    const bothDead = new Sessions(manager, new HeaderRecordRequest("http", { cookie: `session_id=${dead}; session_id=junk` }));
    expect((await bothDead.lookup()).status).toBe("invalid");
    expect(bothDead.written).toEqual(["session_id=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"]);
  });
});

describe("RequestSessions: several session calls in one request", () => {
  class Sessions extends RequestSessions {
    readonly written: string[] = [];
    protected override writeCookie(setCookie: string): void {
      this.written.push(setCookie);
    }
  }
  const fresh = () => new HeaderRecordRequest("http", {});

  it("login then logout leaves no live session, and clears the cookie it set", async () => {
    const manager = createSessionManager({ store: createMemoryStore() });
    const sessions = new Sessions(manager, fresh());
    const { token } = await sessions.login({ userId: "bob" });
    await sessions.logout();
    expect(await sessions.lookup()).toEqual({ status: "anonymous" });
    expect(await manager.validateToken(token)).toBeNull();
    expect(sessions.written).toHaveLength(2);
    expect(sessions.written[1]).toBe("session_id=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
  });

  it("login passes remember-me (persistent) through to the cookie it writes", async () => {
    const manager = createSessionManager({ store: createMemoryStore(), absoluteTimeoutSeconds: 7200 });
    const sessions = new Sessions(manager, fresh());
    await sessions.login({ userId: "bob", persistent: true });
    expect(sessions.written[0]).toMatch(/; Max-Age=7200(;|$)/);
  });

  it("a second login replaces the first one's session: one live session, the second", async () => {
    const manager = createSessionManager({ store: createMemoryStore() });
    const sessions = new Sessions(manager, fresh());
    const first = await sessions.login({ userId: "bob" });
    const second = await sessions.login({ userId: "bob" });
    expect(await manager.validateToken(first.token)).toBeNull();
    expect(await manager.validateToken(second.token)).not.toBeNull();
    expect(await manager.listUserSessions("bob")).toHaveLength(1);
  });

  it("update replaces the whole data and later calls of the request see it; without a session it writes nothing", async () => {
    type Data = { theme?: string; cart?: string[] };
    class TypedSessions extends RequestSessions<Data> {
      protected override writeCookie(): void {}
    }
    const manager = createSessionManager<Data>({ store: createMemoryStore() });
    const login = await manager.login(fresh(), { userId: "bob", data: { theme: "dark" } });
    const sessions = new TypedSessions(manager, new HeaderRecordRequest("http", { cookie: `session_id=${login.token}` }));
    const updated = await sessions.update({ cart: ["book"] });
    expect(updated?.data).toEqual({ cart: ["book"] });
    expect((await sessions.session())?.data).toEqual({ cart: ["book"] });
    expect((await manager.validateToken(login.token))?.data).toEqual({ cart: ["book"] });

    expect(await new TypedSessions(manager, fresh()).update({ cart: [] })).toBeNull();
    expect((await manager.validateToken(login.token))?.data).toEqual({ cart: ["book"] });
  });
});
