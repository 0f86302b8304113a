import { startUpstashLocal, type UpstashLocalServer } from "@tessera/upstash-local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep } from "../support/ports.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { STORE_ERROR_HEADER } from "./app/smoke-app.js";
import { SMOKE_STORES } from "./app/smoke-store.js";
import { assertLibraryBuilt, bundleServer, bundleWorker } from "./support/bundle.js";
import { startOutageProxy, type OutageProxy } from "./support/outage-proxy.js";
import { RUNTIMES, type RunningApp } from "./support/runtimes.js";
import { SmokeClient } from "./support/smoke-client.js";

/**
 * The same smoke app (test/runtimes/app) on Node, Bun, Deno and workerd, each a real child
 * process driven over loopback HTTP, on the memory store and on the Upstash store. Upstash is
 * upstash-local on Node in this process, in front of a real redis-server, reached through a proxy
 * that the tests switch to "refuse" (store down) or "hang" (store deadline).
 */
const TOKEN = "runtimes-smoke-token";
/** Short, so a hung call costs little; the client waits 5 s, so a missed deadline cannot pass. */
const COMMAND_TIMEOUT_MS = 300;

let bundles: { server: string; worker: string };
let redis: RedisServer;
let upstash: UpstashLocalServer;
let proxy: OutageProxy;

beforeAll(async () => {
  assertLibraryBuilt();
  bundles = { server: await bundleServer(), worker: await bundleWorker() };
  redis = await startRedisServer();
  upstash = await startUpstashLocal({ redisUrl: redis.url, token: TOKEN, port: 0 });
  proxy = await startOutageProxy(upstash.url);
});
afterAll(async () => {
  await proxy?.close();
  await upstash?.close();
  await redis?.dispose();
});

