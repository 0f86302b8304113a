import { ConfigError, StoreUnavailableError } from "../../core/errors.js";
import type { RedisCommand, RedisConnection, RedisReply } from "./connection.js";
import { createDeadlines } from "./deadlines.js";

/**
 * Sessions of Upstash's tutorial "Manage Sessions in Python with Serverless Redis", read so that
 * an app moving off it can sign its users in again without asking them to: the tutorial's
 * `/login/` runs `HSET session:<uuid4> user <name> status active` then `EXPIRE … 900`, and puts
 * the bare UUID in the `session_id` cookie.
 */

/** Errors for a command Redis answered with an error reply: it did not run (unlike a timeout). */
const REFUSED = new WeakSet<Error>();

/** The tutorial's key prefix (`f"session:{session_id}"`). */
export const LEGACY_SEED_KEY_PREFIX = "session:";

/**
 * Python's `str(uuid.uuid4())`: 36 characters, lower-case hex in 8-4-4-4-12 groups. Only the
 * lower-case form: Redis keys are case-sensitive and the tutorial never wrote another, so any
 * other spelling cannot name a tutorial session and is not worth a round trip.
 */
const LEGACY_SEED_SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether a cookie value is shaped like a tutorial session id, so a lookup could find it. */
export function isLegacySeedSessionId(value: string): boolean {
  return LEGACY_SEED_SESSION_ID.test(value);
}

/** A tutorial session as it was stored. */
export interface LegacySeedSession {
  /** The hash's `user` field: the name the tutorial's user logged in with. */
  userId: string;
  /** The hash's `status` field (`"active"` in every session the tutorial wrote), if any. */
  status: string | undefined;
}

/** Options of {@link legacySeedSessions}. */
export interface LegacySeedSessionsOptions {
  /** A connection to the tutorial's Redis: `ioredisConnection`, `nodeRedisConnection` or `upstashConnection`. */
  connection: RedisConnection;
  /** Prefix of the tutorial's keys. @default "session:" */
  keyPrefix?: string;
  /** Deadline of each round trip, in milliseconds; past it the call rejects with `STORE_TIMEOUT`. @default 1000 */
  commandTimeoutMs?: number;
}

/** What {@link LegacySeedSessions.convert} needs from the app: how to make, and unmake, the new session. */
export interface LegacySeedConversion<T> {
  /** Creates the replacement session for the tutorial's user (e.g. `sessions.login(…)`); its token must not be sent yet. */
  create(legacy: LegacySeedSession): Promise<T>;
  /** Ends a replacement session that lost the race (another request converted the same cookie first). */
  discard(created: T): Promise<void>;
}

/** Reading and retiring the tutorial's sessions; see {@link legacySeedSessions}. */
export interface LegacySeedSessions {
  /**
   * Converts the tutorial session `cookieValue` names into a new session, once. Resolves with what
   * `create` returned when this call converted it; `null` when the value is not shaped like a
   * tutorial session id (no round trip at all), when no such session exists, and when another
   * call converted it first. Rejects with `StoreUnavailableError` when reading the tutorial
   * session fails, when Redis refuses the final `DEL`, or with `create`'s error; the tutorial
   * session is then left in place. When the `DEL`'s outcome is unknown (deadline, lost
   * connection), it resolves with the new session all the same (see {@link legacySeedSessions}):
   * either way a failure never signs anyone out.
   */
  convert<T>(cookieValue: string, conversion: LegacySeedConversion<T>): Promise<T | null>;
  /** Deletes the tutorial session `cookieValue` names (a logout). Whether one existed; no round trip for a value of the wrong shape. */
  remove(cookieValue: string): Promise<boolean>;
}

/**
 * Reads the tutorial's sessions (see the module comment) so each can be converted into a tessera
 * session on first use.
 *
 * A conversion costs three round trips, once per user: `HGETALL` (a miss ends here), then
 * `create` (your new session), then `DEL`. The `DEL` decides the race: Redis runs commands one at
 * a time, so among concurrent requests carrying the same cookie exactly one sees `DEL` reply 1,
 * and the others `discard` what they created. Creating before deleting is what keeps a failure
 * harmless: if the new session cannot be stored, the tutorial one has not been touched yet. A
 * `DEL` whose outcome is unknown (its deadline passed, its reply lost) may have deleted the
 * tutorial session, so its caller keeps and hands out the new session rather than discard it;
 * should the `DEL` not have run, a racing request may then convert the same cookie too (two
 * sessions of that user, one of them never used).
 *
 * @example
 * ```ts
 * const legacy = legacySeedSessions({ connection: ioredisConnection(redis) });
 * const converted = await legacy.convert(cookieValue, {
 *   create: ({ userId }) => sessions.login(request, { userId }),
 *   discard: ({ session }) => sessions.revokeSession(session, session.id).then(() => undefined),
 * });
 * if (converted) response.headers.append("Set-Cookie", converted.setCookie);
 * ```
 */
