import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError, createSessionManager } from "tessera";
import { createMemoryStore } from "tessera/memory";
import { createApp, type ServerSessionData } from "./app.js";
import { jsonLogger } from "./json-logger.js";
import { consoleLogger, type LogContext, type Logger } from "./logger.js";
import { readOperationsConfig } from "./ops-config.js";
import { isWellFormedRequestId } from "./request-id.js";

function capturingLogger() {
  const lines: Array<{ level: string; message: string; context: LogContext | undefined }> = [];
  const at =
    (level: string) =>
    (message: string, context?: LogContext): void =>
      void lines.push({ level, message, context });
  const logger: Logger = { info: at("info"), warn: at("warn"), error: at("error") };
  return { logger, lines };
}

function makeApp(options: { accessLogHealth?: boolean; trustProxy?: boolean } = {}) {
  const { logger, lines } = capturingLogger();
  const sessions = createSessionManager<ServerSessionData>({ store: createMemoryStore() });
  const app = createApp({ sessions, logger, accessLog: true, ...options });
  return { app, lines };
}

describe("request ids", () => {
  it.each([
    ["7f1c9a4e-3b7d-4c1e-9a55-0b6f1f3c2d10", true],
    ["req-42", true],
    ["01HZX3J8Q5V6W7X8Y9Z0A1B2C3", true],
    ["a.b:c_d", true],
    ["x".repeat(128), false], // one run of 128 token characters: could be a token
    ["abc.".repeat(32), true], // 128 characters, no long run
    [`${"abc.".repeat(32)}a`, false], // 129
    ["", false],
    ["a b", false],
    ["a\nb", false],
    ["ünïcode", false],
    ["AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfG", false], // a token's shape
  ])("%j well-formed: %s", (id, expected) => {
    expect(isWellFormedRequestId(id)).toBe(expected);
  });

  it("keeps a well-formed X-Request-Id, replaces any other, echoes it, and puts it on the access-log line", async () => {
    const { app, lines } = makeApp();
    const kept = await app.request("/profile/", { headers: { "x-request-id": "req-42" } });
    expect(kept.headers.get("x-request-id")).toBe("req-42");
    const token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfG";
    const replaced = await app.request("/profile/", { headers: { "x-request-id": token } });
    const generated = replaced.headers.get("x-request-id");
    expect(generated).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
    const none = await app.request("/profile/");
    expect(none.headers.get("x-request-id")).not.toBe(generated);
    expect(lines.map((line) => line.context?.requestId)).toEqual(["req-42", generated, none.headers.get("x-request-id")]);
    expect(lines[0]).toMatchObject({
      level: "info",
      message: expect.stringMatching(/^GET \/profile\/ 403 /),
      context: { method: "GET", path: "/profile/", route: "/profile", status: 403 },
    });
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  it("the access log leaves probes and the scrape out by default, and in with ACCESS_LOG_HEALTH", async () => {
    for (const accessLogHealth of [false, true]) {
      const { app, lines } = makeApp({ accessLogHealth });
      for (const path of ["/healthz", "/readyz", "/readyz/", "/profile/"]) await app.request(path);
      expect(lines.map((line) => line.context?.path)).toEqual(accessLogHealth ? ["/healthz", "/readyz", "/readyz/", "/profile/"] : ["/profile/"]);
    }
  });
});

describe("log formats", () => {
  afterEach(() => vi.restoreAllMocks());

  it("json: one object per line, request fields as keys, every string escaped before encoding", () => {
    const written: string[] = [];
    const logger = jsonLogger({ write: (chunk: string) => void written.push(chunk) });
    const forged = "DELETE /sessions/x\ntessera: admin\u2028\u202e\u001b[31m";
    logger.warn(forged, { requestId: "req-1", method: "DELETE", path: "/p\u2029", status: 404, durationMs: 1.5 });
    logger.info("listening");
    expect(written).toHaveLength(2);
    for (const chunk of written) expect(chunk.trimEnd()).not.toMatch(/[\n\r\u2028\u2029]/);
    const [first, second] = written.map((chunk) => JSON.parse(chunk) as Record<string, unknown>);
    expect(first).toMatchObject({
      level: "warn",
      msg: "DELETE /sessions/x\\ntessera: admin\\u2028\\u202e\\x1b[31m",
      requestId: "req-1",
      method: "DELETE",
      path: "/p\\u2029",
      status: 404,
      durationMs: 1.5,
    });
    expect(String(first!.msg)).not.toMatch(/[\u0000-\u001f\u2028\u2029\u202a-\u202e]/);
    expect(typeof first!.time).toBe("string");
    expect(second).toMatchObject({ level: "info", msg: "listening" });
    expect(second).not.toHaveProperty("requestId");
  });

  it("pretty: the tessera: lines as before, with the request id at the end of a request's line", () => {
    const printed: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void printed.push(line));
    consoleLogger.info("GET /profile/ 200 1.0ms", { requestId: "req-9", status: 200 });
    consoleLogger.info("listening on http://127.0.0.1:8000");
    expect(printed).toEqual(["tessera: GET /profile/ 200 1.0ms request_id=req-9", "tessera: listening on http://127.0.0.1:8000"]);
  });
});

describe("behind a TLS proxy (TRUST_PROXY)", () => {
  it("a browser's login through the proxy passes the same-origin guard on Origin alone only with TRUST_PROXY, and on Sec-Fetch-Site always", async () => {
    const request = {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://app.example.com", "x-forwarded-proto": "https" },
      body: JSON.stringify({ username: "ada" }),
    };
    expect((await makeApp().app.request("http://app.example.com/login/", request)).status).toBe(403);
    expect((await makeApp({ trustProxy: true }).app.request("http://app.example.com/login/", request)).status).toBe(200);
    // A current browser says same-origin itself, which no proxy rewrites.
    const labelled = { ...request, headers: { ...request.headers, "sec-fetch-site": "same-origin" } };
    expect((await makeApp().app.request("http://app.example.com/login/", labelled)).status).toBe(200);
    const crossSite = { ...request, headers: { ...request.headers, origin: "https://evil.example", "sec-fetch-site": "cross-site" } };
    expect((await makeApp({ trustProxy: true }).app.request("http://app.example.com/login/", crossSite)).status).toBe(403);
  });
});

describe("readOperationsConfig", () => {
  it("defaults: pretty logs, /metrics on PORT, probes out of the access log, no legacy cookies", () => {
    expect(readOperationsConfig({})).toEqual({ logFormat: "pretty", metricsPort: undefined, accessLogHealth: false, legacySeedSessions: false });
  });

  it("reads every variable", () => {
    expect(
      readOperationsConfig({ LOG_FORMAT: "JSON", METRICS_PORT: "9464", ACCESS_LOG_HEALTH: "true", LEGACY_SEED_SESSIONS: "true", REDIS_URL: "redis://h:1" }),
    ).toEqual({
      logFormat: "json",
      metricsPort: 9464,
      accessLogHealth: true,
      legacySeedSessions: true,
    });
  });

  it.each([
    [{ LOG_FORMAT: "xml" }, /LOG_FORMAT="xml" is invalid: use json/],
    [{ METRICS_PORT: "0" }, /METRICS_PORT="0" is invalid/],
    [{ METRICS_PORT: "9x" }, /METRICS_PORT/],
    [{ METRICS_PORT: "8000", PORT: "8000" }, /METRICS_PORT=8000 is the same as PORT/],
    [{ LEGACY_SEED_SESSIONS: "true" }, /LEGACY_SEED_SESSIONS=true needs the tutorial's Redis: set REDIS_URL/],
    [{ LEGACY_SEED_SESSIONS: "maybe", REDIS_URL: "redis://h:1" }, /LEGACY_SEED_SESSIONS="maybe" is invalid/],
    [{ SESSION_COOKIE_NAME: "__Host-session" }, /SESSION_COOKIE_NAME=__Host-session uses the __Host- prefix.*set SESSION_COOKIE_SECURE=true/],
    [{ SESSION_COOKIE_NAME: "__Secure-sid", SESSION_COOKIE_SECURE: "auto" }, /__Secure- prefix/],
  ])("rejects %o with a message naming the variable", (env, message) => {
    expect(() => readOperationsConfig(env)).toThrow(ConfigError);
    expect(() => readOperationsConfig(env)).toThrow(message);
  });

  it("accepts a __Host- cookie with SESSION_COOKIE_SECURE=true", () => {
    expect(() => readOperationsConfig({ SESSION_COOKIE_NAME: "__Host-session", SESSION_COOKIE_SECURE: "true" })).not.toThrow();
  });
});
