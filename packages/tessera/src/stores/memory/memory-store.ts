import { ConfigError, StoreUnavailableError } from "../../core/errors.js";
import {
  applyEncodedPatch,
  decodeIndexEntry,
  decodeSessionRecord,
  encodeIndexEntry,
  encodeLastSeenOffset,
  encodeSessionRecord,
  LAST_SEEN_OFFSET_WIDTH,
} from "../../core/record.js";
import type { SessionStore, StoredSessionSummary } from "../../core/store.js";
import { assertStorableUserId } from "../../core/user-id.js";

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most sessions held at once. When full (after dropping expired ones) a login fails with
   * `StoreUnavailableError` code `STORE_FULL` rather than silently evicting someone who is logged
   * in. Worst-case memory is about `maxSessions × maxRecordBytes`. @default 100000
   */
  maxSessions?: number;
  /** Clock in unix milliseconds. @default Date.now */
  now?: () => number;
}

interface Entry {
  encoded: string;
  expiresAtMs: number;
  userId: string;
  /** The session's index entry, encoded as in Redis. */
  indexEntry: string;
}

const utf8 = new TextEncoder();

/** How many of the least recently used entries each write looks at for expiry. */
const SWEEP_PER_WRITE = 4;
/**
 * How many a login into a full store looks at before refusing. Entries sit in the order their
 * expiry was last set, and the manager gives every session the same idle TTL, so the front holds
 * the first to expire: if these are live, practically all are. (Entries given a shorter TTL than
 * their neighbours may expire unnoticed until a sweep reaches them.)
 */
const SWEEP_WHEN_FULL = 64;

