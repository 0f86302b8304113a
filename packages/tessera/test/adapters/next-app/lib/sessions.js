// lib/sessions.js of the app: one manager on Redis (ioredis), bound to Next, as in examples/next-sessions.ts.
import { Redis } from "ioredis";
import { createSessionManager } from "tessera";
import { createNextSessions } from "tessera/next";
import { createRedisStore, ioredisConnection, recommendedIoredisOptions } from "tessera/redis";

if (!process.env.REDIS_URL) throw new Error("REDIS_URL is not set: the app keeps its sessions in Redis");

export const sessions = createNextSessions(
  createSessionManager({ store: createRedisStore({ connection: ioredisConnection(new Redis(process.env.REDIS_URL, recommendedIoredisOptions)) }) }),
);
