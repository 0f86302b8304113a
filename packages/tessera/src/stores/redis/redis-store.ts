import { ConfigError, StoreUnavailableError } from "../../core/errors.js";
import { decodeSessionRecord, encodeLastSeenOffset, encodeSessionRecord, type SessionRecord } from "../../core/record.js";
import {
  bucketOfSessionId,
  type CreateSessionResult,
  type ExpiredSession,
  READ_AND_EXTEND_THEN,
  type SessionStore,
  type StoredSessionSummary,
} from "../../core/store.js";
import { isWellFormedSessionHandle } from "../../core/token.js";
import { assertStorableUserId } from "../../core/user-id.js";
import {
  isCommandTimeout,
  isReplyError,
  type RedisCommand,
  type RedisConnection,
  type RedisReply,
  type SendOneOptions,
  type SendOptions,
} from "./connection.js";
import { createDeadlines } from "./deadlines.js";
import { checkedKeyPrefix } from "./scan-keys.js";
import { createScriptCache, sendWithScripts } from "./script-cache.js";
import { CREATE_SCRIPT, DESTROY_FOR_USER_SCRIPT, DESTROY_SCRIPT, LIST_SCRIPT, RESTORE_SCRIPT } from "./index-scripts.js";
import { digestOf, keyLayout } from "./layout.js";
import { PATCH_SCRIPT, TOUCH_SCRIPT } from "./scripts.js";

const NOTHING: readonly string[] = [];
const rethrow = (error: StoreUnavailableError): never => {
  throw error;
};
const identity = <T>(value: T): T => value;

/**
 * How long after a rotation a late reply may still undo it (see `undoLateCreate`): the life of its
 * undo marker in Redis. A reply later than this leaves the rotation done, and the failed login's
 * user logged out, rather than bring back a session that long gone.
 */
const UNDO_WINDOW_MS = 60_000;

/** A login's lifetimes, which a session written back after a late reply gets too (see `undoLateCreate`). */
interface Lifetimes {
  ttlMs: number;
  indexTtlMs: number;
}

/** A session read's result from its `GETEX` reply: the record, or `null` for no such key. */
const decodeGetexReply = (reply: RedisReply) => (typeof reply === "string" ? decodeSessionRecord(reply) : null);
/** The same from `send`'s list of one reply (a connection without `sendOne`). */
const decodeFirstGetexReply = ([reply]: RedisReply[]) => decodeGetexReply(reply!);

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
  /**
   * Whether a script may touch keys of two hash slots. Only one operation needs it: a login that
   * replaces a session of another bucket (someone logging in over another user's cookie). With
   * `true` that login is one atomic script; with `false` (Redis Cluster, or a proxy that refuses
   * cross-slot scripts) it runs as two single-slot round trips — create the new session, then
   * delete the old one — so a refused create still leaves the old session valid. @default true
   */
  crossSlotScripts?: boolean;
  /**
   * Users of the bucket whose sessions each login checks besides its own user's, and how many of
   * each one's sessions. Nothing else ever removes the index field of a user who never comes back
   * (Redis 7.0 has no per-field TTL), so each login clears a few of them: with 2, at most about
   * half the fields of a bucket belong to such users even if every user logs in once and never
   * again. The work is bounded: `HLEN`, one `HRANDFIELD … -users WITHVALUES` (an index of more than
   * 512 users: one `HSCAN` page from a random cursor), then up to `sessionsPerUser` `EXISTS` per
   * user sampled. @default { users: 2, sessionsPerUser: 8 }
   */
  cleanupPerLogin?: { users: number; sessionsPerUser: number };
}

