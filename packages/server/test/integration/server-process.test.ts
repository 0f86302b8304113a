import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, sleep } from "../../../../test/support/ports.js";
import { commandsDuring } from "../../../../test/support/redis-harness.js";
import { startRedisServer, type RedisServer } from "../../../../test/support/redis-server.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";

async function loginOver(baseUrl: string, username = "abdullah", cookie?: string) {
  const response = await fetch(`${baseUrl}/login/`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ username }),
  });
  const body = (await response.json()) as { session_id: string };
  return { status: response.status, token: body.session_id, cookie: `session_id=${body.session_id}` };
}

const profile = (baseUrl: string, cookie: string) => fetch(`${baseUrl}/profile/`, { headers: { cookie }, signal: AbortSignal.timeout(5000) });

describe("the reference server process on Redis", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  describe("one running server", () => {
    let server: ServerProcess;
    beforeAll(async () => {
      server = await startServerProcess({ PORT: String(await freePort()), REDIS_URL: redis.url, ACCESS_LOG: "true" });
    });
    afterAll(async () => {
      await server?.stop("SIGKILL");
    });

    it("says in its first log line which store it uses, without credentials", () => {
      expect(server.lines[0]).toBe(`tessera: session store: redis at redis://127.0.0.1:${redis.port} (ioredis)`);
    });

    it("costs exactly one Redis command per authenticated GET /profile/, and one round trip's worth per login and logout", async () => {
      const { cookie } = await loginOver(server.baseUrl);
      expect(Object.fromEntries(await commandsDuring(redis, () => profile(server.baseUrl, cookie)))).toEqual({ getex: 1 });
      const login = await commandsDuring(redis, () => loginOver(server.baseUrl));
      expect(login.get("evalsha")).toBe(1); // the create script, already loaded by the first login
      expect(login.get("set")).toBe(1);
      let rotated = "";
      const rotation = await commandsDuring(redis, async () => void (rotated = (await loginOver(server.baseUrl, "b", cookie)).cookie));
      expect(rotation.get("getdel")).toBe(1); // the replaced session, inside the create script
      expect(rotation.get("evalsha")).toBe(1);
      const logout = await commandsDuring(redis, () => fetch(`${server.baseUrl}/logout/`, { method: "POST", headers: { cookie: rotated } }));
      // One script: GETDEL the session, then take its digest out of its owner's index field.
      expect(logout.get("getdel")).toBe(1);
      expect((logout.get("eval") ?? 0) + (logout.get("evalsha") ?? 0)).toBe(1);
      expect(logout.get("del") ?? 0).toBe(0);
      // No cookie, no store traffic at all.
      expect(Object.fromEntries(await commandsDuring(redis, () => fetch(`${server.baseUrl}/profile/`)))).toEqual({});
    });

    it("never lets a token reach Redis: MONITOR sees only hashed ids", async () => {
      const seen: string[] = [];
      const { Redis } = await import("ioredis");
      const client = new Redis(redis.url);
      const stream = await client.monitor();
      stream.on("monitor", (_time: string, args: string[]) => seen.push(args.join(" ")));
      await sleep(50);
      const { token, cookie } = await loginOver(server.baseUrl);
      await profile(server.baseUrl, cookie);
      await fetch(`${server.baseUrl}/logout/`, { method: "POST", headers: { cookie } });
      await sleep(100);
      stream.disconnect();
      client.disconnect();
      expect(seen.some((line) => /^set ts:\{/i.test(line))).toBe(true);
      expect(seen.some((line) => /^getex ts:\{/i.test(line))).toBe(true);
      expect(seen.join("\n")).not.toContain(token);
    });

    it("reads the session cookie from repeated Cookie header lines over real HTTP; a dead first duplicate does not hide a live one", async () => {
      const { cookie } = await loginOver(server.baseUrl);
      const statusFor = (...cookieLines: string[]) =>
        new Promise<number>((resolve, reject) => {
          const url = new URL(`${server.baseUrl}/profile/`);
          const headers = ["Host", url.host, ...cookieLines.flatMap((line) => ["Cookie", line])];
          const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, headers }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on("error", reject);
          req.end();
        });
      expect(await statusFor("theme=dark", cookie)).toBe(200);
      expect(await statusFor(cookie, "session_id=junk")).toBe(200);
      expect(await statusFor("session_id=junk", cookie)).toBe(200);
      expect(await statusFor("session_id=junk", "session_id=other-junk")).toBe(404);
    });

    it("answers 503 while Redis is down, stays up, and recovers every acknowledged session when Redis is back", async () => {
      const { cookie } = await loginOver(server.baseUrl);
      await redis.stop(); // SHUTDOWN SAVE: a clean Redis restart, data kept on disk

      const started = performance.now();
      const down = await profile(server.baseUrl, cookie);
      const elapsedMs = performance.now() - started;
      expect(down.status).toBe(503);
      expect(down.headers.get("retry-after")).toBe("1");
      expect(await down.json()).toEqual({ detail: "Session store unavailable, please retry shortly" });
      console.log(`GET /profile/ with Redis stopped answered 503 in ${elapsedMs.toFixed(0)} ms`);
      const loginDown = await fetch(`${server.baseUrl}/login/`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"username":"x"}' });
      expect(loginDown.status).toBe(503);
      expect((await fetch(`${server.baseUrl}/nope`)).status).toBe(404); // the process is still serving

      await redis.start();
      let status = 0;
      for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
        status = (await profile(server.baseUrl, cookie)).status;
        if (status !== 200) await sleep(100);
      }
      expect(status).toBe(200); // the session from before the outage, not a new one
      expect((await loginOver(server.baseUrl)).status).toBe(200);
      expect(server.child.exitCode).toBeNull();
    });

    it("answers 503 when Redis hangs (SIGSTOP) instead of hanging with it", async () => {
      const { cookie } = await loginOver(server.baseUrl);
      redis.freeze();
      try {
        const response = await profile(server.baseUrl, cookie);
        expect(response.status).toBe(503);
      } finally {
        redis.thaw();
      }
      let status = 0;
      for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
        status = (await profile(server.baseUrl, cookie)).status;
        if (status !== 200) await sleep(100);
      }
      expect(status).toBe(200);
    });

    it("never writes a token to its log", async () => {
      const { token, cookie } = await loginOver(server.baseUrl);
      await profile(server.baseUrl, cookie);
      await fetch(`${server.baseUrl}/profile/?session_id=${token}`, { headers: { cookie } });
      await sleep(50);
      expect(server.lines.filter((line) => line.includes("GET /profile/ 200")).length).toBeGreaterThanOrEqual(2);
      expect(server.lines.join("\n")).not.toContain(token);
    });
  });

  it("shuts down gracefully on SIGTERM: exit code 0 after closing the store", async () => {
    const server = await startServerProcess({ PORT: String(await freePort()), REDIS_URL: redis.url });
    await loginOver(server.baseUrl);
    expect(await server.stop("SIGTERM")).toBe(0);
    expect(server.lines.at(-1)).toMatch(/^tessera: stopped after \d+ ms$/);
  });
});

