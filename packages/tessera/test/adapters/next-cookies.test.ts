import { RequestCookies } from "next/dist/server/web/spec-extension/cookies.js";
import { MutableRequestCookiesAdapter, RequestCookiesAdapter } from "next/dist/server/web/spec-extension/adapters/request-cookies.js";
import { createSessionManager } from "tessera";
import { createNextSessions } from "tessera/next";
import { describe, expect, it, vi } from "vitest";
import { switchableStore } from "./switchable-store.js";

/**
 * `fromCookies` against Next's own cookie stores: the one `cookies()` gives route handlers and
 * Server Actions (`MutableRequestCookiesAdapter.wrap`, which reports the `Set-Cookie` lines Next
 * will send), and the sealed one of Server Components (`RequestCookiesAdapter.seal`, whose `set`
 * throws). `cookies()` itself needs Next's request context, which only a running Next server has:
 * not run here.
 */
function mutableStore(cookieHeader?: string): { cookies: ReturnType<typeof MutableRequestCookiesAdapter.wrap>; sent: string[][] } {
  const sent: string[][] = [];
  const headers = new Headers(cookieHeader ? { cookie: cookieHeader } : {});
  return { cookies: MutableRequestCookiesAdapter.wrap(new RequestCookies(headers), (lines) => sent.push(lines)), sent };
}

describe("createNextSessions().fromCookies", () => {
  it("logs in through the cookie store, and later calls of the same request see the session without reading the store", async () => {
    const { store, calls } = switchableStore();
    const next = createNextSessions(createSessionManager({ store }));
    const { cookies, sent } = mutableStore();
    const { token } = await next.fromCookies(cookies).login({ userId: "ada" });
    expect(sent.at(-1)?.[0]).toMatch(new RegExp(`^session_id=${token}; Path=/; HttpOnly; SameSite=lax`, "i"));
    const again = next.fromCookies(cookies);
    expect((await again.session())?.userId).toBe("ada");
    expect(calls.get("readAndExtend") ?? 0).toBe(0);

    // A new request (a new store) carrying that cookie: one read, however many components ask.
    const second = mutableStore(`session_id=${token}`).cookies;
    await Promise.all([next.fromCookies(second).lookup(), next.fromCookies(second).lookup(), next.fromCookies(second).session()]);
    expect(calls.get("readAndExtend")).toBe(1);
  });

  it("clears a dead cookie through the store, and logout clears a live one", async () => {
    const manager = createSessionManager({ store: switchableStore().store });
    const next = createNextSessions(manager);
    const dead = mutableStore(`session_id=${"A".repeat(45)}`);
    expect((await next.fromCookies(dead.cookies).lookup()).status).toBe("invalid");
    expect(dead.sent.at(-1)?.[0]).toMatch(/^session_id=; Path=\/; Max-Age=0/);

    const { token } = await next.fromCookies(mutableStore().cookies).login({ userId: "grace" });
    const live = mutableStore(`session_id=${token}`);
    await next.fromCookies(live.cookies).logout();
    expect(live.sent.at(-1)?.[0]).toMatch(/^session_id=; Path=\/; Max-Age=0/);
    expect(await manager.validateToken(token)).toBeNull();
  });

  it("in a Server Component (read-only store) a dead cookie is left for later, but a login fails loudly", async () => {
    const next = createNextSessions(createSessionManager({ store: switchableStore().store }));
    const sealed = RequestCookiesAdapter.seal(new RequestCookies(new Headers({ cookie: `session_id=${"A".repeat(45)}` })));
    expect((await next.fromCookies(sealed).lookup()).status).toBe("invalid");
    await expect(next.fromCookies(sealed).login({ userId: "ada" })).rejects.toThrow(/Cookies can only be modified/);
  });

  it("a store failure is a StoreUnavailableError carrying a 503 with Retry-After", async () => {
    const { store, setFailing } = switchableStore();
    const next = createNextSessions(createSessionManager({ store }));
    setFailing(true);
    const failure = await next
      .fromCookies(mutableStore(`session_id=${"A".repeat(45)}`).cookies)
      .lookup()
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: "StoreUnavailableError", status: 503, headers: { "Retry-After": "7" } });
  });
});

describe("createNextSessions on the memory store inside a Next.js server", () => {
  it("warns once that the store is not shared between Next's bundles; not outside Next, nor on another store", async () => {
    const { createMemoryStore } = await import("tessera/memory");
    const warnings: string[] = [];
    const warn = vi.spyOn(console, "warn").mockImplementation((message: string) => void warnings.push(message));
    const previous = process.env.NEXT_RUNTIME;
    try {
      delete process.env.NEXT_RUNTIME;
      createNextSessions(createSessionManager({ store: createMemoryStore() }));
      expect(warnings).toEqual([]);
      process.env.NEXT_RUNTIME = "nodejs";
      createNextSessions(createSessionManager({ store: switchableStore().store }));
      expect(warnings).toEqual([]);
      createNextSessions(createSessionManager({ store: createMemoryStore() }));
      createNextSessions(createSessionManager({ store: createMemoryStore() }));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/memory store is not shared .* Use the Redis store/);
    } finally {
      if (previous === undefined) delete process.env.NEXT_RUNTIME;
      else process.env.NEXT_RUNTIME = previous;
      warn.mockRestore();
    }
  });
});
