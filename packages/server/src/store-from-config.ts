import { Redis } from "ioredis";
import type { SessionStore } from "tessera";
import { createMemoryStore } from "tessera/memory";
import { createRedisStore, ioredisConnection, recommendedIoredisOptions, redactRedisUrl } from "tessera/redis";
import { createUpstashStore } from "tessera/upstash";
import type { ServerConfig } from "./config.js";
import type { Logger } from "./logger.js";

/** How long startup waits for Redis before serving anyway (requests then get 503 until it is up). */
const STARTUP_WAIT_MS = 2000;

/**
 * Opens the store the configuration selects: Redis when `REDIS_URL` is set, Upstash when
 * `UPSTASH_REDIS_REST_URL`/`_TOKEN` are, else the embedded one.
 */
export async function openStore(config: ServerConfig, logger: Logger): Promise<SessionStore> {
  if (config.upstash !== undefined) {
    const store = await createUpstashStore(config.upstash);
    // The URL names the database; the token is a secret and is never logged.
    logger.info(`session store: upstash at ${new URL(config.upstash.url).origin} (REST)`);
    return store;
  }
  if (config.redisUrl === undefined) {
    const store = createMemoryStore({ maxSessions: config.memoryMaxSessions });
    logger.info(`session store: ${store.description}; sessions are lost on restart (set REDIS_URL to use Redis)`);
    return store;
  }
  const where = redactRedisUrl(config.redisUrl);
  const client = new Redis(config.redisUrl, recommendedIoredisOptions);
  const store = createRedisStore({ connection: ioredisConnection(client) });
  logger.info(`session store: redis at ${where} (ioredis)`);

  // Log outages once each, not once per reconnect attempt; ioredis keeps reconnecting by itself.
  let down = false;
  client.on("error", (error: Error) => {
    if (down) return;
    down = true;
    logger.warn(`Redis at ${where} is unreachable (${error.message}); answering 503 until it is back`);
  });
  client.on("ready", () => {
    if (!down) return;
    down = false;
    logger.info(`Redis at ${where} is reachable again`);
  });

  const ready = await new Promise<boolean>((resolve) => {
    if (client.status === "ready") return resolve(true);
    const timer = setTimeout(() => resolve(false), STARTUP_WAIT_MS);
    client.once("ready", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!ready) {
    down = true;
    logger.warn(`Redis at ${where} did not answer within ${STARTUP_WAIT_MS} ms; serving anyway, session requests get 503 until it does`);
  }
  return store;
}
