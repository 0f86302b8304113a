import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, freePorts, sleep } from "../../../../test/support/ports.js";
import { commandsDuring, total } from "../../../../test/support/redis-harness.js";
import { startRedisServer, type RedisServer } from "../../../../test/support/redis-server.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";

/**
 * Operating the real server process: JSON logs with request ids, /metrics with no user id or
 * token in it, the probes, METRICS_PORT, and the tutorial's cookies accepted once
 * (LEGACY_SEED_SESSIONS) against a real Redis holding keys written as the tutorial writes them.
 */

/** Every 12-character piece of `secret`: output holding any of them holds too much of it. */
const piecesOf = (secret: string) => Array.from({ length: secret.length - 11 }, (_, start) => secret.slice(start, start + 12));

async function login(baseUrl: string, username: string): Promise<string> {
  const response = await fetch(`${baseUrl}/login/`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username }) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { session_id: string }).session_id;
}

/** The tutorial's `/login/`, command for command: `HSET session:<uuid4> user … status active`, then `EXPIRE … 900`. */
async function tutorialLogin(redis: RedisServer, username: string): Promise<string> {
  const sessionId = randomUUID();
  await redis.command("HSET", `session:${sessionId}`, "user", username, "status", "active");
  await redis.command("EXPIRE", `session:${sessionId}`, "900");
  return sessionId;
}

const keyExists = async (redis: RedisServer, key: string) => (await redis.command("EXISTS", key)).trim() === ":1";
const sessionCookieOf = (response: Response) => response.headers.getSetCookie().find((cookie) => cookie.startsWith("session_id="));

