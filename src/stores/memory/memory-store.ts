import { ConfigError, StoreUnavailableError } from "../../core/errors.js";
import { decodeSessionRecord, encodeSessionRecord } from "../../core/record.js";
import type { SessionStore } from "../../core/store.js";

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
}

/** How many of the least recently used entries each write looks at for expiry. */
const SWEEP_PER_WRITE = 4;

/**
 * The embedded store: sessions in a `Map` inside this process, the default when no server is
 * configured. Lost on restart and not shared between processes — use Redis for that.
 *
 * Expiry without timers (so it runs on every runtime and never holds a process open): a read
 * checks the entry it finds; each write re-inserts its entry at the end of the map's insertion
 * order and removes expired entries from the front, where the least recently used sit; a full
 * store sweeps everything before refusing. Values are stored encoded, like in Redis, so callers
 * can never mutate a stored session by accident.
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

  function sweep(limit: number): void {
    const nowMs = now();
    let seen = 0;
    for (const [id, entry] of entries) {
      if (seen++ >= limit) break;
      if (entry.expiresAtMs <= nowMs) entries.delete(id);
    }
  }

  function live(sessionId: string): Entry | undefined {
    const entry = entries.get(sessionId);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= now()) {
      entries.delete(sessionId);
      return undefined;
    }
    return entry;
  }

  return {
    description: `memory (embedded, at most ${maxSessions} sessions)`,
    get size() {
      return entries.size;
    },

    async create(sessionId, record, { ttlMs, replacesSessionId }) {
      if (replacesSessionId !== undefined) entries.delete(replacesSessionId);
      sweep(SWEEP_PER_WRITE);
      if (entries.size >= maxSessions && !entries.has(sessionId)) {
        sweep(Infinity);
        if (entries.size >= maxSessions) {
          throw new StoreUnavailableError("STORE_FULL", `the memory store holds its maximum of ${maxSessions} sessions; raise maxSessions or use Redis`, {
            retryAfterSeconds: 60,
          });
        }
      }
      entries.delete(sessionId);
      entries.set(sessionId, { encoded: encodeSessionRecord(record), expiresAtMs: now() + ttlMs });
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

    async update(sessionId, record) {
      const entry = live(sessionId);
      if (entry === undefined) return false;
      entry.encoded = encodeSessionRecord(record);
      return true;
    },

    async destroy(sessionId) {
      entries.delete(sessionId);
      sweep(SWEEP_PER_WRITE);
    },

    async close() {
      entries.clear();
    },
  };
}