for (const runtime of RUNTIMES) {
  if (runtime.unavailable) console.warn(`runtime tests: skipping ${runtime.name}: ${runtime.unavailable}`);

  describe.skipIf(runtime.unavailable !== undefined)(`${runtime.name}${runtime.unavailable ? ` (skipped: ${runtime.unavailable})` : ""}`, () => {
    describe.each(SMOKE_STORES)("on the %s store", (store) => {
      let app: RunningApp;
      const client = () => new SmokeClient(app.url);
      /** The Upstash runs share one Redis: each run has users of its own. */
      const userId = (name: string) => `${name}-${runtime.name}-${store}`;

      /** Takes the store down and back up: the memory store by its switch, Upstash for real. */
      const setStoreDown = async (down: boolean) => {
        if (store !== "memory") return proxy.setMode(down ? "refuse" : "forward");
        expect((await client().request("PUT", "/test/store-down", { down })).status).toBe(204);
      };

      beforeAll(async () => {
        proxy.setMode("forward");
        const config: Record<string, string> =
          store === "memory"
            ? { SMOKE_STORE: "memory" }
            : { SMOKE_STORE: store, UPSTASH_REDIS_REST_URL: proxy.url, UPSTASH_REDIS_REST_TOKEN: TOKEN, SMOKE_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) };
        app = await runtime.start(bundles, config);
        // The first store calls of a fresh process run cold code on a new connection, and the
        // deadline is short (COMMAND_TIMEOUT_MS): warm up until a login goes through (bounded), so
        // a slow start on a busy machine is not read as a failure of what the tests check.
        if (store !== "memory") {
          for (let attempt = 1; attempt <= 20; attempt++) {
            if ((await client().request("POST", "/login", { userId: userId("warm-up") })).status === 200) {
              if (attempt > 1) console.log(`${runtime.name} on ${store}: the warm-up login went through at attempt ${attempt}`);
              break;
            }
            await sleep(100);
          }
        }
      });
      afterAll(async () => {
        await app?.stop();
        proxy.setMode("forward");
      });

      it(`answers from ${runtime.name} itself`, async () => {
        const { status, body } = await client().request("GET", "/runtime");
        expect(status).toBe(200);
        expect(String(body?.runtime)).toMatch(new RegExp(`^${runtime.name}\\b`));
      });

      it("logs in, reads, lists, revokes another device, keeps users apart, and logs out", async () => {
        const laptop = client();
        const phone = client();
        const mallory = client();
        expect((await laptop.request("POST", "/login", { userId: userId("alice") })).status).toBe(200);
        const phoneLogin = await phone.request("POST", "/login", { userId: userId("alice") });
        expect(phoneLogin.status).toBe(200);
        expect((await mallory.request("POST", "/login", { userId: userId("mallory") })).status).toBe(200);

        const read = await laptop.request("GET", "/me");
        expect(read.status).toBe(200);
        expect(read.body?.userId).toBe(userId("alice"));

        const listed = await laptop.request("GET", "/sessions");
        expect(listed.status).toBe(200);
        const sessions = listed.body?.sessions as Array<{ handle: string; current: boolean }>;
        expect(sessions).toHaveLength(2);
        expect(sessions.filter((session) => session.current)).toHaveLength(1);
        expect(sessions.map((session) => session.handle)).toContain(phoneLogin.body?.handle);

        // Another user cannot end alice's session by its handle.
        expect((await mallory.request("DELETE", `/sessions/${String(phoneLogin.body?.handle)}`)).body).toEqual({ revoked: false });
        expect((await phone.request("GET", "/me")).status).toBe(200);

        expect((await laptop.request("DELETE", `/sessions/${String(phoneLogin.body?.handle)}`)).body).toEqual({ revoked: true });
        expect((await phone.request("GET", "/me")).status).toBe(401);
        expect(phone.cookie).toBeUndefined();

        const logout = await laptop.request("POST", "/logout");
        expect(logout.status).toBe(204);
        expect(laptop.cookie).toBeUndefined();
        expect((await laptop.request("GET", "/me")).status).toBe(401);
        expect((await mallory.request("GET", "/me")).body?.userId).toBe(userId("mallory"));
      });

      it("answers 503 with Retry-After while the store is down, and keeps the session for when it is back", async () => {
        const user = client();
        expect((await user.request("POST", "/login", { userId: userId("bob") })).status).toBe(200);
        await setStoreDown(true);
        try {
          const refused = await user.request("GET", "/me");
          expect(refused.status).toBe(503);
          expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
          expect(refused.headers.get(STORE_ERROR_HEADER)).toBe("STORE_UNAVAILABLE");
          expect(refused.body?.detail).toEqual(expect.any(String));
          expect(user.cookie).toBeDefined();
        } finally {
          await setStoreDown(false);
        }
        expect((await user.request("GET", "/me")).body?.userId).toBe(userId("bob"));
      });

      // The memory store cannot hang: the deadline is the Redis/Upstash store's.
      if (store === "memory") return;
      it("holds the store's deadline when Upstash hangs after several good requests, then recovers", async () => {
        const user = client();
        expect((await user.request("POST", "/login", { userId: userId("carol") })).status).toBe(200);
        for (let read = 0; read < 3; read++) expect((await user.request("GET", "/me")).status).toBe(200);
        proxy.setMode("hang");
        try {
          // Each request, not only the first: on workerd a store-wide timer dies with the request that started it.
          for (let attempt = 0; attempt < 3; attempt++) {
            const hung = await user.request("GET", "/me");
            expect(hung.status).toBe(503);
            // createUpstashStore's client aborts at the same deadline, and either may answer first.
            const expected = store === "upstash-own-client" ? ["STORE_TIMEOUT"] : ["STORE_TIMEOUT", "STORE_UNAVAILABLE"];
            expect(expected).toContain(hung.headers.get(STORE_ERROR_HEADER));
          }
        } finally {
          proxy.setMode("forward");
        }
        expect((await user.request("GET", "/me")).body?.userId).toBe(userId("carol"));
      });
    });
  });
}