describe("the server process with LOG_FORMAT=json, ACCESS_LOG and LEGACY_SEED_SESSIONS", () => {
  let redis: RedisServer;
  let server: ServerProcess;
  beforeAll(async () => {
    redis = await startRedisServer();
    server = await startServerProcess({
      PORT: String(await freePort()),
      REDIS_URL: redis.url,
      LOG_FORMAT: "json",
      ACCESS_LOG: "true",
      LEGACY_SEED_SESSIONS: "true",
    });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
    await redis?.dispose();
  });

  it("converts a tutorial cookie on its first use: new token and cookie, old key deleted, once only", async () => {
    const legacyId = await tutorialLogin(redis, "abdullah");
    const first = await fetch(`${server.baseUrl}/profile/`, { headers: { cookie: `session_id=${legacyId}` } });
    expect(first.status).toBe(200);
    const body = (await first.json()) as { session_id: string; session_data: { user: string; status: string } };
    expect(body.session_data).toEqual({ user: "abdullah", status: "active" });
    expect(body.session_id).toMatch(/^[A-Za-z0-9_-]{45}$/);
    expect(first.headers.getSetCookie()).toHaveLength(1);
    expect(sessionCookieOf(first)).toMatch(new RegExp(`^session_id=${body.session_id}; .*HttpOnly`));
    expect(await keyExists(redis, `session:${legacyId}`)).toBe(false);

    const next = await fetch(`${server.baseUrl}/profile/`, { headers: { cookie: `session_id=${body.session_id}` } });
    expect(next.status).toBe(200);
    const again = await fetch(`${server.baseUrl}/profile/`, { headers: { cookie: `session_id=${legacyId}` } });
    expect([again.status, await again.json()]).toEqual([404, { detail: "Session not found or expired" }]);
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  it("a race of first requests over independent connections converts exactly once", async () => {
    const counter = async (event: string, reason: string) =>
      Number(
        new RegExp(`tessera_session_events_total\\{event="${event}",reason="${reason}"\\} (\\d+)`).exec(
          await (await fetch(`${server.baseUrl}/metrics`)).text(),
        )?.[1],
      );
    // A race must race: more than one racer gets past the read and makes a session, and all but
    // one are ended. On a busy machine the 8 requests can arrive one after another, so each
    // attempt is checked in full and the attempts go on until one of them raced.
    let raced = false;
    for (let attempt = 0; attempt < 5 && !raced; attempt++) {
      const revokedBefore = await counter("revocation", "revoke");
      const legacyId = await tutorialLogin(redis, `racer-${attempt}`);
      const racers = 8;
      const responses = await Promise.all(
        Array.from({ length: racers }, () => fetch(`${server.baseUrl}/sessions/`, { headers: { cookie: `session_id=${legacyId}`, connection: "close" } })),
      );
      const winners = responses.filter((response) => response.status === 200);
      expect(winners).toHaveLength(1);
      for (const loser of responses.filter((response) => response.status !== 200)) {
        expect(loser.status).toBe(404);
        // No clearing cookie: it could reach the browser after the winner's new one.
        expect(loser.headers.getSetCookie()).toEqual([]);
        await loser.arrayBuffer();
      }
      // (The winner's own listing may still show a loser's session: losers end theirs after their DEL.)
      await winners[0]!.arrayBuffer();
      const token = sessionCookieOf(winners[0]!)!.split(";")[0]!.slice("session_id=".length);
      const after = (await (await fetch(`${server.baseUrl}/sessions/`, { headers: { cookie: `session_id=${token}` } })).json()) as { sessions: unknown[] };
      expect(after.sessions).toHaveLength(1);
      raced = (await counter("revocation", "revoke")) > revokedBefore;
    }
    expect(raced, "in 5 attempts, the 8 requests never overlapped").toBe(true);
  });

  it("a cookie not shaped like the tutorial's costs no Redis command; an unknown UUID costs one HGETALL", async () => {
    const junk = await commandsDuring(redis, async () => {
      for (const value of ["junk", "A".repeat(44), randomUUID().toUpperCase(), randomUUID().replaceAll("-", "")]) {
        const response = await fetch(`${server.baseUrl}/profile/`, { headers: { cookie: `session_id=${value}` } });
        expect(response.status).toBe(404);
        await response.arrayBuffer();
      }
    });
    expect(total(junk)).toBe(0);
    const unknown = await commandsDuring(redis, async () => {
      const response = await fetch(`${server.baseUrl}/profile/`, { headers: { cookie: `session_id=${randomUUID()}` } });
      expect(response.status).toBe(404);
      await response.arrayBuffer();
    });
    expect(Object.fromEntries(unknown)).toEqual({ hgetall: 1 });
  });

  it("logging out with a tutorial cookie deletes the tutorial session", async () => {
    const legacyId = await tutorialLogin(redis, "leaving");
    const response = await fetch(`${server.baseUrl}/logout/`, { method: "POST", headers: { cookie: `session_id=${legacyId}` } });
    expect(response.status).toBe(200);
    expect(await keyExists(redis, `session:${legacyId}`)).toBe(false);
  });

  it("/metrics and the JSON log hold no user id and no token; each request line carries its request id", async () => {
    const user = "carol.secret-user@example.com";
    const token = await login(server.baseUrl, user);
    const cookie = `session_id=${token}`;
    for (const [method, path] of [
      ["GET", "/profile/"],
      ["GET", `/profile/${token}`],
      ["DELETE", `/sessions/${token}`],
      ["GET", `/${token}?u=${encodeURIComponent(user)}`],
    ] as const) {
      const response = await fetch(`${server.baseUrl}${path}`, { method, headers: { cookie, "x-request-id": `trace-${method}-${path.length}` } });
      expect(response.headers.get("x-request-id")).toBe(`trace-${method}-${path.length}`);
      await response.arrayBuffer();
    }
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toContain('route="/sessions/:handle"');
    expect(metrics).toContain("process_cpu_user_seconds_total");
    expect(metrics).not.toContain(user);
    for (const piece of piecesOf(token)) expect(metrics).not.toContain(piece);

    await server.waitForLine(/"path":"\/\[redacted\]"/);
    await sleep(100);
    const records = server.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requestLines = records.filter((record) => typeof record.status === "number");
    expect(requestLines.length).toBeGreaterThanOrEqual(4);
    for (const record of requestLines) expect(record.requestId).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    expect(requestLines.map((record) => record.requestId)).toContain("trace-DELETE-55");
    const log = server.lines.join("\n");
    for (const piece of piecesOf(token)) expect(log).not.toContain(piece);
    expect(log).not.toContain(user);
    // Probes and the scrape stay out of the access log by default.
    expect(requestLines.some((record) => record.path === "/metrics")).toBe(false);
  });

  it("/readyz says 503 with the reason while Redis is down, /healthz stays 200, and both recover", async () => {
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
    await redis.stop();
    try {
      const ready = await fetch(`${server.baseUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { detail: string }).detail).toMatch(/STORE_UNAVAILABLE|STORE_TIMEOUT/);
      expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    } finally {
      await redis.start();
    }
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      status = (await fetch(`${server.baseUrl}/readyz`)).status;
      if (status !== 200) await sleep(100);
    }
    expect(status).toBe(200);
  });
});

describe("the server process without LEGACY_SEED_SESSIONS", () => {
  let redis: RedisServer;
  let server: ServerProcess;
  beforeAll(async () => {
    redis = await startRedisServer();
    server = await startServerProcess({ PORT: String(await freePort()), REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
    await redis?.dispose();
  });

  it("never looks a tutorial cookie up: 404, the cookie cleared, no Redis command", async () => {
    const legacyId = await tutorialLogin(redis, "abdullah");
    let response: Response | undefined;
    const commands = await commandsDuring(redis, async () => {
      response = await fetch(`${server.baseUrl}/profile/`, { headers: { cookie: `session_id=${legacyId}` } });
      await response.arrayBuffer();
    });
    expect(response!.status).toBe(404);
    expect(sessionCookieOf(response!)).toMatch(/Max-Age=0/);
    expect(total(commands)).toBe(0);
    expect(await keyExists(redis, `session:${legacyId}`)).toBe(true);
  });
});

describe("METRICS_PORT", () => {
  let server: ServerProcess;
  let metricsUrl: string;
  beforeAll(async () => {
    const [port, metricsPort] = await freePorts(2);
    metricsUrl = `http://127.0.0.1:${metricsPort}`;
    server = await startServerProcess({ PORT: String(port), METRICS_PORT: String(metricsPort) });
    await server.waitForLine(/metrics on http/);
  });
  afterAll(async () => server?.stop("SIGKILL"));

  it("serves /metrics on its own port only, with the embedded store's size", async () => {
    await login(server.baseUrl, "ada");
    const scrape = await fetch(`${metricsUrl}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await scrape.text();
    expect(text).toContain("tessera_memory_store_sessions 1");
    expect(text).toContain('tessera_http_requests_total{method="POST",route="/login",status="200"} 1');
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(404);
    expect((await fetch(`${metricsUrl}/profile/`)).status).toBe(404);
    const documented = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(documented.paths)).not.toContain("/metrics");
  });
});
