import { serve } from "@hono/node-server";
import { Redis } from "@upstash/redis";
import { announce, PORT } from "./common.js";
import { seedApp } from "./seed-app.js";

/**
 * The seed's app (seed-app.ts) on @upstash/redis instead of ioredis, as the Upstash tutorial runs
 * it: each command its own HTTP request. The client keeps its defaults, as the tutorial does.
 */
const url = process.env.UPSTASH_REDIS_REST_URL;
const token = process.env.UPSTASH_REDIS_REST_TOKEN;
if (!url || !token) {
  console.error("seed-port-upstash: set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN");
  process.exit(2);
}
const app = seedApp(new Redis({ url, token }));

serve({ fetch: app.fetch, hostname: "127.0.0.1", port: PORT }, () => announce("seed-port-upstash"));
