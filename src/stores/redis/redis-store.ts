import { ConfigError, StoreUnavailableError } from "../../core/errors.js";
import { decodeSessionRecord, encodeSessionRecord } from "../../core/record.js";
import type { SessionStore } from "../../core/store.js";
import type { RedisCommand, RedisConnection, RedisReply } from "./connection.js";

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** How to reach Redis: `ioredisConnection(client)` or `nodeRedisConnection(client)`. */
  connection: RedisConnection;
  /** Prefix of every session key. Keep it short: it is stored once per session. @default "ts:s:" */
  keyPrefix?: string;
  /**
   * Deadline for each store call, in milliseconds. Past it the call rejects with
   * `StoreUnavailableError` (`STORE_TIMEOUT`) whatever the client does, so a hung Redis yields a
   * 503 instead of a hung request. @default 1000
   */
  commandTimeoutMs?: number;
}

/**
 * A session store on Redis (any client behind a {@link RedisConnection}).
 *
 * Layout: one string key per session, `<keyPrefix><sessionId>`, holding the encoded record, with a
 * TTL equal to the idle timeout. A string (not a hash as in the seed) because Redis 7.0 has no
 * way to read a hash and slide its TTL in one command; `GETEX` does both for a string.
 *
 * Commands per operation, each one round trip:
 * - read-and-slide: `GETEX key PX ttl` (1 command);
 * - login: `SET key value PX ttl` (1), or `DEL old` + `SET` pipelined when rotating (2);
 * - update: `SET key value XX KEEPTTL` (1): `XX` so an update racing a logout writes nothing;
 * - logout: `DEL key` (1).
 * Rotation is a pipeline, not `MULTI`: the `DEL` is sent first on the same connection, so the old
 * session is gone before the new one exists, and the two keys may live on different cluster nodes.
 *
 * @example
 * ```ts
 * import Redis from "ioredis";
 * import { createRedisStore, ioredisConnection, recommendedIoredisOptions } from "tessera/redis";
 *
 * const redis = new Redis(process.env.REDIS_URL!, recommendedIoredisOptions);
 * const store = createRedisStore({ connection: ioredisConnection(redis) });
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): SessionStore {
  const { connection } = options;
  if (!connection || typeof connection.send !== "function") {
    throw new ConfigError("options.connection is required: wrap your client with ioredisConnection(client) or nodeRedisConnection(client)");
  }
  const keyPrefix = options.keyPrefix ?? "ts:s:";
  const commandTimeoutMs = options.commandTimeoutMs ?? 1000;
  if (!Number.isFinite(commandTimeoutMs) || commandTimeoutMs <= 0) {
    throw new ConfigError(`commandTimeoutMs must be a positive number of milliseconds, got ${String(commandTimeoutMs)}`);
  }
  // Glob characters in the prefix would make a future SCAN MATCH over sessions match other keys.
  if (/[*?[\]\\]/.test(keyPrefix)) {
    throw new ConfigError(`keyPrefix ${JSON.stringify(keyPrefix)} must not contain glob characters (* ? [ ] \\)`);
  }

  const key = (sessionId: string) => keyPrefix + sessionId;

  /** One round trip under the deadline; every failure becomes a StoreUnavailableError. */
  async function send(commands: readonly RedisCommand[]): Promise<RedisReply[]> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreUnavailableError("STORE_TIMEOUT", `Redis did not answer ${commands.map((c) => c[0]).join("+")} within ${commandTimeoutMs} ms`)),
        commandTimeoutMs,
      );
    });
    let replies: Array<RedisReply | Error>;
    try {
      replies = await Promise.race([connection.send(commands), deadline]);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError("STORE_UNAVAILABLE", `Redis is unavailable (${connection.description}): ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
    replies.forEach((reply, index) => {
      if (reply instanceof Error) {
        throw new StoreUnavailableError("STORE_UNAVAILABLE", `Redis rejected ${commands[index]?.[0] ?? "a command"}: ${reply.message}`, { cause: reply });
      }
    });
    return replies as RedisReply[];
  }

  return {
    description: `redis (${connection.description})`,

    async create(sessionId, record, { ttlMs, replacesSessionId }) {
      const set: RedisCommand = ["SET", key(sessionId), encodeSessionRecord(record), "PX", ttlMs];
      await send(replacesSessionId === undefined ? [set] : [["DEL", key(replacesSessionId)], set]);
    },

    async readAndExtend(sessionId, ttlMs) {
      const [reply] = await send([["GETEX", key(sessionId), "PX", ttlMs]]);
      return typeof reply === "string" ? decodeSessionRecord(reply) : null;
    },

    async update(sessionId, record) {
      const [reply] = await send([["SET", key(sessionId), encodeSessionRecord(record), "XX", "KEEPTTL"]]);
      return reply === "OK";
    },

    async destroy(sessionId) {
      await send([["DEL", key(sessionId)]]);
    },

    close: () => connection.close(),
  };
}
