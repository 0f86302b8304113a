import type { EncodedPatch, SessionRecord } from "./record.js";

/**
 * A user, as stores locate them: the id, and the bucket (2 characters) that groups the user's
 * sessions and index so that every multi-key operation stays inside one Redis Cluster hash slot.
 * Session ids begin with their user's bucket.
 */
export interface UserRef {
  userId: string;
  bucket: string;
}

/** Length of the bucket prefix of session ids and tokens. */
export const BUCKET_LENGTH = 2;

/** The bucket a session id belongs to. */
export const bucketOfSessionId = (sessionId: string): string => sessionId.slice(0, BUCKET_LENGTH);

/**
 * The default most live sessions per user (`maxSessionsPerUser`): a login beyond it ends the
 * user's oldest session.
 *
 * Why 100: a login, a listing and a revocation each cost O(that user's sessions) inside Redis
 * (and one account with thousands of sessions made its every login hold Redis for milliseconds,
 * which every other user waited out). 100 bounds that work to about a hundred small reads, and
 * keeps the user's part of the index at most 2,400 bytes, while sitting far above what a person
 * uses: a phone, a laptop, a tablet and a few browsers are a dozen sessions, and idle sessions end
 * after the idle timeout anyway. Only a script that logs in again and again without logging out
 * reaches it, and then the cost is that its oldest sessions end.
 */
export const DEFAULT_MAX_SESSIONS_PER_USER = 100;

/** Options of {@link SessionStore.create}. */
export interface CreateSessionOptions {
  /** Idle TTL of the new session. */
  ttlMs: number;
  /** TTL the user's index must have at least: the longest any session of theirs can live. */
  indexTtlMs: number;
  /**
   * The session this login replaces (rotation), deleted in the same operation. If the create is
   * refused, this session stays valid; if it succeeds, the two are never valid together.
   */
  replacesSessionId?: string | undefined;
  /** Evict the user's oldest sessions so at most this many remain, counting the new one. 0 = no limit. */
  maxSessionsPerUser: number;
  nowSeconds: number;
  /**
   * `encodeSessionRecord(record)`, when the caller has it already (the session manager encodes
   * every new record once, to check its size): a store may write this instead of encoding the
   * record again. Exactly that encoding of this record, or absent.
   */
  encodedRecord?: string | undefined;
}

/** A session a store found expired and removed from its index, and whose it was. */
export interface ExpiredSession {
  sessionId: string;
  userId: string;
}

/** What {@link SessionStore.create} did besides creating. */
export interface CreateSessionResult {
  /** Whether `replacesSessionId` named a live session that was deleted. */
  replaced: boolean;
  /** Sessions of the user removed to respect `maxSessionsPerUser`, oldest first. */
  evictedSessionIds: string[];
  /** Sessions (of any user in the bucket) found past their absolute deadline and removed. */
  expired: ExpiredSession[];
}

/** A live session as a listing shows it. */
export interface StoredSessionSummary {
  sessionId: string;
  /** The session's record; `record.device` says which device it is. */
  record: SessionRecord;
  /** Time left before the idle timeout ends it, as the store's own TTL says. */
  expiresInMs: number;
}

/** Outcome of {@link SessionStore.patch}: the session as stored after the merge, or why nothing was written. */
export type PatchOutcome = { status: "updated"; record: SessionRecord } | { status: "missing" } | { status: "too_large" };

/**
 * The contract every session store implements (memory, Redis over TCP, Upstash REST).
 *
 * Ids are already hashed (`deriveSessionId`): a store never sees a token. TTLs are milliseconds,
 * instants unix seconds. Every method either settles within the store's own deadline or rejects
 * with a `StoreUnavailableError` (`STORE_FULL` when the backend refuses for lack of room); none
 * may hang. "Not found" is `null`/`false`/`[]`, never an error.
 *
 * Guarantees (each shown by a test in `src/testing/store-contract.ts` (exported as `tessera/testing`) or the race tests):
 * - no write ever recreates a session that was destroyed or expired (`touch`, `patch`);
 * - `patch` merges: concurrent patches of different keys all survive;
 * - `create` with `replacesSessionId` is all or nothing: a refused login (full, unreachable)
 *   leaves the old session valid, and the old and the new are never valid together (on Redis
 *   without cross-slot scripts, see `crossSlotScripts`, the new one exists, unhanded, for one
 *   round trip before the old one goes);
 * - `destroyForUser` is atomic: every matching session that existed when it began is gone, and
 *   `onlySessionId` matches one whole session id exactly, never a prefix;
 * - owners compare exactly; a user id that is not well-formed Unicode (a lone surrogate), which
 *   a store could not keep apart from U+FFFD, is refused with `SessionInputError`.
 *
 * Cost (Redis): `readAndExtend` is one command in one round trip; every other method one round trip.
 */
