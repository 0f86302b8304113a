// An app on Upstash with only @upstash/redis installed.
import { Redis } from "@upstash/redis";
import { createSessionManager } from "tessera";
import { createRedisStore } from "tessera/redis";
import { createUpstashStore, recommendedUpstashOptions, upstashConnection } from "tessera/upstash";

export const fromUrl = createUpstashStore({ url: "https://example.upstash.io", token: "token" });
const client = new Redis({ url: "https://example.upstash.io", token: "token", ...recommendedUpstashOptions() });
const sessions = createSessionManager({ store: createRedisStore({ connection: upstashConnection(client) }) });
export const lookup = (request: Request) => sessions.authenticate(request);
