import { type SessionConversion, type SessionImportOptions, sessionImportRoundTrips } from "./session-import.js";

/**
 * Sessions of Upstash's tutorial "Manage Sessions in Python with Serverless Redis", read so that
 * an app moving off it can sign its users in again without asking them to: the tutorial's
 * `/login/` runs `HSET session:<uuid4> user <name> status active` then `EXPIRE … 900`, and puts
 * the bare UUID in the `session_id` cookie.
 */

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

/** Options of {@link legacySeedSessions}: a connection to the tutorial's Redis, and a deadline. */
export interface LegacySeedSessionsOptions extends SessionImportOptions {
  /** Prefix of the tutorial's keys. @default "session:" */
  keyPrefix?: string;
}

/** What {@link LegacySeedSessions.convert} needs from the app: how to make, and unmake, the new session. */
export type LegacySeedConversion<T> = SessionConversion<LegacySeedSession, T>;

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
 * session on first use: `HGETALL` (a miss ends here), then `create` (your new session), then
 * `DEL`, which decides a race between requests carrying the same cookie; a failure never signs
 * anyone out (see `session-import.ts`).
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
  const { send, convertOnce } = sessionImportRoundTrips(
    options,
    "the tutorial's Redis",
    "wrap the client of the tutorial's Redis with ioredisConnection(client), nodeRedisConnection(client) or upstashConnection(client)",
  );
  const keyPrefix = options.keyPrefix ?? LEGACY_SEED_KEY_PREFIX;

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
      return convertOnce(key, legacy, conversion);
    },

    async remove(cookieValue) {
      if (!isLegacySeedSessionId(cookieValue)) return false;
      return (await send(["DEL", keyPrefix + cookieValue])) === 1;
    },
  };
}
