import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, sleep } from "../../../../test/support/ports.js";
import { startRedisServer, type RedisServer } from "../../../../test/support/redis-server.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";

/**
 * What the server process prints, read from its real stdout/stderr: no token in any line, no line
 * an attacker can forge, one line per store outage rather than one per refused request, and no
 * stack trace for hostile input.
 */

async function login(baseUrl: string, username = "abdullah"): Promise<{ token: string; cookie: string }> {
  const response = await fetch(`${baseUrl}/login/`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username }) });
  expect(response.status).toBe(200);
  const token = ((await response.json()) as { session_id: string }).session_id;
  return { token, cookie: `session_id=${token}` };
}

/** Every 12-character piece of `token`: a log line holding any of them holds too much of it. */
const piecesOf = (token: string) => Array.from({ length: token.length - 11 }, (_, start) => token.slice(start, start + 12));

describe("the server process's log", () => {
  let redis: RedisServer;
  let server: ServerProcess;
  beforeAll(async () => {
    redis = await startRedisServer();
    server = await startServerProcess({ PORT: String(await freePort()), REDIS_URL: redis.url, ACCESS_LOG: "true" });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
    await redis?.dispose();
  });

  it("never holds a token, even one sent where a session handle belongs", async () => {
    const { token, cookie } = await login(server.baseUrl);
    const sent = [
      ["DELETE", `/sessions/${token}`],
      ["DELETE", `/sessions/${token}/`],
      ["DELETE", `/sessions/${token.slice(2)}`],
      ["DELETE", `/sessions/${token.slice(0, 30)}`],
      ["GET", `/sessions/${token}`],
      ["GET", `/profile/${token}`],
      ["GET", `/${token}?session_id=${token}`],
    ] as const;
    for (const [method, path] of sent) {
      const response = await fetch(`${server.baseUrl}${path}`, { method, headers: { cookie } });
      expect(response.status).toBeLessThan(500);
      await response.arrayBuffer();
    }
    // The session is still there: none of those requests signed it out by accident.
    expect((await fetch(`${server.baseUrl}/profile/`, { headers: { cookie } })).status).toBe(200);
    await server.waitForLine(/GET \/profile\/ 200/);
    await sleep(100); // let the last access-log lines arrive
    const log = server.lines.join("\n");
    expect(log).toContain("DELETE /sessions/[redacted] ");
    expect(log).toContain("GET /profile/[redacted] ");
    for (const piece of piecesOf(token)) expect(log).not.toContain(piece);
  });

  it("escapes what would forge a line, with the issue's path under a store outage, and logs the outage once", async () => {
    const { cookie } = await login(server.baseUrl, "forger");
    await redis.stop();
    try {
      const forged = "/sessions/x%0Atessera:%20admin%20password%20reset%20OK";
      const statuses: number[] = [];
      for (let round = 0; round < 20; round++) {
        for (const path of [forged, "/profile/", "/sessions/"]) {
          const response = await fetch(`${server.baseUrl}${path}`, { method: path === forged ? "DELETE" : "GET", headers: { cookie } });
          statuses.push(response.status);
          await response.arrayBuffer();
        }
      }
      const refused = statuses.filter((status) => status === 503).length;
      expect(refused).toBeGreaterThanOrEqual(40); // every /profile/ and /sessions/ read
      await server.waitForLine(/session store unavailable/);
      await sleep(100);
      expect(server.lines.filter((line) => line.includes("session store unavailable"))).toHaveLength(1);
      // No per-request warning: the only warnings are the outage's own (and ioredis's reconnect notice).
      expect(server.lines.filter((line) => line.startsWith("tessera: warning:")).length).toBeLessThanOrEqual(3);
      for (const line of server.lines) expect(line).toMatch(/^tessera: /);
      expect(server.lines.some((line) => line.startsWith("tessera: admin"))).toBe(false);

      await redis.start();
      // Recovery is logged once no failure has been seen for 2 s and a store call succeeds.
      let recovered: string | undefined;
      for (let attempt = 0; attempt < 60 && recovered === undefined; attempt++) {
        const response = await fetch(`${server.baseUrl}/profile/`, { headers: { cookie } });
        if (response.status === 503) statuses.push(503);
        await response.arrayBuffer();
        recovered = server.lines.find((line) => line.includes("session store recovered"));
        if (recovered === undefined) await sleep(200);
      }
      const total503s = statuses.filter((status) => status === 503).length;
      expect(recovered).toMatch(new RegExp(`; ${total503s} request\\(s\\) were answered 503 during the outage$`));
    } finally {
      if (redis.pid === undefined) await redis.start();
    }
  });

  it("answers hostile input with 4xx and JSON, never a 500 or a stack trace", async () => {
    const deep = `{"username": ${"[".repeat(6000)}${"]".repeat(6000)}}`;
    const login = await fetch(`${server.baseUrl}/login/`, { method: "POST", headers: { "content-type": "application/json" }, body: deep });
    expect(login.status).toBe(422);
    const body = (await login.json()) as { detail: Array<{ type: string; loc: string[]; ctx: { error: string } }> };
    expect(body.detail[0]).toMatchObject({ type: "json_invalid", loc: ["body"], ctx: { error: "JSON nests arrays and objects deeper than 64 levels" } });

    for (const path of [
      "/static/__proto__",
      "/static/constructor",
      "/static/toString",
      "/static/hasOwnProperty",
      "/docs/__proto__",
      "/docs/constructor",
      "/docs/toString",
      "/docs/hasOwnProperty",
    ]) {
      const response = await fetch(`${server.baseUrl}${path}`);
      const text = await response.text();
      expect([path, response.status]).toEqual([path, 404]);
      expect(JSON.parse(text)).toEqual({ detail: "Not Found" });
    }
    await sleep(100);
    expect(server.lines.filter((line) => line.startsWith("tessera: error:"))).toEqual([]);
    expect(server.child.exitCode).toBeNull();
  });
});
