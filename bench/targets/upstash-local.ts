import { startUpstashLocal } from "@tessera/upstash-local";
import { announce, PORT, REDIS_URL } from "./common.js";

/**
 * upstash-local as its own process for the remote Upstash scenario: the bench's orchestrator
 * blocks while wrk runs, so an in-process server would stall. Token from UPSTASH_REDIS_REST_TOKEN.
 */
const token = process.env.UPSTASH_REDIS_REST_TOKEN;
if (!token) {
  console.error("upstash-local target: set UPSTASH_REDIS_REST_TOKEN");
  process.exit(2);
}
const server = await startUpstashLocal({ redisUrl: REDIS_URL, token, host: "127.0.0.1", port: PORT });
announce(`upstash-local ${server.url}`);
