import { ConfigError, StoreUnavailableError } from "../../core/errors.js";
import type { RedisCommand, RedisConnection, RedisReply } from "./connection.js";
import { createDeadlines } from "./deadlines.js";

/**
 * Converting another session system's sessions, stored in Redis, into tessera sessions, each
 * once, on first use: what `legacySeedSessions` (the tutorial's app) and `expressSessionImport`
 * (express-session with connect-redis) share.
 *
 * A conversion is three round trips, once per user: read the foreign session (a miss ends here),
 * `create` the new one, then `DEL` the foreign key. The `DEL` decides a race: Redis runs commands
 * one at a time, so among concurrent requests carrying the same cookie exactly one sees `DEL`
 * reply 1, and the others `discard` what they created. Creating before deleting keeps a failure
 * harmless: if the new session cannot be stored, the foreign one has not been touched yet. A `DEL`
 * whose outcome is unknown (its deadline passed, its reply lost) may have deleted the foreign
 * session, so its caller keeps and hands out the new session rather than discard it; should the
 * `DEL` not have run, a racing request may then convert the same cookie too (two sessions of that
 * user, one of them never used).
 */

/** What a conversion needs from the app: how to make, and unmake, the new session. */
export interface SessionConversion<Source, T> {
  /** Creates the replacement session (e.g. `sessions.login(…)`); its token must not be sent yet. */
  create(source: Source): Promise<T>;
  /** Ends a replacement session that lost the race (another request converted the same cookie first). */
  discard(created: T): Promise<void>;
}

/** Options every importer takes. */
export interface SessionImportOptions {
  /** A connection to the Redis that holds the foreign sessions: `ioredisConnection`, `nodeRedisConnection` or `upstashConnection`. */
  connection: RedisConnection;
  /** Deadline of each round trip, in milliseconds; past it the call rejects with `STORE_TIMEOUT`. @default 1000 */
  commandTimeoutMs?: number;
}

/** The round trips of an importer; see the module comment. */
export interface SessionImportRoundTrips {
  /**
   * One command under the deadline. A `WRONGTYPE` answer reads as `null` (a key of that name of
   * another type is no foreign session); any other error reply rejects with `StoreUnavailableError`.
   */
  send(command: RedisCommand): Promise<RedisReply>;
  /** Creates the new session for `source`, then lets the `DEL` of `key` decide whether this call converted it. */
  convertOnce<Source, T>(key: string, source: Source, conversion: SessionConversion<Source, T>): Promise<T | null>;
}

/** Errors for a command Redis answered with an error reply: it did not run (unlike a timeout). */
const REFUSED = new WeakSet<Error>();

/**
 * The round trips of an importer over `options.connection`. `backend` names the foreign Redis in
 * errors ("the tutorial's Redis"), `wrapHint` says how to pass a connection.
 */
export function sessionImportRoundTrips(options: SessionImportOptions, backend: string, wrapHint: string): SessionImportRoundTrips {
  const { connection } = options;
  if (!connection || typeof connection.send !== "function") throw new ConfigError(`options.connection is required: ${wrapHint}`);
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
        () => new StoreUnavailableError("STORE_TIMEOUT", `${backend} did not answer ${command[0]} within ${commandTimeoutMs} ms`),
      );
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError("STORE_UNAVAILABLE", `${backend} is unreachable (${connection.description})`, { cause: error });
    }
    const reply = replies[0];
    if (reply instanceof Error) {
      if (/^WRONGTYPE/.test(reply.message)) return null;
      const refused = new StoreUnavailableError("STORE_UNAVAILABLE", `${backend} refused ${command[0]}: ${reply.message}`, { cause: reply });
      REFUSED.add(refused);
      throw refused;
    }
    return reply ?? null;
  }

  async function convertOnce<Source, T>(key: string, source: Source, conversion: SessionConversion<Source, T>): Promise<T | null> {
    const created = await conversion.create(source);
    let claimed: boolean;
    try {
      claimed = (await send(["DEL", key])) === 1;
    } catch (error) {
      // Refused by Redis (NOPERM, READONLY…): the DEL did not run and the foreign session is
      // intact, so the new one goes, and the failure is the caller's to report.
      if (REFUSED.has(error as Error)) {
        await conversion.discard(created).catch(() => undefined);
        throw error;
      }
      // Otherwise whether the DEL ran is unknown: past the deadline, or with the connection lost
      // after the write, it may well have deleted the foreign session. Discarding the new one
      // would then sign the user out, so it is handed out instead. If the DEL did not run, the
      // foreign session stays until its own TTL, and a request still carrying its cookie may
      // convert it again: a second session of the same user, never anyone else's.
      return created;
    }
    if (!claimed) {
      await conversion.discard(created).catch(() => undefined);
      return null;
    }
    return created;
  }

  return { send, convertOnce };
}
