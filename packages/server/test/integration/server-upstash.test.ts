import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstashLocal, type UpstashLocalServer } from "@tessera/upstash-local";
import { freePort, sleep } from "../../../../test/support/ports.js";
import { startRedisServer, type RedisServer } from "../../../../test/support/redis-server.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";

const TOKEN = "server-upstash-token";

describe("the reference server process on Upstash (through upstash-local)", () => {
  let redis: RedisServer;
  let rest: UpstashLocalServer;
  let restPort: number;
  let server: ServerProcess;
  beforeAll(async () => {
    redis = await startRedisServer();
    rest = await startUpstashLocal({ redisUrl: redis.url, token: TOKEN, port: 0 });
    restPort = rest.port;
    server = await startServerProcess({ PORT: String(await freePort()), UPSTASH_REDIS_REST_URL: rest.url, UPSTASH_REDIS_REST_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
    await rest?.close();
    await redis?.dispose();
  });

  const login = async () => {
    const response = await fetch(`${server.baseUrl}/login/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"username":"abdullah"}',
    });
    return `session_id=${((await response.json()) as { session_id: string }).session_id}`;
  };
  const profile = (cookie: string) => fetch(`${server.baseUrl}/profile/`, { headers: { cookie }, signal: AbortSignal.timeout(5000) });

  it("costs 1 HTTP request and 1 billed command per authenticated GET /profile/; 1 HTTP request per login and logout", async () => {
    rest.resetStats();
    const cookie = await login();
    expect(rest.stats).toEqual({ httpRequests: 1, commands: 1 }); // the create script
    for (let i = 1; i <= 5; i++) {
      expect((await profile(cookie)).status).toBe(200);
      expect(rest.stats).toEqual({ httpRequests: 1 + i, commands: 1 + i });
    }
    rest.resetStats();
    await fetch(`${server.baseUrl}/logout/`, { method: "POST", headers: { cookie } });
    expect(rest.stats).toEqual({ httpRequests: 1, commands: 1 }); // the logout script
  });

  it("answers 503 while the REST endpoint is down and recovers, sessions intact, when it returns", async () => {
    const cookie = await login();
    await rest.close();

    const started = performance.now();
    const down = await profile(cookie);
    const elapsedMs = performance.now() - started;
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("1");
    expect(await down.json()).toEqual({ detail: "Session store unavailable, please retry shortly" });
    console.log(`GET /profile/ with the REST server stopped answered 503 in ${elapsedMs.toFixed(0)} ms`);

    rest = await startUpstashLocal({ redisUrl: redis.url, token: TOKEN, port: restPort });
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      status = (await profile(cookie)).status;
      if (status !== 200) await sleep(100);
    }
    expect(status).toBe(200);
  });

  it("never logs the REST token", () => {
    expect(server.lines.join("\n")).not.toContain(TOKEN);
  });
});
