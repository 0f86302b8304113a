import { type AddressInfo, createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { ConfigError } from "tessera";
import { silentLogger } from "./logger.js";
import { createServerFromEnv } from "./server-from-env.js";

/** The factory serves through `app.fetch` alone: no port, no node:http (what the Bun benchmark relies on). */
describe("createServerFromEnv", () => {
  it("builds the whole server from variables: login, probes and /metrics through app.fetch", async () => {
    const server = await createServerFromEnv({ SESSION_TIMEOUT_SECONDS: "60" }, { logger: silentLogger, processMetrics: false });
    try {
      expect(server.config.idleTimeoutSeconds).toBe(60);
      const login = await server.app.fetch(
        new Request("http://h/login/", { method: "POST", headers: { "content-type": "application/json" }, body: '{"username":"ada"}' }),
      );
      expect(login.status).toBe(200);
      expect((await server.app.fetch(new Request("http://h/healthz"))).status).toBe(200);
      expect((await server.app.fetch(new Request("http://h/readyz"))).status).toBe(200);
      const metrics = await (await server.app.fetch(new Request("http://h/metrics"))).text();
      expect(metrics).toContain('tessera_store_call_duration_seconds_count{operation="create",outcome="ok"} 1');
      expect(metrics).toContain("tessera_memory_store_sessions 1");
      expect(server.metricsApp).toBeUndefined();
      server.drain();
      expect((await server.app.fetch(new Request("http://h/readyz"))).status).toBe(503);
    } finally {
      await server.close();
    }
  });

  it("with METRICS_PORT, /metrics moves to metricsApp", async () => {
    const server = await createServerFromEnv({ METRICS_PORT: "9464" }, { logger: silentLogger, processMetrics: false });
    expect((await server.app.fetch(new Request("http://h/metrics"))).status).toBe(404);
    expect((await server.metricsApp!.fetch(new Request("http://h/metrics"))).status).toBe(200);
    expect((await server.metricsApp!.fetch(new Request("http://h/profile/"))).status).toBe(404);
    await server.close();
  });

  it("refuses a bad variable with a ConfigError naming it", async () => {
    await expect(createServerFromEnv({ LEGACY_SEED_SESSIONS: "true" }, { logger: silentLogger })).rejects.toThrow(ConfigError);
    await expect(createServerFromEnv({ LOG_FORMAT: "yaml" }, { logger: silentLogger })).rejects.toThrow(/LOG_FORMAT/);
  });

  it("refuses ioredis's own keyPrefix in REDIS_URL, names the store prefix that keeps the same keys, and leaves no client behind", async () => {
    // A listener that counts connections stands in for Redis: a client left behind would connect to it.
    let connections = 0;
    const listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const { port } = listener.address() as AddressInfo;
    try {
      await expect(createServerFromEnv({ REDIS_URL: `redis://127.0.0.1:${port}/0?keyPrefix=app:` }, { logger: silentLogger })).rejects.toThrow(
        /keyPrefix "app:".*createRedisStore\(\{ keyPrefix: "app:ts:" \}\)/,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(connections).toBe(0);
    } finally {
      listener.close();
    }
  });
});
