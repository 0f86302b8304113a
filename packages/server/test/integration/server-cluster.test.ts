import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePorts } from "../../../../test/support/ports.js";
import { startRedisCluster, type RedisCluster } from "../../../../test/support/redis-cluster.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";

describe("two reference-server processes sharing one Redis Cluster", () => {
  let cluster: RedisCluster;
  let first: ServerProcess;
  let second: ServerProcess;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    // Each instance knows a different startup node: either finds the whole cluster from one.
    const [firstPort, secondPort] = await freePorts(2);
    const env = (port: number, node: string) => ({ PORT: String(port), REDIS_CLUSTER_NODES: node });
    [first, second] = await Promise.all([
      startServerProcess(env(firstPort!, cluster.startupNodes[0]!)),
      startServerProcess(env(secondPort!, cluster.startupNodes[4]!)),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([first?.stop("SIGKILL"), second?.stop("SIGKILL")]);
    await cluster?.dispose();
  });

  const json = { "content-type": "application/json" };
  const login = async (server: ServerProcess, username: string, userAgent: string) => {
    const response = await fetch(`${server.baseUrl}/login/`, {
      method: "POST",
      headers: { ...json, "user-agent": userAgent },
      body: JSON.stringify({ username }),
    });
    expect(response.status).toBe(200);
    return `session_id=${((await response.json()) as { session_id: string }).session_id}`;
  };
  const get = (server: ServerProcess, path: string, cookie: string) =>
    fetch(`${server.baseUrl}${path}`, { headers: { cookie }, signal: AbortSignal.timeout(5000) });
  type Listing = { sessions: Array<{ handle: string; user_agent: string; current: boolean }> };

  it("logs that it uses the cluster", () => {
    for (const server of [first, second]) expect(server.lines.join("\n")).toMatch(/session store: redis cluster via 127\.0\.0\.1:\d+ \(ioredis\)/);
  });

  it("a session created on one instance is read, listed and revoked on the other", async () => {
    const onFirst = await login(first, "shared-user", "Laptop");
    const onSecond = await login(second, "shared-user", "Phone");

    const profile = await get(second, "/profile/", onFirst);
    expect(profile.status).toBe(200);
    expect(((await profile.json()) as { session_data: { user: string } }).session_data.user).toBe("shared-user");

    const listing = (await (await get(second, "/sessions/", onFirst)).json()) as Listing;
    expect(listing.sessions.map((session) => session.user_agent).sort()).toEqual(["Laptop", "Phone"]);
    const laptop = listing.sessions.find((session) => session.current)!;
    expect(laptop.user_agent).toBe("Laptop");
    const phone = listing.sessions.find((session) => !session.current)!;

    // The second instance revokes the session the first one created, and vice versa.
    expect((await fetch(`${second.baseUrl}/sessions/${phone.handle}`, { method: "DELETE", headers: { cookie: onFirst } })).status).toBe(204);
    expect((await get(first, "/profile/", onSecond)).status).toBe(404);
    expect((await get(second, "/profile/", onSecond)).status).toBe(404);
    expect((await fetch(`${first.baseUrl}/sessions/${laptop.handle}`, { method: "DELETE", headers: { cookie: onFirst } })).status).toBe(204);
    expect((await get(second, "/profile/", onFirst)).status).toBe(404);
  });

  it("a logout on one instance ends the session on the other", async () => {
    const cookie = await login(first, "logout-user", "Tablet");
    expect((await get(second, "/profile/", cookie)).status).toBe(200);
    expect((await fetch(`${second.baseUrl}/logout/`, { method: "POST", headers: { cookie } })).status).toBe(200);
    expect((await get(first, "/profile/", cookie)).status).toBe(404);
  });
});
