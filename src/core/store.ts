import type { SessionRecord } from "./record.js";

/**
 * The contract every session store implements (memory, Redis over TCP, Upstash REST).
 *
 * Ids are already hashed (`deriveSessionId`): a store never sees a token. TTLs are milliseconds.
 * Every method either settles within the store's own deadline or rejects with a
 * `StoreUnavailableError`; none of them may hang. "Not found" is `null`/`false`, never an error.
 *
 * Cost contract (what the conformance suite counts on Redis):
 * - `readAndExtend`: one command, one round trip;
 * - `create`, `destroy`, `update`: one round trip each.
 */
export interface SessionStore {
  /** Short human-readable description for logs, e.g. `"redis (ioredis) at 127.0.0.1:6379"`. Never holds a secret. */
  readonly description: string;

  /**
   * Stores a new session that expires after `ttlMs`. When `replacesSessionId` is given, that
   * session is deleted in the same round trip, before the new one is written, so the two are never
   * both valid (login rotation).
   */
  create(sessionId: string, record: SessionRecord, options: { ttlMs: number; replacesSessionId?: string | undefined }): Promise<void>;

  /**
   * Returns the session and, in the same command, pushes its expiry to now + `ttlMs` (sliding
   * idle timeout). `null` when it does not exist or has expired. The store does not check the
   * absolute deadline; the session manager does.
   */
  readAndExtend(sessionId: string, ttlMs: number): Promise<SessionRecord | null>;

  /**
   * Replaces the record of an existing session, keeping its expiry. Returns `false` (and writes
   * nothing) when the session no longer exists, so an update racing a logout never resurrects it.
   */
  update(sessionId: string, record: SessionRecord): Promise<boolean>;

  /** Deletes the session. Deleting a missing session is not an error. */
  destroy(sessionId: string): Promise<void>;

  /** Releases connections or timers the store owns. Safe to call twice. */
  close(): Promise<void>;
}
