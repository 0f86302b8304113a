import { ConfigError, StoreUnavailableError } from "../../core/errors.js";
import {
  decodeIndexEntry,
  decodeSessionRecord,
  encodeIndexEntry,
  encodeLastSeenOffset,
  encodeSessionRecord,
} from "../../core/record.js";
import { BUCKET_LENGTH, bucketOfSessionId, type ExpiredSession, type SessionStore, type StoredSessionSummary } from "../../core/store.js";
import type { RedisCommand, RedisConnection, RedisReply } from "./connection.js";
import { CREATE_SCRIPT, DESTROY_FOR_USER_SCRIPT, LIST_SCRIPT, PATCH_SCRIPT, TOUCH_SCRIPT } from "./scripts.js";

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** How to reach Redis: `ioredisConnection(client)`, `nodeRedisConnection(client)` or `upstashConnection(client)`. */
  connection: RedisConnection;
  /** Prefix of every key. Keep it short: it is stored once per session. @default "ts:" */
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
 * Layout (see ARCHITECTURE.md): per session a string `<prefix>{<bucket>}<digest>` with the
 * encoded record and an idle TTL; per bucket (a 12-bit hash of the user id shared by the user's
 * sessions) a hash `<prefix>{<bucket>}:i` mapping each session's digest to its index entry. The
 * braces make the session keys and their index one Cluster hash slot.
 *
 * Commands, each operation one round trip:
 * - read-and-slide: `GETEX key PX ttl` (1 command — the hot path);
 * - login: the create script (prune, evict, `SET`, `HSET`, `TTL`/`EXPIRE`); when rotating, the
 *   old session's `DEL` + `HDEL` go first in the same round trip;
 * - logout: `DEL` + `HDEL` pipelined;
 * - touch, patch, list, revoke: one script each.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { createRedisStore, ioredisConnection, recommendedIoredisOptions } from "tessera/redis";
 *
 * const redis = new Redis(process.env.REDIS_URL!, recommendedIoredisOptions);
 * const store = createRedisStore({ connection: ioredisConnection(redis) });
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): SessionStore {
  const { connection } = options;
  if (!connection || typeof connection.send !== "function") {
    throw new ConfigError("options.connection is required: wrap your client with ioredisConnection(client), nodeRedisConnection(client) or upstashConnection(client)");
  }
  const keyPrefix = options.keyPrefix ?? "ts:";
  const commandTimeoutMs = options.commandTimeoutMs ?? 1000;
  if (!Number.isFinite(commandTimeoutMs) || commandTimeoutMs <= 0) {
    throw new ConfigError(`commandTimeoutMs must be a positive number of milliseconds, got ${String(commandTimeoutMs)}`);
  }
  // Glob characters would make a SCAN MATCH over our keys match others; braces would break the hash tag.
  if (/[*?[\]\\{}]/.test(keyPrefix)) {
    throw new ConfigError(`keyPrefix ${JSON.stringify(keyPrefix)} must not contain glob characters or braces (* ? [ ] \\ { })`);
  }

  const bucketPrefix = (bucket: string) => `${keyPrefix}{${bucket}}`;
  const sessionKey = (sessionId: string) => bucketPrefix(bucketOfSessionId(sessionId)) + sessionId.slice(BUCKET_LENGTH);
  const indexKey = (bucket: string) => `${bucketPrefix(bucket)}:i`;
  const fieldOf = (sessionId: string) => sessionId.slice(BUCKET_LENGTH);
  const scripts = createScriptCache();

  const withinDeadline = createDeadlines(commandTimeoutMs);

  /** One round trip under the deadline; every failure becomes a StoreUnavailableError. */
  async function send(commands: readonly RedisCommand[]): Promise<RedisReply[]> {
    let replies: Array<RedisReply | Error>;
    try {
      replies = await withinDeadline(sendWithScripts(commands), () => new StoreUnavailableError("STORE_TIMEOUT", `Redis did not answer ${describe(commands)} within ${commandTimeoutMs} ms`));
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError("STORE_UNAVAILABLE", `Redis is unavailable (${connection.description}): ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
      });
    }
    for (let index = 0; index < replies.length; index++) {
      const reply = replies[index];
      if (reply instanceof Error) {
        throw new StoreUnavailableError("STORE_UNAVAILABLE", `Redis rejected ${describe([commands[index]!])}: ${reply.message}`, { cause: reply });
      }
    }
    return replies as RedisReply[];
  }

  /**
   * Sends scripts by SHA; those Redis does not know yet (first use, or after a restart or
   * `SCRIPT FLUSH`) are sent again in full. Only the commands that failed with NOSCRIPT are
   * resent: they did not run, so nothing runs twice.
   */
  async function sendWithScripts(commands: readonly RedisCommand[]): Promise<Array<RedisReply | Error>> {
    // The hot path (one plain GETEX) skips the script machinery entirely.
    const wire = commands.some((command) => command[0] === "EVAL") ? await Promise.all(commands.map((command) => scripts.toWire(command))) : commands;
    const replies = await connection.send(wire);
    const missing = replies.flatMap((reply, index) => (reply instanceof Error && reply.message.startsWith("NOSCRIPT") ? [index] : []));
    if (missing.length === 0) return replies;
    const retried = await connection.send(missing.map((index) => commands[index]!));
    missing.forEach((index, position) => (replies[index] = retried[position]!));
    return replies;
  }

  const script = (source: string, keys: string[], args: Array<string | number>): RedisCommand => ["EVAL", source, keys.length, ...keys, ...args];

  return {
    description: `redis (${connection.description})`,

    async create(sessionId, record, { ttlMs, indexTtlMs, replacesSessionId, maxSessionsPerUser, nowSeconds }) {
      const bucket = bucketOfSessionId(sessionId);
      const entry = encodeIndexEntry({ userId: record.userId, createdAtSeconds: record.createdAtSeconds, absoluteExpiresAtSeconds: record.absoluteExpiresAtSeconds });
      const createCommand = script(
        CREATE_SCRIPT,
        [indexKey(bucket), sessionKey(sessionId)],
        [fieldOf(sessionId), encodeSessionRecord(record), ttlMs, entry, Math.ceil(indexTtlMs / 1000), nowSeconds, record.userId, maxSessionsPerUser, bucketPrefix(bucket)],
      );
      const commands: RedisCommand[] =
        replacesSessionId === undefined
          ? [createCommand]
          : [["DEL", sessionKey(replacesSessionId)], ["HDEL", indexKey(bucketOfSessionId(replacesSessionId)), fieldOf(replacesSessionId)], createCommand];
      const replies = await send(commands);
      const [evicted, pruned] = (replies.at(-1) as [string[], string[]] | undefined) ?? [[], []];
      const expired: ExpiredSession[] = [];
      for (let i = 0; i + 1 < pruned.length; i += 2) {
        expired.push({ sessionId: bucket + pruned[i]!, userId: decodeIndexEntry(pruned[i + 1]!)?.userId ?? "" });
      }
      return { replaced: replacesSessionId !== undefined && replies[0] === 1, evictedSessionIds: evicted.map((field) => bucket + field), expired };
    },

    async readAndExtend(sessionId, ttlMs) {
      const [reply] = await send([["GETEX", sessionKey(sessionId), "PX", ttlMs]]);
      return typeof reply === "string" ? decodeSessionRecord(reply) : null;
    },

    async touch(sessionId, { createdAtSeconds, lastSeenAtSeconds }) {
      const [reply] = await send([script(TOUCH_SCRIPT, [sessionKey(sessionId)], [encodeLastSeenOffset(createdAtSeconds, lastSeenAtSeconds)])]);
      return reply === 1;
    },

    async patch(sessionId, patch, maxRecordBytes) {
      const args = [maxRecordBytes, patch.clear ? 1 : 0, patch.removeKeys.length, ...patch.removeKeys, ...patch.members];
      const [reply] = await send([script(PATCH_SCRIPT, [sessionKey(sessionId)], args)]);
      if (reply === -1) return { status: "too_large" };
      const record = typeof reply === "string" ? decodeSessionRecord(reply) : null;
      return record === null ? { status: "missing" } : { status: "updated", record };
    },

    async destroy(sessionId) {
      // Not a script: two plain commands cost less, and GETDEL first means the session is gone
      // even if the HDEL were lost (a stale index entry is pruned later; nothing comes back).
      // GETDEL rather than DEL says whose session it was, for the "revoked" event.
      const [value] = await send([["GETDEL", sessionKey(sessionId)], ["HDEL", indexKey(bucketOfSessionId(sessionId)), fieldOf(sessionId)]]);
      return typeof value === "string" ? decodeSessionRecord(value) : null;
    },

    async listForUser({ userId, bucket }, nowSeconds) {
      const [reply] = await send([script(LIST_SCRIPT, [indexKey(bucket)], [userId, nowSeconds, bucketPrefix(bucket)])]);
      const [rows, pruned] = (reply as [Array<[string, string, number]>, string[]] | null) ?? [[], []];
      const sessions: StoredSessionSummary[] = [];
      for (const [field, head, pttl] of rows) {
        const record = decodeSessionRecord(head);
        if (record) sessions.push({ sessionId: bucket + field, record, expiresInMs: Math.max(0, pttl) });
      }
      return { sessions, expired: pruned.map((field) => ({ sessionId: bucket + field, userId })) };
    },

    async destroyForUser({ userId, bucket }, { onlySessionId, exceptSessionId }) {
      // A handle from another bucket cannot be this user's: nothing to look up.
      if (onlySessionId !== undefined && bucketOfSessionId(onlySessionId) !== bucket) return [];
      const only = onlySessionId === undefined ? "" : fieldOf(onlySessionId);
      const except = exceptSessionId === undefined || bucketOfSessionId(exceptSessionId) !== bucket ? "" : fieldOf(exceptSessionId);
      const [reply] = await send([script(DESTROY_FOR_USER_SCRIPT, [indexKey(bucket)], [userId, bucketPrefix(bucket), only, except])]);
      return ((reply as string[] | null) ?? []).map((field) => bucket + field);
    },

    close: () => connection.close(),
  };
}

/**
 * Deadlines for in-flight calls, checked by one shared timer instead of a timer per call (a
 * `setTimeout` + `Promise.race` per request showed in read throughput). A call past its deadline
 * is rejected within `timeoutMs` plus one tick (a tenth of it, 10–100 ms); the timer runs only
 * while calls are in flight and never keeps a process alive.
 */
function createDeadlines(timeoutMs: number) {
  interface Pending {
    deadline: number;
    expire: () => void;
  }
  const pending = new Set<Pending>();
  const tickMs = Math.max(10, Math.min(100, Math.floor(timeoutMs / 10)));
  let timer: ReturnType<typeof setInterval> | undefined;
  const sweep = () => {
    const now = Date.now();
    for (const entry of pending) {
      if (entry.deadline <= now) {
        pending.delete(entry);
        entry.expire();
      }
    }
    if (pending.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  return function within<T>(work: Promise<T>, timeoutError: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { deadline: Date.now() + timeoutMs, expire: () => reject(timeoutError()) };
      pending.add(entry);
      if (timer === undefined) {
        timer = setInterval(sweep, tickMs);
        (timer as { unref?: () => void }).unref?.();
      }
      work.then(
        (value) => {
          pending.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          pending.delete(entry);
          reject(error);
        },
      );
    });
  };
}

/** "EVALSHA" and "GETEX" read better in errors than a script's source. */
function describe(commands: readonly RedisCommand[]): string {
  return commands.map((command) => (command[0] === "EVAL" ? "a script" : command[0])).join("+");
}

/**
 * Script sources ↔ SHA-1. The store builds scripts as `EVAL <source>`. The first use of each
 * script goes out as that `EVAL`, which also loads it into Redis; later uses as `EVALSHA <sha>`
 * (SHA-1 from Web Crypto, so the store stays runtime-free). If Redis forgot it (a restart,
 * `SCRIPT FLUSH`), the NOSCRIPT retry in `sendWithScripts` sends the `EVAL` again.
 */
function createScriptCache() {
  const shas = new Map<string, Promise<string>>();
  const sent = new Set<string>();
  const sha1 = (source: string) => {
    let sha = shas.get(source);
    if (sha === undefined) {
      sha = globalThis.crypto.subtle.digest("SHA-1", new TextEncoder().encode(source)).then((digest) =>
        [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join(""),
      );
      shas.set(source, sha);
    }
    return sha;
  };
  return {
    async toWire(command: RedisCommand): Promise<RedisCommand> {
      if (command[0] !== "EVAL") return command;
      const [, source, ...rest] = command;
      if (!sent.has(String(source))) {
        sent.add(String(source));
        return command;
      }
      return ["EVALSHA", await sha1(String(source)), ...rest];
    },
  };
}