export interface SessionStore {
  /** Short human-readable description for logs, e.g. `"redis (ioredis 127.0.0.1:6379)"`. Never holds a secret. */
  readonly description: string;

  /** Stores a new session and its entry in its user's index; see {@link CreateSessionOptions}. */
  create(sessionId: string, record: SessionRecord, options: CreateSessionOptions): Promise<CreateSessionResult>;

  /**
   * Returns the session and, in the same command, pushes its expiry to now + `ttlMs` (sliding
   * idle timeout). `null` when it does not exist or has expired. The manager checks the absolute
   * deadline.
   */
  readAndExtend(sessionId: string, ttlMs: number): Promise<SessionRecord | null>;

  /** Records activity: sets `lastSeenAtSeconds` if the session still exists. Keeps its expiry. */
  touch(sessionId: string, times: { createdAtSeconds: number; lastSeenAtSeconds: number }): Promise<boolean>;

  /** Applies a data patch if the session still exists and the result fits in `maxRecordBytes`. Keeps its expiry. */
  patch(sessionId: string, patch: EncodedPatch, maxRecordBytes: number): Promise<PatchOutcome>;

  /** Deletes the session and its index entry; returns what it held, or `null` if it did not exist. */
  destroy(sessionId: string): Promise<SessionRecord | null>;

  /** The user's live sessions; index entries whose session is gone are removed and reported. */
  listForUser(user: UserRef, nowSeconds: number): Promise<{ sessions: StoredSessionSummary[]; expired: ExpiredSession[] }>;

  /**
   * Atomically deletes the user's sessions — only `onlySessionId` if given (and only if it is the
   * user's), all but `exceptSessionId` if given. Returns the ids deleted.
   */
  destroyForUser(user: UserRef, filter: { onlySessionId?: string; exceptSessionId?: string }): Promise<string[]>;

  /** Releases connections or timers the store owns. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * What a store may carry under this symbol: its `readAndExtend(sessionId, ttlMs).then(onRecord,
 * onError)` in one promise reaction, for the session manager, through which every authenticated
 * read goes (the Redis store has it when its connection has `sendOne`). The session id comes in
 * its two parts, `bucket + digest`: the manager builds them apart, and a store that cuts the
 * joined id (into its key) makes V8 copy it into one piece first. Not part of the public interface.
 */
export const READ_AND_EXTEND_THEN: unique symbol = Symbol("tessera.readAndExtendThen");

/** See {@link READ_AND_EXTEND_THEN}, with the `readAndExtend` it stands for. */
export type ReadAndExtendThen = (<R>(
  bucket: string,
  digest: string,
  ttlMs: number,
  onRecord: (record: SessionRecord | null) => R | PromiseLike<R>,
  onError: (error: unknown) => R | PromiseLike<R>,
) => Promise<R>) & { readonly readAndExtend: SessionStore["readAndExtend"] };

/**
 * The store's {@link READ_AND_EXTEND_THEN}, unless it has none or is a copy with a
 * `readAndExtend` of its own (`{ ...store, readAndExtend: traced }`), which must be read through it.
 */
export function readAndExtendThenOf(store: SessionStore): ReadAndExtendThen | undefined {
  const readThen = (store as { [READ_AND_EXTEND_THEN]?: ReadAndExtendThen })[READ_AND_EXTEND_THEN];
  return readThen !== undefined && readThen.readAndExtend === store.readAndExtend ? readThen : undefined;
}