/**
 * A session store on Redis (any client behind a {@link RedisConnection}).
 *
 * Layout v3 (see ARCHITECTURE.md and `layout.ts`): per session a string
 * `<prefix>{<bucket>}<digest>` with the encoded record and an idle TTL; per bucket (a 12-bit hash
 * of the user id shared by the user's sessions) a hash `<prefix>{<bucket>}:u` with one field per
 * user holding that user's session digests. The braces make the session keys and their index one
 * Cluster hash slot. Every operation costs O(that user's sessions), whatever the total; indexes of
 * layout v2 are adopted on first use (or ahead of time by `migrateLayout`).
 *
 * Commands, each operation one round trip:
 * - read-and-slide: `GETEX key PX ttl` (1 command — the hot path);
 * - login: the create script (`SET` first, then the replaced session's delete, the user's own
 *   sessions checked, eviction, a bounded clean-up), one script even when it replaces a session
 *   (see `CREATE_SCRIPT` for why the `SET` comes first);
 * - logout, touch, patch, list, revoke: one script each.
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
    throw new ConfigError(
      "options.connection is required: wrap your client with ioredisConnection(client), nodeRedisConnection(client) or upstashConnection(client)",
    );
  }
  // Glob characters would make a SCAN MATCH over our keys match others; braces would break the hash tag.
  const keyPrefix = checkedKeyPrefix(options.keyPrefix);
  const crossSlotScripts = options.crossSlotScripts ?? true;
  const commandTimeoutMs = options.commandTimeoutMs ?? 1000;
  if (!Number.isFinite(commandTimeoutMs) || commandTimeoutMs <= 0) {
    throw new ConfigError(`commandTimeoutMs must be a positive number of milliseconds, got ${String(commandTimeoutMs)}`);
  }

  const cleanup = options.cleanupPerLogin ?? { users: 2, sessionsPerUser: 8 };
  for (const [name, value] of Object.entries(cleanup)) {
    if (!Number.isSafeInteger(value) || value < 0 || value > 100)
      throw new ConfigError(`cleanupPerLogin.${name} must be a whole number from 0 to 100, got ${String(value)}`);
  }
  const { bucketPrefix, sessionKey, userIndexKey, legacyIndexKey, undoMarkerKey } = keyLayout(keyPrefix);
  const scripts = createScriptCache();

  const withinDeadline = createDeadlines(commandTimeoutMs);

  /**
   * One round trip under the deadline; every failure becomes a StoreUnavailableError. `then`, if
   * given, turns the replies into the call's result in the same step. Not async, and one promise
   * reaction from the driver's answer to the result: an authenticated read is one `GETEX` through
   * here, and each layer is a promise and a microtask more.
   */
  function send(commands: readonly RedisCommand[], options?: SendOptions): Promise<RedisReply[]>;
  function send<R>(
    commands: readonly RedisCommand[],
    options: SendOptions | undefined,
    then: (replies: RedisReply[]) => R,
    onLate?: (replies: Array<RedisReply | Error>) => void,
  ): Promise<R>;
  function send<R>(
    commands: readonly RedisCommand[],
    options?: SendOptions,
    then?: (replies: RedisReply[]) => R,
    onLate?: (replies: Array<RedisReply | Error>) => void,
  ): Promise<R | RedisReply[]> {
    let work: Promise<Array<RedisReply | Error>>;
    try {
      work = sendWithScripts(connection, scripts, commands, options);
    } catch (error) {
      // A driver that throws instead of rejecting.
      work = Promise.reject(error);
    }
    return withinDeadline(
      work,
      () => timedOut(commands),
      (replies) => {
        for (let index = 0; index < replies.length; index++) {
          const reply = replies[index];
          if (reply instanceof Error) throw rejectedBy(commands[index]!, reply);
        }
        return then === undefined ? (replies as RedisReply[]) : then(replies as RedisReply[]);
      },
      (error: unknown) => {
        // The store's own deadline rejects with `timedOut` above; this one is the client's own (ioredis's `commandTimeout`).
        throw isCommandTimeout(error)
          ? new StoreUnavailableError("STORE_TIMEOUT", `Redis did not answer ${describe(commands)} within the client's own commandTimeout`, { cause: error })
          : unavailableError(error);
      },
      onLate,
    );
  }

  /**
   * `send([command], options, then)` through the connection's `sendOne`, which the caller checked
   * it has: the reply without a list around it, and the deadline armed by the driver, so one
   * promise reaction from the driver's answer to the result and no promise of the store's own.
   * A failure goes to `onError` as the store's error (thrown, by default). Only the `GETEX` of
   * every authenticated read comes through here.
   */
  function sendOne<R>(
    sendOneOf: NonNullable<RedisConnection["sendOne"]>,
    command: RedisCommand,
    options: SendOneOptions,
    then: (reply: RedisReply) => R | PromiseLike<R>,
    onError: (error: StoreUnavailableError) => R | PromiseLike<R> = rethrow,
  ): Promise<R> {
    let work: Promise<RedisReply>;
    try {
      work = sendOneOf.call(connection, command, options);
    } catch (error) {
      work = Promise.reject(error);
    }
    return work.then(then, (error: unknown) => onError(sendOneError(command, error)));
  }

  /** What a `sendOne` of `command` that rejected with `error` failed with, as a `StoreUnavailableError`. */
  function sendOneError(command: RedisCommand, error: unknown): StoreUnavailableError {
    // An error reply rejects here (see `RedisConnection.sendOne`); it is the command's, not the connection's.
    if (isReplyError(error)) return rejectedBy(command, error);
    return isCommandTimeout(error) ? timedOut([command]) : unavailableError(error);
  }
  /** The hot read's options: its `GETEX` may share a socket write (see `SendOptions.coalesce`). */
  const readOptions: SendOneOptions = { coalesce: true, timeoutMs: commandTimeoutMs };

  const timedOut = (commands: readonly RedisCommand[]) =>
    new StoreUnavailableError("STORE_TIMEOUT", `Redis did not answer ${describe(commands)} within ${commandTimeoutMs} ms`);

  function rejectedBy(command: RedisCommand, reply: Error): StoreUnavailableError {
    // OOM: `maxmemory` reached under `noeviction`. Nothing was written (see CREATE_SCRIPT).
    const code = reply.message.startsWith("OOM") ? "STORE_FULL" : "STORE_UNAVAILABLE";
    return new StoreUnavailableError(code, `Redis rejected ${describe([command])}: ${reply.message}`, { cause: reply });
  }

  function unavailableError(error: unknown): StoreUnavailableError {
    if (error instanceof StoreUnavailableError) return error;
    return new StoreUnavailableError("STORE_UNAVAILABLE", `Redis is unavailable (${connection.description}): ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    });
  }

  const script = (source: string, keys: string[], args: Array<string | number>): RedisCommand => ["EVAL", source, keys.length, ...keys, ...args];

  /**
   * The second step of a rotation across slots without cross-slot scripts: the new session
   * exists (step one), now the old one goes. Creating first means a refused create (full,
   * unreachable) leaves the old session valid. If this delete fails, the new session is deleted
   * again and the error is thrown: the login fails as a whole and the old session stays valid.
   *
   * The edge that remains: between the two round trips both sessions exist — but the new token
   * has not been handed out yet (the login has not returned), so only a listing can see both. If
   * the delete *and* the compensation fail (Redis lost between round trips), the new session is
   * left behind unused until its idle TTL ends, listed as a device and counted against
   * `maxSessionsPerUser`; and sessions the create evicted for that limit stay evicted.
   */
  async function deleteReplacedAfterCreate(replacesSessionId: string, createdSessionId: string, lifetimes: Lifetimes): Promise<boolean> {
    try {
      const [deleted] = await send([destroyCommand(replacesSessionId, createdSessionId)], undefined, identity, ([value]) => {
        // The delete ran after all, past its deadline: the login failed (the new session is removed
        // below), so the old session comes back, unless someone ended it meanwhile.
        if (typeof value === "string") send([restoreCommand(replacesSessionId, value, createdSessionId, lifetimes, false)]).catch(() => undefined);
      });
      return typeof deleted === "string";
    } catch (error) {
      await send([destroyCommand(createdSessionId)]).catch(() => undefined);
      throw error;
    }
  }

  /** The delete of a session (a logout), or with `rotatedTo`, step 2 of a rotation across slots, which leaves an undo marker. */
  const destroyCommand = (sessionId: string, rotatedTo?: string): RedisCommand =>
    script(
      DESTROY_SCRIPT,
      [sessionKey(sessionId), userIndexKey(bucketOfSessionId(sessionId)), undoMarkerKey(sessionId)],
      rotatedTo === undefined ? [digestOf(sessionId)] : [digestOf(sessionId), digestOf(rotatedTo), UNDO_WINDOW_MS],
    );

  /**
   * The write-back of `replaced` (its value as the rotation deleted it) for the failed login that
   * created `created`; `withCreated` deletes the new session in the same script, and restores
   * nothing if it was gone (see `RESTORE_SCRIPT`).
   */
  const restoreCommand = (replaced: string, value: string, created: string, { ttlMs, indexTtlMs }: Lifetimes, withCreated: boolean): RedisCommand => {
    const keys = [sessionKey(replaced), userIndexKey(bucketOfSessionId(replaced)), undoMarkerKey(replaced)];
    if (withCreated) keys.push(sessionKey(created), userIndexKey(bucketOfSessionId(created)));
    return script(RESTORE_SCRIPT, keys, [digestOf(replaced), value, ttlMs, Math.ceil(indexTtlMs), digestOf(created)]);
  };

  /**
   * A login whose create script answered past its deadline: the caller was told it failed (a 503,
   * no cookie), yet the script ran. Undone here, so that the outcome is the one reported: the new
   * session (whose token nobody received) is removed, and a session it replaced is written back —
   * else the user's cookie, which the failed login left in place, would name a deleted session and
   * a slow Redis would have logged them out.
   *
   * The old session comes back only if nobody ended it in the meantime: a logout or another login
   * over the same cookie deletes the rotation's undo marker, and "sign out everywhere" deletes the
   * new session, checked in the same script (see `RESTORE_SCRIPT`). That last check covers a user
   * logging in again over their own session (one bucket, the common case). Over another user's
   * session (two buckets), that user's own "sign out everywhere" in the window is not seen, since
   * the rotation already took the old session out of their list. Best effort: if Redis fails again,
   * the new session ends with its idle TTL and the old one stays lost; a reply later than
   * `UNDO_WINDOW_MS` undoes nothing; sessions the login evicted for `maxSessionsPerUser` stay evicted.
   */
  function undoLateCreate(createdSessionId: string, reply: RedisReply | Error, replacesSessionId: string | undefined, lifetimes: Lifetimes): void {
    const replacedValue = Array.isArray(reply) ? reply[3] : undefined;
    if (replacesSessionId === undefined || typeof replacedValue !== "string") {
      // A script that failed past its first write may have left the new session too.
      if (!(reply instanceof Error) || !reply.message.startsWith("OOM")) send([destroyCommand(createdSessionId)]).catch(() => undefined);
      return;
    }
    if (crossSlotScripts || bucketOfSessionId(replacesSessionId) === bucketOfSessionId(createdSessionId)) {
      send([restoreCommand(replacesSessionId, replacedValue, createdSessionId, lifetimes, true)]).catch(() => undefined);
      return;
    }
    send([destroyCommand(createdSessionId)])
      .then(([created]) => {
        // Gone already: revoked meanwhile, so the old session stays ended too.
        return typeof created === "string" ? send([restoreCommand(replacesSessionId, replacedValue, createdSessionId, lifetimes, false)]) : undefined;
      })
      .catch(() => undefined);
  }

  // A manager reads with one idle timeout: its text is made once, not per read.
  let lastTtlMs = Number.NaN;
  let lastTtlText = "";
  const ttlText = (ttlMs: number): string => (ttlMs === lastTtlMs ? lastTtlText : (lastTtlText = String((lastTtlMs = ttlMs))));

  function readAndExtend(sessionId: string, ttlMs: number): Promise<SessionRecord | null> {
    // One key, O(1) in Redis: cheap enough to share a socket write with the turn's other reads.
    const command: RedisCommand = ["GETEX", sessionKey(sessionId), "PX", ttlText(ttlMs)];
    const sendOneOf = connection.sendOne;
    return sendOneOf === undefined ? send([command], readOptions, decodeFirstGetexReply) : sendOne(sendOneOf, command, readOptions, decodeGetexReply);
  }

  /** {@link readAndExtend} with the manager's reaction in its own (see `READ_AND_EXTEND_THEN`); only over `sendOne`. */
  function readAndExtendThen<R>(
    bucket: string,
    digest: string,
    ttlMs: number,
    onRecord: (record: SessionRecord | null) => R | PromiseLike<R>,
    onError: (error: unknown) => R | PromiseLike<R>,
  ): Promise<R> {
    // `sessionKey(bucket + digest)`, from the parts.
    const command: RedisCommand = ["GETEX", bucketPrefix(bucket) + digest, "PX", ttlText(ttlMs)];
    return sendOne(connection.sendOne!, command, readOptions, (reply) => onRecord(decodeGetexReply(reply)), onError);
  }

  return {
    ...(connection.sendOne === undefined ? {} : { [READ_AND_EXTEND_THEN]: Object.assign(readAndExtendThen, { readAndExtend }) }),
    description: `redis (${connection.description})`,

    // Not async, and the reply decoded in the send's own step: a login's only store call.
    create(sessionId, record, { ttlMs, indexTtlMs, replacesSessionId, maxSessionsPerUser, nowSeconds, encodedRecord }) {
      try {
        assertStorableUserId(record.userId);
        // The index packs fixed-width digests: an id of another shape would corrupt the user's list.
        if (!isWellFormedSessionHandle(sessionId))
          throw new TypeError(`create needs a session id from deriveSessionId (26 base64url characters), got ${sessionId.length} characters`);
        const bucket = bucketOfSessionId(sessionId);
        const index = userIndexKey(bucket);
        const createCommand = (replaces: string | undefined) =>
          script(
            CREATE_SCRIPT,
            replaces === undefined
              ? [index, sessionKey(sessionId), legacyIndexKey(bucket)]
              : [
                  index,
                  sessionKey(sessionId),
                  legacyIndexKey(bucket),
                  sessionKey(replaces),
                  userIndexKey(bucketOfSessionId(replaces)),
                  undoMarkerKey(replaces),
                ],
            [
              digestOf(sessionId),
              encodedRecord ?? encodeSessionRecord(record),
              ttlMs,
              Math.ceil(indexTtlMs),
              nowSeconds,
              record.userId,
              maxSessionsPerUser,
              bucketPrefix(bucket),
              replaces === undefined ? "" : digestOf(replaces),
              cleanup.users,
              cleanup.sessionsPerUser,
              // Where the sampling of a large index starts: any number is a valid HSCAN cursor (Redis
              // masks it to the table's size), and a script cannot draw its own (its seed is fixed).
              Math.floor(Math.random() * 2 ** 32),
              UNDO_WINDOW_MS,
            ],
          );
        const inOneScript = replacesSessionId === undefined || crossSlotScripts || bucketOfSessionId(replacesSessionId) === bucket;
        const replacedHere = inOneScript ? replacesSessionId : undefined;
        const lifetimes = { ttlMs, indexTtlMs };
        const created = send(
          [createCommand(replacedHere)],
          undefined,
          ([reply]): CreateSessionResult => {
            // A login that evicted, expired and replaced nothing answers with a bare 0.
            // Integers as numbers, or as strings (ioredis's `stringNumbers`).
            const [evicted, pruned, replacedCount] = Array.isArray(reply) ? (reply as [string[], string[], number | string]) : [NOTHING, NOTHING, reply];
            const expired: ExpiredSession[] = [];
            for (let i = 0; i + 1 < pruned.length; i += 2) expired.push({ sessionId: bucket + pruned[i]!, userId: pruned[i + 1]! });
            return { replaced: Number(replacedCount) === 1, evictedSessionIds: evicted.map((field) => bucket + field), expired };
          },
          ([reply]) => undoLateCreate(sessionId, reply!, replacedHere, lifetimes),
        );
        if (inOneScript) return created;
        return created.then(async (result) => ({ ...result, replaced: await deleteReplacedAfterCreate(replacesSessionId!, sessionId, lifetimes) }));
      } catch (error) {
        // Invalid arguments reject, as they did when this was an async function.
        return Promise.reject(error);
      }
    },

    readAndExtend,

    async touch(sessionId, { createdAtSeconds, lastSeenAtSeconds }) {
      const [reply] = await send([script(TOUCH_SCRIPT, [sessionKey(sessionId)], [encodeLastSeenOffset(createdAtSeconds, lastSeenAtSeconds)])]);
      return Number(reply) === 1;
    },

    async patch(sessionId, patch, maxRecordBytes) {
      const args = [maxRecordBytes, patch.clear ? 1 : 0, patch.removeKeys.length, ...patch.removeKeys, ...patch.members];
      const [reply] = await send([script(PATCH_SCRIPT, [sessionKey(sessionId)], args)]);
      // -1, or "-1" from a client that returns integers as strings (a session value never is).
      if (reply === -1 || reply === "-1") return { status: "too_large" };
      const record = typeof reply === "string" ? decodeSessionRecord(reply) : null;
      return record === null ? { status: "missing" } : { status: "updated", record };
    },

    async destroy(sessionId) {
      // A script: the index is keyed by user, and only the deleted value says which user it was.
      const [value] = await send([destroyCommand(sessionId)]);
      return typeof value === "string" ? decodeSessionRecord(value) : null;
    },

    async listForUser({ userId, bucket }, nowSeconds) {
      assertStorableUserId(userId);
      const [reply] = await send([script(LIST_SCRIPT, [userIndexKey(bucket), legacyIndexKey(bucket)], [userId, nowSeconds, bucketPrefix(bucket)])]);
      const [rows, pruned] = (reply as [Array<[string, string, number]>, string[]] | null) ?? [[], []];
      const sessions: StoredSessionSummary[] = [];
      for (const [digest, head, pttl] of rows) {
        const record = decodeSessionRecord(head);
        // The field is the owner; the value's own user id is checked too, so a corrupt index can never show one user another's session.
        if (record?.userId === userId) sessions.push({ sessionId: bucket + digest, record, expiresInMs: Math.max(0, pttl) });
      }
      return { sessions, expired: pruned.map((field) => ({ sessionId: bucket + field, userId })) };
    },

    async destroyForUser({ userId, bucket }, { onlySessionId, exceptSessionId }) {
      assertStorableUserId(userId);
      let mode: ["only" | "except" | "all", string] = ["all", ""];
      if (onlySessionId !== undefined) {
        // Not a session id (a bare bucket, a token), or from another bucket: it cannot be one of
        // this user's sessions, so there is nothing to look up — and nothing may widen the match.
        if (!isWellFormedSessionHandle(onlySessionId) || bucketOfSessionId(onlySessionId) !== bucket) return [];
        mode = ["only", digestOf(onlySessionId)];
      } else if (exceptSessionId !== undefined && isWellFormedSessionHandle(exceptSessionId) && bucketOfSessionId(exceptSessionId) === bucket) {
        mode = ["except", digestOf(exceptSessionId)];
      }
      const keys = [userIndexKey(bucket), legacyIndexKey(bucket)];
      if (onlySessionId !== undefined) keys.push(undoMarkerKey(onlySessionId));
      const [reply] = await send([script(DESTROY_FOR_USER_SCRIPT, keys, [userId, bucketPrefix(bucket), ...mode])]);
      return ((reply as string[] | null) ?? []).map((field) => bucket + field);
    },

    close: () => connection.close(),
  };
}

/** "EVALSHA" and "GETEX" read better in errors than a script's source. */
function describe(commands: readonly RedisCommand[]): string {
  return commands.map((command) => (command[0] === "EVAL" ? "a script" : command[0])).join("+");
}
