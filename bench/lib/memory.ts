import { randomBytes, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { RedisServer } from "../../test/support/redis-server.js";
import { createSessionManager } from "tessera";
import { nodeSha256 } from "tessera/node";
import { createRedisStore, ioredisConnection, recommendedIoredisOptions } from "tessera/redis";

export interface MemoryRow {
  layout: string;
  sessions: number;
  users: number;
  bytesPerSession: number;
  stores: string;
}

const IDLE_MS = 900_000;
/** Usernames as long as the seed's "abdullah" (8 characters), so layouts compare like for like. */
const username = (i: number) => `u${String(i).padStart(7, "0")}`;
const BATCH = 1000;

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

async function measure(client: Redis, sessions: number, load: () => Promise<void>): Promise<number> {
  await client.flushall("SYNC");
  await new Promise((resolve) => setTimeout(resolve, 200));
  const before = await usedMemory(client);
  await load();
  const keys = await client.dbsize();
  if (keys < sessions) throw new Error(`expected at least ${sessions} keys, found ${keys}`);
  return (await usedMemory(client)) - before;
}

/**
 * Bytes of Redis memory per session (`used_memory` delta over `sessions` sessions), for the seed's
 * layout, express-session's (connect-redis) and tessera's with its per-user index, all with
 * 8-character usernames and a 15-minute TTL.
 */
export async function measureMemory(redis: RedisServer, sessions: number, progress: (message: string) => void): Promise<MemoryRow[]> {
  const client = new Redis(redis.url);
  const rows: MemoryRow[] = [];
  try {
    progress(`seed layout: ${sessions} hashes {user, status} under session:<uuid>, EXPIRE`);
    const seed = await measure(client, sessions, async () => {
      for (let start = 0; start < sessions; start += BATCH) {
        const pipeline = client.pipeline();
        for (let i = start; i < Math.min(start + BATCH, sessions); i++) {
          const key = `session:${randomUUID()}`;
          pipeline.hset(key, { user: username(i), status: "active" }).expire(key, 900);
        }
        await pipeline.exec();
      }
    });
    rows.push({ layout: "seed (hash per session)", sessions, users: sessions, bytesPerSession: seed / sessions, stores: "user, status" });

    progress(`express-session + connect-redis layout: ${sessions} JSON strings under sess:<id>`);
    const express = await measure(client, sessions, async () => {
      const expires = new Date(Date.now() + IDLE_MS).toISOString();
      for (let start = 0; start < sessions; start += BATCH) {
        const pipeline = client.pipeline();
        for (let i = start; i < Math.min(start + BATCH, sessions); i++) {
          const value = JSON.stringify({ cookie: { originalMaxAge: IDLE_MS, expires, httpOnly: true, path: "/", sameSite: "lax" }, user: username(i) });
          pipeline.set(`sess:${randomBytes(24).toString("base64url")}`, value, "EX", 900);
        }
        await pipeline.exec();
      }
    });
    rows.push({
      layout: "express-session + connect-redis",
      sessions,
      users: sessions,
      bytesPerSession: express / sessions,
      stores: "user, cookie expiry (no creation time, no per-user index)",
    });

    for (const perUser of [1, 4]) {
      const users = sessions / perUser;
      progress(`tessera: ${sessions} sessions of ${users} users through the Redis store (create script)`);
      const store = createRedisStore({ connection: ioredisConnection(new Redis(redis.url, recommendedIoredisOptions)), commandTimeoutMs: 30_000 });
      const manager = createSessionManager({ store, sha256: nodeSha256 });
      const bytes = await measure(client, sessions, async () => {
        for (let start = 0; start < sessions; start += BATCH) {
          const logins = [];
          for (let i = start; i < Math.min(start + BATCH, sessions); i++) {
            const request = new Request("http://localhost/login", {
              headers: { "user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 Chrome/131.0 Safari/537.36" },
            });
            logins.push(manager.login(request, { userId: username(i % users), ip: `203.0.113.${i % 250}` }));
          }
          await Promise.all(logins);
        }
      });
      await store.close();
      rows.push({
        layout: `tessera, ${perUser} session${perUser === 1 ? "" : "s"} per user`,
        sessions,
        users,
        bytesPerSession: bytes / sessions,
        stores: "user, device label + IP, creation time, absolute deadline, last seen, per-user index entry",
      });
    }
  } finally {
    client.disconnect();
  }
  return rows;
}