describe("the reference server process without Redis", () => {
  it("runs on the embedded store by default and says so first", async () => {
    const server = await startServerProcess({ PORT: String(await freePort()) });
    try {
      expect(server.lines[0]).toMatch(/^tessera: session store: memory \(embedded/);
      const { cookie } = await loginOver(server.baseUrl);
      const response = await profile(server.baseUrl, cookie);
      expect(await response.json()).toMatchObject({ session_data: { user: "abdullah", status: "active" } });
    } finally {
      await server.stop();
    }
  });

  it("sends nosniff and no-store on every kind of response over real HTTP (set on the Node response)", async () => {
    const server = await startServerProcess({ PORT: String(await freePort()) });
    try {
      const { cookie } = await loginOver(server.baseUrl);
      const responses = [
        await profile(server.baseUrl, cookie),
        await fetch(`${server.baseUrl}/profile/`),
        await fetch(`${server.baseUrl}/nowhere`),
        await fetch(`${server.baseUrl}/login/`, { method: "PUT" }),
        await fetch(`${server.baseUrl}/`),
        await fetch(`${server.baseUrl}/healthz`),
      ];
      for (const response of responses) {
        expect(response.headers.get("x-content-type-options"), response.url).toBe("nosniff");
        expect(response.headers.get("cache-control"), response.url).toContain("no-store");
        await response.body?.cancel();
      }
    } finally {
      await server.stop();
    }
  });

  it("refuses to start on a bad setting, naming the variable", async () => {
    await expect(startServerProcess({ PORT: String(await freePort()), SESSION_TIMEOUT_SECONDS: "soon" })).rejects.toThrow(
      /SESSION_TIMEOUT_SECONDS="soon" is invalid/,
    );
  });

  it("reports a busy port clearly", async () => {
    const first = await startServerProcess({ PORT: String(await freePort()) });
    try {
      const port = new URL(first.baseUrl).port;
      await expect(startServerProcess({ PORT: port })).rejects.toThrow(new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    } finally {
      await first.stop();
    }
  });
});