export function legacySeedSessions(options: LegacySeedSessionsOptions): LegacySeedSessions {
  const { connection } = options;
  if (!connection || typeof connection.send !== "function") {
    throw new ConfigError(
      "options.connection is required: wrap the client of the tutorial's Redis with ioredisConnection(client), nodeRedisConnection(client) or upstashConnection(client)",
    );
  }
  const keyPrefix = options.keyPrefix ?? LEGACY_SEED_KEY_PREFIX;
  const commandTimeoutMs = options.commandTimeoutMs ?? 1000;
  if (!Number.isFinite(commandTimeoutMs) || commandTimeoutMs <= 0) {
    throw new ConfigError(`commandTimeoutMs must be a positive number of milliseconds, got ${String(commandTimeoutMs)}`);
  }
  const within = createDeadlines(commandTimeoutMs);

  async function send(command: RedisCommand): Promise<RedisReply> {
    let replies: Array<RedisReply | Error>;
    try {
      replies = await within(
        connection.send([command]),
        () => new StoreUnavailableError("STORE_TIMEOUT", `the tutorial's Redis did not answer ${command[0]} within ${commandTimeoutMs} ms`),
      );
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError("STORE_UNAVAILABLE", `the tutorial's Redis is unreachable (${connection.description})`, { cause: error });
    }
    const reply = replies[0];
    if (reply instanceof Error) {
      // WRONGTYPE: a key of that name that is not a hash is not a tutorial session.
      if (/^WRONGTYPE/.test(reply.message)) return null;
      const refused = new StoreUnavailableError("STORE_UNAVAILABLE", `the tutorial's Redis refused ${command[0]}: ${reply.message}`, { cause: reply });
      REFUSED.add(refused);
      throw refused;
    }
    return reply ?? null;
  }

  async function read(key: string): Promise<LegacySeedSession | null> {
    const reply = await send(["HGETALL", key]);
    const fields = new Map<string, string>();
    // RESP2 clients return [field, value, …]; RESP3 ones and Upstash may return an object.
    if (Array.isArray(reply)) {
      for (let index = 0; index + 1 < reply.length; index += 2) fields.set(String(reply[index]), String(reply[index + 1]));
    } else if (reply !== null && typeof reply === "object") {
      for (const [field, value] of Object.entries(reply as Record<string, unknown>)) fields.set(field, String(value));
    }
    const userId = fields.get("user");
    if (userId === undefined || userId === "") return null;
    return { userId, status: fields.get("status") };
  }

  return {
    async convert(cookieValue, conversion) {
      if (!isLegacySeedSessionId(cookieValue)) return null;
      const key = keyPrefix + cookieValue;
      const legacy = await read(key);
      if (legacy === null) return null;
      const created = await conversion.create(legacy);
      let claimed: boolean;
      try {
        claimed = (await send(["DEL", key])) === 1;
      } catch (error) {
        // Refused by Redis (NOPERM, READONLY…): the DEL did not run and the tutorial session is
        // intact, so the new one goes, and the failure is the caller's to report.
        if (REFUSED.has(error as Error)) {
          await conversion.discard(created).catch(() => undefined);
          throw error;
        }
        // Otherwise whether the DEL ran is unknown: past the deadline, or with the connection
        // lost after the write, it may well have deleted the tutorial session. Discarding the new
        // one would then sign the user out, so it is handed out instead. If the DEL did not run,
        // the tutorial session stays until its own TTL, and a request still carrying its cookie
        // may convert it again: a second session of the same user, never anyone else's.
        return created;
      }
      if (!claimed) {
        await conversion.discard(created).catch(() => undefined);
        return null;
      }
      return created;
    },

    async remove(cookieValue) {
      if (!isLegacySeedSessionId(cookieValue)) return false;
      return (await send(["DEL", keyPrefix + cookieValue])) === 1;
    },
  };
}
