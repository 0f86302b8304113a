import { Redis as UpstashRedis } from "@upstash/redis";
import type { RedisServer } from "../../test/support/redis-server.js";
import { createSessionManager } from "tessera";
import { createUpstashStore } from "tessera/upstash";
import { startUpstashLocal } from "@tessera/upstash-local";
import { delta, StatsReader, totalCommands } from "./redis-stats.js";

export interface UpstashRow {
  stack: string;
  operation: "read" | "login" | "logout";
  httpRequests: number;
  billedCommands: number;
}

/**
 * HTTP requests (counted at upstash-local) and billed commands (Redis's own count: Upstash bills
 * 1 per command and 1 per redis.call in a script) per operation, for tessera's Upstash store and
 * for the seed's calls on @upstash/redis with the client's defaults, as the tutorial uses it.
 */
export async function measureUpstash(redis: RedisServer): Promise<UpstashRow[]> {
  const token = "bench-upstash-token";
  const rest = await startUpstashLocal({ redisUrl: redis.url, token, port: 0 });
  const rows: UpstashRow[] = [];
  const stats = new StatsReader(redis.url);
  const count = async (stack: string, operation: UpstashRow["operation"], run: () => Promise<unknown>) => {
    rest.resetStats();
    const before = await stats.snapshot();
    await run();
    const { commands } = delta(before, await stats.snapshot());
    rows.push({ stack, operation, httpRequests: rest.stats.httpRequests, billedCommands: totalCommands(commands) });
  };
  try {
    const sessions = createSessionManager({ store: await createUpstashStore({ url: rest.url, token }) });
    await sessions.login(new Request("http://localhost/"), { userId: "warm-up" }); // loads the create script
    let cookie = "";
    await count("tessera (Upstash store)", "login", async () => {
      cookie = `session_id=${(await sessions.login(new Request("http://localhost/"), { userId: "abdullah" })).token}`;
    });
    await count("tessera (Upstash store)", "read", () => sessions.authenticate(new Request("http://localhost/", { headers: { cookie } })));
    await count("tessera (Upstash store)", "logout", () => sessions.logout(new Request("http://localhost/", { headers: { cookie } })));

    // The tutorial's code, call for call.
    const seed = new UpstashRedis({ url: rest.url, token });
    const key = "session:68223c50-ede4-48eb-9d26-4a4dd735c10d";
    await count("seed on @upstash/redis", "login", async () => {
      await seed.hset(key, { user: "abdullah", status: "active" });
      await seed.expire(key, 900);
    });
    await count("seed on @upstash/redis", "read", async () => {
      await seed.hgetall(key);
      await seed.expire(key, 900);
    });
    await count("seed on @upstash/redis", "logout", () => seed.del(key));
  } finally {
    stats.close();
    await rest.close();
  }
  return rows;
}
