import { Redis, type RedisOptions } from "ioredis";
import { HttpError } from "./http-messages.js";

/**
 * How upstash-local talks to Redis.
 *
 * `protocol: 2` is the point: Upstash answers in RESP2 shapes (`ZRANGE … WITHSCORES` as a flat
 * `[member, score, …]`, `XREAD` as `[[key, entries]]`). ioredis 6 negotiates RESP3 by default and
 * flattens only the replies of commands it recognises by their lower-case name, so `ZRANGE` and
 * `zrange` came back in different shapes. On RESP2 Redis itself sends the Upstash shape for every
 * spelling.
 *
 * `stringNumbers`: an integer reply comes as its digits, not a JavaScript number, so a 64-bit
 * counter past 2^53 is answered exactly (`9007199254740993`, not `…992`).
 *
 * The rest keeps requests fail-fast: no offline queue (a command while Redis is away fails at once
 * and becomes a 503) and reconnection in the background with a backoff capped at 1 s.
 */
export const upstashLocalRedisOptions = {
  protocol: 2,
  stringNumbers: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 1000,
  retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 1000),
} satisfies RedisOptions;

/** A new connection to `redisUrl`; its errors surface per request, so the event is only silenced. */
export function connectToRedis(redisUrl: string): Redis {
  const connection = new Redis(redisUrl, upstashLocalRedisOptions);
  connection.on("error", () => undefined);
  return connection;
}

/** Resolves `true` when the client is ready, or `false` after `timeoutMs`, whichever comes first. */
export function waitUntilReady(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === "ready") return Promise.resolve(true);
  return new Promise((resolve) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      client.off("ready", onReady);
      resolve(false);
    }, timeoutMs);
    client.once("ready", onReady);
  });
}

/** Runs a Redis call; a connection-level failure becomes a 503 (the client's cue that Redis is away). */
export async function redisCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Error && (error.name === "ReplyError" || error.message.startsWith("EXECABORT"))) throw error;
    throw new HttpError(503, `Redis unavailable: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A fixed set of connections, each lent to one piece of work at a time. */
export interface ConnectionPool {
  use<T>(work: (connection: Redis) => Promise<T>): Promise<T>;
  close(): void;
}

/**
 * Connections for `/multi-exec`, each lent to one transaction at a time: a `MULTI … EXEC` on a
 * shared connection could have another request's commands queued inside it.
 */
export function createConnectionPool(redisUrl: string, size: number): ConnectionPool {
  const idle: Redis[] = [];
  const waiting: Array<(connection: Redis) => void> = [];
  const all: Redis[] = [];
  async function acquire(): Promise<Redis> {
    const ready = idle.pop();
    if (ready) return ready;
    if (all.length < size) {
      const connection = connectToRedis(redisUrl);
      all.push(connection);
      return connection;
    }
    return new Promise((resolve) => waiting.push(resolve));
  }
  function release(connection: Redis): void {
    const next = waiting.shift();
    if (next) next(connection);
    else idle.push(connection);
  }
  return {
    async use(work) {
      const connection = await acquire();
      // A connection that has not connected yet fails fast (no offline queue); wait briefly for it.
      await waitUntilReady(connection, 1000);
      try {
        return await work(connection);
      } finally {
        release(connection);
      }
    },
    close() {
      for (const connection of all) connection.disconnect();
    },
  };
}
