// lib/sessions.ts of a Next.js app: one manager, bound to Next. Used by the next-*.ts examples.
//
// Redis, not the memory store, once the app runs in Next's server: Next loads the proxy, each route
// handler and each page as bundles of their own, so an in-process store is not shared between them
// (a login in a route handler would be unknown to the proxy and to pages). On the Edge runtime use
// createUpstashStore from tessera/upstash. Without REDIS_URL (the tests run these handlers in
// process) the memory store is used; createNextSessions warns if it finds it inside a Next server.
import { Redis } from "ioredis";
import { createSessionManager, type SessionStore } from "tessera";
import { createMemoryStore } from "tessera/memory";
import { createNextSessions } from "tessera/next";
import { createRedisStore, ioredisConnection, recommendedIoredisOptions } from "tessera/redis";

export type Data = { theme?: string };

function storeFor(redisUrl: string | undefined): SessionStore {
  return redisUrl ? createRedisStore({ connection: ioredisConnection(new Redis(redisUrl, recommendedIoredisOptions)) }) : createMemoryStore();
}

export const sessions = createNextSessions(createSessionManager<Data>({ store: storeFor(process.env.REDIS_URL) }));