/**
 * The embedded store: sessions in a `Map` inside this process, the default when no server is
 * configured. Lost on restart and not shared between processes — use Redis for that.
 *
 * Expiry without timers (so it runs on every runtime and never holds a process open): a read
 * checks the entry it finds; each write re-inserts its entry at the end of the map's insertion
 * order and removes expired entries from the front, where the least recently used sit; a full
 * store looks a little further (a bounded number) before refusing. A session and its user-index entry are removed
 * together, so the index never outgrows the sessions. Values are stored encoded, exactly as in
 * Redis, and patched by the same string rules, so the two stores cannot disagree.
 *
 * @example
 * ```ts
 * const sessions = createSessionManager({ store: createMemoryStore({ maxSessions: 10_000 }) });
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): SessionStore & { readonly size: number } {
  const maxSessions = options.maxSessions ?? 100_000;
  if (!Number.isSafeInteger(maxSessions) || maxSessions < 1) {
    throw new ConfigError(`maxSessions must be a positive whole number, got ${String(maxSessions)}`);
  }
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const byUser = new Map<string, Set<string>>();

  function remove(sessionId: string): boolean {
    const entry = entries.get(sessionId);
    if (entry === undefined) return false;
    entries.delete(sessionId);
    const ids = byUser.get(entry.userId);
    ids?.delete(sessionId);
    if (ids?.size === 0) byUser.delete(entry.userId);
    return true;
  }

  function sweep(limit: number): void {
    const nowMs = now();
    let seen = 0;
    for (const [id, entry] of entries) {
      if (seen++ >= limit) break;
      if (entry.expiresAtMs <= nowMs) remove(id);
    }
  }

  function live(sessionId: string): Entry | undefined {
    const entry = entries.get(sessionId);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= now()) {
      remove(sessionId);
      return undefined;
    }
    return entry;
  }

  function userSessions(userId: string): Array<[string, Entry]> {
    return [...(byUser.get(userId) ?? [])].flatMap((id) => {
      const entry = live(id);
      return entry ? [[id, entry] as [string, Entry]] : [];
    });
  }

  return {
    description: `memory (embedded, at most ${maxSessions} sessions)`,
    get size() {
      return entries.size;
    },

    async create(sessionId, record, { ttlMs, replacesSessionId, maxSessionsPerUser, nowSeconds, encodedRecord }) {
      assertStorableUserId(record.userId);
      // When full, look further for expired sessions — but a bounded number, so a refusal costs
      // O(1) however many sessions are held (scanning them all stalled every other request).
      sweep(entries.size >= maxSessions ? SWEEP_WHEN_FULL : SWEEP_PER_WRITE);

      // Decide everything before changing anything: a refused login leaves every session as it was.
      const replaced = replacesSessionId !== undefined && replacesSessionId !== sessionId && live(replacesSessionId) !== undefined;
      const expired: Array<{ sessionId: string; userId: string }> = [];
      const mine: Array<{ id: string; created: number; order: number }> = [];
      for (const [id, entry] of userSessions(record.userId)) {
        if (id === replacesSessionId || id === sessionId) continue;
        const index = decodeIndexEntry(entry.indexEntry);
        if ((index?.absoluteExpiresAtSeconds ?? 0) <= nowSeconds) expired.push({ sessionId: id, userId: entry.userId });
        else mine.push({ id, created: index?.createdAtSeconds ?? 0, order: mine.length });
      }
      // Of sessions created in the same second, the one that logged in first is the oldest.
      mine.sort((a, b) => a.created - b.created || a.order - b.order);
      const evictedSessionIds = maxSessionsPerUser > 0 ? mine.slice(0, Math.max(0, mine.length - maxSessionsPerUser + 1)).map(({ id }) => id) : [];
      const freed = (replaced ? 1 : 0) + expired.length + evictedSessionIds.length + (entries.has(sessionId) ? 1 : 0);
      if (entries.size - freed >= maxSessions) {
        throw new StoreUnavailableError("STORE_FULL", `the memory store holds its maximum of ${maxSessions} sessions; raise maxSessions or use Redis`, {
          retryAfterSeconds: 60,
        });
      }

      for (const id of [replacesSessionId, sessionId, ...evictedSessionIds, ...expired.map(({ sessionId: id }) => id)]) if (id !== undefined) remove(id);
      const indexEntry = encodeIndexEntry({
        userId: record.userId,
        createdAtSeconds: record.createdAtSeconds,
        absoluteExpiresAtSeconds: record.absoluteExpiresAtSeconds,
      });
      entries.set(sessionId, { encoded: encodedRecord ?? encodeSessionRecord(record), expiresAtMs: now() + ttlMs, userId: record.userId, indexEntry });
      let ids = byUser.get(record.userId);
      if (ids === undefined) byUser.set(record.userId, (ids = new Set()));
      ids.add(sessionId);
      return { replaced, evictedSessionIds, expired };
    },

    async readAndExtend(sessionId, ttlMs) {
      const entry = live(sessionId);
      if (entry === undefined) return null;
      entry.expiresAtMs = now() + ttlMs;
      // Move to the back: the front of the map stays the least recently used, where sweeps look.
      entries.delete(sessionId);
      entries.set(sessionId, entry);
      return decodeSessionRecord(entry.encoded);
    },

    async touch(sessionId, { createdAtSeconds, lastSeenAtSeconds }) {
      const entry = live(sessionId);
      if (entry === undefined) return false;
      entry.encoded = encodeLastSeenOffset(createdAtSeconds, lastSeenAtSeconds) + entry.encoded.slice(LAST_SEEN_OFFSET_WIDTH);
      return true;
    },

    async patch(sessionId, patch, maxRecordBytes) {
      const entry = live(sessionId);
      const record = entry && decodeSessionRecord(entry.encoded);
      if (!entry || !record) return { status: "missing" };
      const patched = applyEncodedPatch(entry.encoded, patch);
      if (utf8.encode(patched).length > maxRecordBytes) return { status: "too_large" };
      entry.encoded = patched;
      return { status: "updated", record: decodeSessionRecord(patched) ?? record };
    },

    async destroy(sessionId) {
      const entry = live(sessionId);
      if (entry !== undefined) remove(sessionId);
      sweep(SWEEP_PER_WRITE);
      return entry === undefined ? null : decodeSessionRecord(entry.encoded);
    },

    async listForUser({ userId }) {
      assertStorableUserId(userId);
      const nowMs = now();
      const sessions: StoredSessionSummary[] = [];
      for (const [sessionId, entry] of userSessions(userId)) {
        const record = decodeSessionRecord(entry.encoded);
        if (record) sessions.push({ sessionId, record, expiresInMs: entry.expiresAtMs - nowMs });
      }
      // Expired sessions were dropped with their index entries as they were met; nothing lingers to report.
      return { sessions, expired: [] };
    },

    async destroyForUser({ userId }, { onlySessionId, exceptSessionId }) {
      assertStorableUserId(userId);
      const destroyed: string[] = [];
      for (const [sessionId] of userSessions(userId)) {
        if (onlySessionId !== undefined && sessionId !== onlySessionId) continue;
        if (sessionId === exceptSessionId) continue;
        remove(sessionId);
        destroyed.push(sessionId);
      }
      return destroyed;
    },

    async close() {
      entries.clear();
      byUser.clear();
    },
  };
}
