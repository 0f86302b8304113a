import { describe, expect, it } from "vitest";
import { StoreUnavailableError } from "tessera";
import { createSessionManager } from "tessera";
import type { SessionStore } from "tessera";
import { createMemoryStore } from "tessera/memory";
import { createApp, type ServerSessionData } from "./app.js";
import { silentLogger, type Logger } from "./logger.js";

function makeApp(store: SessionStore = createMemoryStore(), logger: Logger = silentLogger, allowedOrigins: string[] = []) {
  const sessions = createSessionManager<ServerSessionData>({ store });
  return createApp({ sessions, logger, allowedOrigins, accessLog: true });
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

async function login(app: ReturnType<typeof makeApp>, username = "abdullah") {
  const response = await app.request("/login/", json({ username }));
  const body = (await response.json()) as { session_id: string };
  return { response, token: body.session_id, cookie: `session_id=${body.session_id}` };
}

describe("the seed's API", () => {
  it("POST /login/ answers the seed's JSON and sets an HttpOnly cookie", async () => {
    const app = makeApp();
    const response = await app.request("/login/", json({ username: "abdullah" }));
    expect(response.status).toBe(200);
    const text = await response.text();
    const token = (JSON.parse(text) as { session_id: string }).session_id;
    expect(text).toBe(`{"message":"Logged in successfully","session_id":"${token}"}`);
    expect(response.headers.get("set-cookie")).toBe(`session_id=${token}; Path=/; HttpOnly; SameSite=Lax`);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("GET /profile/ answers the seed's JSON, byte for byte, and sets no cookie", async () => {
    const app = makeApp();
    const { token, cookie } = await login(app);
    const response = await app.request("/profile/", { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(`{"session_id":"${token}","session_data":{"user":"abdullah","status":"active"}}`);
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("serves every path with and without the trailing slash", async () => {
    const app = makeApp();
    const { cookie } = await login(app);
    expect((await app.request("/login", json({ username: "x" }))).status).toBe(200);
    expect((await app.request("/profile", { headers: { cookie } })).status).toBe(200);
    expect((await app.request("/logout", { method: "POST", headers: { cookie } })).status).toBe(200);
  });

  it("GET /profile/ without a cookie is 403 with the seed's detail", async () => {
    const response = await makeApp().request("/profile/");
    expect(response.status).toBe(403);
    expect(await response.text()).toBe('{"detail":"No session cookie found"}');
  });

  it.each([
    ["an unknown token", `session_id=${"A".repeat(45)}`],
    ["a malformed token", "session_id=68223c50-ede4-48eb-9d26-4a4dd735c10d"],
    ["a hostile value", 'session_id="<script>"'],
  ])("GET /profile/ with %s is 404 and clears the cookie", async (_, cookie) => {
    const response = await makeApp().request("/profile/", { headers: { cookie } });
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('{"detail":"Session not found or expired"}');
    expect(response.headers.get("set-cookie")).toBe("session_id=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
  });

  it("POST /logout/ deletes the session and clears the cookie; the seed's script then sees 404", async () => {
    const app = makeApp();
    const { cookie } = await login(app);
    const response = await app.request("/logout/", { method: "POST", headers: { cookie } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"message":"Logged out successfully"}');
    expect(response.headers.get("set-cookie")).toContain("Max-Age=0");
    const after = await app.request("/profile/", { headers: { cookie } });
    expect(after.status).toBe(404);
    expect(await after.text()).toBe('{"detail":"Session not found or expired"}');
  });

  it("POST /logout/ without a cookie is still 200 and sets no cookie", async () => {
    const response = await makeApp().request("/logout/", { method: "POST" });
    expect(response.status).toBe(200);
    expect(response.headers.get("set-cookie")).toBeNull();
  });

  it("a login with a session cookie rotates: the old session stops working", async () => {
    const app = makeApp();
    const first = await login(app, "first");
    const response = await app.request("/login/", json({ username: "second" }, { cookie: first.cookie }));
    const second = (await response.json()) as { session_id: string };
    expect(second.session_id).not.toBe(first.token);
    expect((await app.request("/profile/", { headers: { cookie: first.cookie } })).status).toBe(404);
    expect((await app.request("/profile/", { headers: { cookie: `session_id=${second.session_id}` } })).status).toBe(200);
  });
});

describe("input handling, FastAPI-style", () => {
  const app = makeApp();
  const post = (init: RequestInit) => app.request("/login/", init);

  it.each([
    ["missing username", {}, "missing", "Field required"],
    ["empty username", { username: "" }, "string_too_short", "String should have at least 1 character"],
    ["a number", { username: 123 }, "string_type", "Input should be a valid string"],
    ["null", { username: null }, "string_type", "Input should be a valid string"],
    ["an array", { username: ["a"] }, "string_type", "Input should be a valid string"],
    ["257 characters", { username: "x".repeat(257) }, "string_too_long", "String should have at most 256 characters"],
    ["129 emoji (258 UTF-16 units)", { username: "😀".repeat(129) }, "string_too_long", "String should have at most 256 characters"],
    ["a lone surrogate", { username: "ada\ud800" }, "value_error", "Value error, username must be well-formed Unicode: it holds a lone UTF-16 surrogate"],
  ])("%s → 422 naming body.username", async (_, body, type, msg) => {
    const response = await post(json(body));
    expect(response.status).toBe(422);
    const { detail } = (await response.json()) as { detail: Array<{ type: string; loc: unknown[]; msg: string }> };
    expect(detail).toHaveLength(1);
    expect(detail[0]).toMatchObject({ type, loc: ["body", "username"], msg });
  });

  it("a dead session cookie sent before the live one (another path, a sibling subdomain's) neither hides nor clears it", async () => {
    const login = await post(json({ username: "shadowed" }));
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const response = await app.request("/profile/", { headers: { cookie: `session_id=${"A".repeat(45)}; ${cookie}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(((await response.json()) as { session_data: { user: string } }).session_data.user).toBe("shadowed");
  });

  it("accepts exactly 256 characters", async () => {
    expect((await post(json({ username: "x".repeat(256) }))).status).toBe(200);
  });

  it.each([
    ["an array body", "[]"],
    ["a string body", '"abdullah"'],
    ["a null body", "null"],
  ])("%s → 422 on body", async (_, body) => {
    const response = await post(json(body));
    expect(response.status).toBe(422);
    expect(((await response.json()) as { detail: Array<{ loc: unknown[] }> }).detail[0]?.loc).toEqual(["body"]);
  });

  it("malformed JSON → 422 json_invalid", async () => {
    const response = await post(json('{"username": "abdullah"'));
    expect(response.status).toBe(422);
    expect(((await response.json()) as { detail: Array<{ type: string }> }).detail[0]?.type).toBe("json_invalid");
  });

  it("an empty body → 422 missing body", async () => {
    const response = await post(json(""));
    expect(response.status).toBe(422);
    expect(((await response.json()) as { detail: Array<{ type: string; loc: unknown[] }> }).detail[0]).toMatchObject({ type: "missing", loc: ["body"] });
  });

  it("invalid UTF-8 → 422", async () => {
    const response = await post({ method: "POST", headers: { "content-type": "application/json" }, body: new Uint8Array([0x7b, 0xff, 0x7d]) });
    expect(response.status).toBe(422);
  });

  it.each([
    ["text/plain", { "content-type": "text/plain" }],
    ["a form", { "content-type": "application/x-www-form-urlencoded" }],
    ["no content type", {}],
  ])("%s → 415 with a detail naming the expected type", async (_, headers) => {
    const response = await post({ method: "POST", headers, body: "username=abdullah" });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { detail: string }).detail).toContain("application/json");
  });

  it("accepts application/json with a charset parameter", async () => {
    expect((await post(json({ username: "a" }, { "content-type": "application/json; charset=utf-8" }))).status).toBe(200);
  });

  it("a declared Content-Length over 16 KiB → 413 without reading the body", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(1024));
      },
    });
    const response = await post({
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(1 << 30) },
      body,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { detail: string }).detail).toBe("Request body is larger than 16384 bytes");
    expect(pulled).toBeLessThanOrEqual(1); // at most what the stream pre-buffers, never the gigabyte
  });

  it("a chunked body is cut off as soon as it passes 16 KiB", async () => {
    let sentBytes = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sentBytes > 1 << 20) return controller.close(); // bound the loop even if the limit failed
        sentBytes += 4096;
        controller.enqueue(new Uint8Array(4096).fill(0x20));
      },
    });
    const response = await post({ method: "POST", headers: { "content-type": "application/json" }, body, duplex: "half" } as RequestInit);
    expect(response.status).toBe(413);
    expect(sentBytes).toBeLessThan(64 * 1024);
  });

  it("wrong methods → 405 JSON with Allow", async () => {
    for (const [method, path, allow] of [
      ["GET", "/login/", "POST"],
      ["DELETE", "/profile/", "GET, HEAD"],
      ["PUT", "/logout", "POST"],
      ["POST", "/sessions/", "GET, HEAD"],
      ["GET", "/sessions/revoke-others", "POST, DELETE"], // DELETE reaches /sessions/:handle
      ["GET", "/sessions/some-handle", "DELETE"],
    ] as const) {
      const response = await app.request(path, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe(allow);
      expect(await response.json()).toEqual({ detail: "Method Not Allowed" });
    }
  });

  it("unknown paths → 404 JSON", async () => {
    const response = await app.request("/nope");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ detail: "Not Found" });
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("cross-site protection", () => {
  const app = makeApp(createMemoryStore(), silentLogger, ["https://trusted.example"]);
  const attempt = (headers: Record<string, string>, path = "/login/") => app.request(`http://localhost${path}`, json({ username: "a" }, headers));

  it.each([
    ["Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
    ["Sec-Fetch-Site: same-site", { "sec-fetch-site": "same-site", origin: "http://sub.localhost" }],
    ["a foreign Origin", { origin: "https://evil.example" }],
    ["Origin: null (sandboxed frame)", { origin: "null" }],
  ])("refuses %s with 403", async (_, headers) => {
    const response = await attempt(headers);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/Cross-site request refused/);
    expect((await attempt(headers, "/logout/")).status).toBe(403);
  });

  it.each([
    ["no browser headers (curl, requests)", {}],
    ["its own origin", { origin: "http://localhost", "sec-fetch-site": "same-origin" }],
    ["a typed URL (Sec-Fetch-Site: none)", { "sec-fetch-site": "none" }],
    ["an allowed origin", { origin: "https://trusted.example", "sec-fetch-site": "cross-site" }],
  ])("allows %s", async (_, headers) => {
    expect((await attempt(headers)).status).toBe(200);
  });

  it("leaves safe methods alone", async () => {
    expect((await app.request("http://localhost/profile/", { headers: { "sec-fetch-site": "cross-site" } })).status).toBe(403 /* no cookie */);
    const response = await app.request("http://localhost/profile/", { headers: { "sec-fetch-site": "cross-site" } });
    expect(await response.json()).toEqual({ detail: "No session cookie found" });
  });
});

describe("store failures", () => {
  const down = (error: Error): SessionStore => {
    const fail = () => Promise.reject(error);
    return {
      description: "down",
      create: fail,
      readAndExtend: fail,
      touch: fail,
      patch: fail,
      destroy: fail,
      listForUser: fail,
      destroyForUser: fail,
      close: async () => undefined,
    };
  };
  const cookie = `session_id=${"A".repeat(45)}`;

  it("a store outage is 503 with Retry-After and a JSON detail on every endpoint — never 'logged out'", async () => {
    const app = makeApp(down(new StoreUnavailableError("STORE_UNAVAILABLE", "connection refused")));
    for (const response of [
      await app.request("/profile/", { headers: { cookie } }),
      await app.request("/login/", json({ username: "a" })),
      await app.request("/logout/", { method: "POST", headers: { cookie } }),
      await app.request("/sessions/", { headers: { cookie } }),
      await app.request("/sessions/revoke-others/", { method: "POST", headers: { cookie } }),
      await app.request("/sessions/ABCD", { method: "DELETE", headers: { cookie } }),
    ]) {
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("1");
      expect(response.headers.get("set-cookie")).toBeNull();
      expect(await response.json()).toEqual({ detail: "Session store unavailable, please retry shortly" });
    }
  });

  it("an unexpected error is a JSON 500 that reveals nothing, and is logged without the token", async () => {
    const lines: string[] = [];
    const logger: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    const app = makeApp(down(new TypeError("bug in a store")), logger);
    const response = await app.request("/profile/", { headers: { cookie } });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ detail: "Internal Server Error" });
    expect(lines.some((line) => line.includes("bug in a store"))).toBe(true);
    expect(lines.join("\n")).not.toContain("A".repeat(45));
  });
});

describe("logging", () => {
  it("never writes a token, whatever the request", async () => {
    const lines: string[] = [];
    const logger: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    const app = makeApp(createMemoryStore(), logger);
    const { token, cookie } = await login(app);
    await app.request(`/profile/?session_id=${token}`, { headers: { cookie } });
    await app.request("/logout/", { method: "POST", headers: { cookie } });
    expect(lines.length).toBeGreaterThanOrEqual(3); // the access log did run
    expect(lines.join("\n")).not.toContain(token);
  });
});

describe("devices: /sessions/", () => {
  const ua = (agent: string) => ({ "user-agent": agent });
  const loginAs = async (app: ReturnType<typeof makeApp>, username: string, agent: string) => {
    const response = await app.request("/login/", json({ username }, ua(agent)));
    return `session_id=${((await response.json()) as { session_id: string }).session_id}`;
  };

  it("lists the caller's sessions, newest first, with its own marked and no token anywhere", async () => {
    const app = makeApp();
    const phone = await loginAs(app, "ada", "Mozilla/5.0 (Linux; Android 15) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36");
    const laptop = await loginAs(app, "ada", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/18.1 Safari/605.1.15");
    await loginAs(app, "someone-else", "curl/8.5.0");
    const response = await app.request("/sessions/", { headers: { cookie: laptop } });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const text = await response.text();
    const { sessions } = JSON.parse(text) as { sessions: Array<Record<string, unknown>> };
    expect(sessions.map((s) => [s.user_agent, s.current])).toEqual(
      expect.arrayContaining([
        ["Safari 18 on macOS", true],
        ["Chrome 131 on Android", false],
      ]),
    );
    expect(sessions).toHaveLength(2);
    expect(Object.keys(sessions[0]!).sort()).toEqual([
      "absolute_expires_at",
      "created_at",
      "current",
      "expires_at",
      "handle",
      "ip",
      "last_seen_at",
      "user_agent",
    ]);
    for (const cookie of [phone, laptop]) expect(text).not.toContain(cookie.slice("session_id=".length + 2));
  });

  it("DELETE /sessions/{handle} signs that device out: 204, and its next request is 404", async () => {
    const app = makeApp();
    const phone = await loginAs(app, "ada", "phone");
    const laptop = await loginAs(app, "ada", "laptop");
    const { sessions } = (await (await app.request("/sessions/", { headers: { cookie: laptop } })).json()) as {
      sessions: Array<{ handle: string; current: boolean }>;
    };
    const phoneHandle = sessions.find((s) => !s.current)!.handle;
    const response = await app.request(`/sessions/${phoneHandle}`, { method: "DELETE", headers: { cookie: laptop } });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
    expect((await app.request("/profile/", { headers: { cookie: phone } })).status).toBe(404);
    expect((await app.request("/profile/", { headers: { cookie: laptop } })).status).toBe(200);
  });

  it("answers 404 alike for another user's handle and for one that never existed", async () => {
    const app = makeApp();
    const ada = await loginAs(app, "ada", "a");
    const mallory = await loginAs(app, "mallory", "m");
    const { sessions } = (await (await app.request("/sessions/", { headers: { cookie: ada } })).json()) as { sessions: Array<{ handle: string }> };
    const adasHandle = sessions[0]!.handle;
    const foreign = await app.request(`/sessions/${adasHandle}`, { method: "DELETE", headers: { cookie: mallory } });
    const nonexistent = await app.request(`/sessions/${"Z".repeat(26)}`, { method: "DELETE", headers: { cookie: mallory } });
    expect(foreign.status).toBe(404);
    expect(nonexistent.status).toBe(404);
    expect(await foreign.text()).toBe(await nonexistent.text());
    expect((await app.request("/profile/", { headers: { cookie: ada } })).status).toBe(200);
  });

  it("deleting the caller's own handle logs it out and clears the cookie", async () => {
    const app = makeApp();
    const cookie = await loginAs(app, "ada", "a");
    const { sessions } = (await (await app.request("/sessions/", { headers: { cookie } })).json()) as { sessions: Array<{ handle: string }> };
    const response = await app.request(`/sessions/${sessions[0]!.handle}`, { method: "DELETE", headers: { cookie } });
    expect(response.status).toBe(204);
    expect(response.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await app.request("/profile/", { headers: { cookie } })).status).toBe(404);
  });

  it("POST /sessions/revoke-others/ keeps only the caller's session and says how many ended", async () => {
    const app = makeApp();
    const others = [await loginAs(app, "ada", "1"), await loginAs(app, "ada", "2"), await loginAs(app, "ada", "3")];
    const mine = await loginAs(app, "ada", "4");
    const response = await app.request("/sessions/revoke-others/", { method: "POST", headers: { cookie: mine } });
    expect(await response.json()).toEqual({ revoked: 3 });
    for (const cookie of others) expect((await app.request("/profile/", { headers: { cookie } })).status).toBe(404);
    expect((await app.request("/profile/", { headers: { cookie: mine } })).status).toBe(200);
  });

  it("is protected like /profile/: 403 without a cookie, 404 (cookie cleared) with a dead one", async () => {
    const app = makeApp();
    expect((await app.request("/sessions/")).status).toBe(403);
    const dead = await app.request("/sessions/", { headers: { cookie: `session_id=${"A".repeat(45)}` } });
    expect(dead.status).toBe(404);
    expect(dead.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await app.request("/sessions/revoke-others/", { method: "POST" })).status).toBe(403);
    expect((await app.request("/sessions/x", { method: "DELETE" })).status).toBe(403);
  });

  it("refuses cross-site revocations", async () => {
    const app = makeApp();
    const cookie = await loginAs(app, "ada", "a");
    const response = await app.request("http://localhost/sessions/revoke-others/", { method: "POST", headers: { cookie, "sec-fetch-site": "cross-site" } });
    expect(response.status).toBe(403);
  });
});
