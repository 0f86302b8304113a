import { BUCKET_LENGTH, bucketOfSessionId } from "../../core/store.js";
import { SESSION_ID_LENGTH } from "../../core/token.js";

/** The store's key prefix when none is given (`createRedisStore`, the admin functions). */
export const DEFAULT_KEY_PREFIX = "ts:";

/**
 * Key names of the Redis layout (v3), shared by the store, the admin functions and the bulk
 * loader of the scale benchmark, so that none of them can drift from the others:
 *
 *     <prefix>{<bucket>}<digest>   string  the session (encoded record), TTL = idle, slid by reads
 *     <prefix>{<bucket>}:u         hash    user id → the digests of the user's sessions, 24 characters each, concatenated
 *     <prefix>{<bucket>}:i         hash    layout v2's index (digest → entry), converted to `:u` on first use
 *     <prefix>{<bucket>}<digest>:r string  a rotation's undo marker (the new digest), for a minute after
 *                                          the rotation deleted that session (see `RESTORE_SCRIPT`)
 *
 * The braces put a user's sessions and the index of their bucket in one Redis Cluster slot.
 */
export interface KeyLayout {
  readonly keyPrefix: string;
  /** `<prefix>{<bucket>}`: what a session key is before its digest. */
  bucketPrefix(bucket: string): string;
  sessionKey(sessionId: string): string;
  /** The undo marker a rotation leaves beside the session it deleted. */
  undoMarkerKey(sessionId: string): string;
  /** The v3 index of a bucket: one field per user. */
  userIndexKey(bucket: string): string;
  /** Layout v2's index of a bucket (one field per session), read only to convert it. */
  legacyIndexKey(bucket: string): string;
}

/** Length of the digest part of a session id (after the bucket): 18 bytes of SHA-256 in base64url. */
export const DIGEST_LENGTH = SESSION_ID_LENGTH - BUCKET_LENGTH;

/** Suffix of a bucket's v3 index key, after `<prefix>{<bucket>}`. */
export const USER_INDEX_SUFFIX = ":u";
/** Suffix of a bucket's layout v2 index key. */
export const LEGACY_INDEX_SUFFIX = ":i";
/** Suffix of a rotation's undo marker, after the session key it belongs to. */
export const UNDO_MARKER_SUFFIX = ":r";

export function keyLayout(keyPrefix: string): KeyLayout {
  const bucketPrefix = (bucket: string) => `${keyPrefix}{${bucket}}`;
  const sessionKey = (sessionId: string) => bucketPrefix(bucketOfSessionId(sessionId)) + sessionId.slice(BUCKET_LENGTH);
  return {
    keyPrefix,
    bucketPrefix,
    sessionKey,
    undoMarkerKey: (sessionId) => sessionKey(sessionId) + UNDO_MARKER_SUFFIX,
    userIndexKey: (bucket) => bucketPrefix(bucket) + USER_INDEX_SUFFIX,
    legacyIndexKey: (bucket) => bucketPrefix(bucket) + LEGACY_INDEX_SUFFIX,
  };
}

/** The digest of a session id: what the index stores, and what follows the bucket in its key. */
export const digestOf = (sessionId: string): string => sessionId.slice(BUCKET_LENGTH);

/**
 * A user's field value in the v3 index: their session digests, concatenated. Fixed-width and
 * without separators so that one session costs exactly 24 bytes of index, and a script can walk
 * the list with `string.sub` alone.
 */
export function encodeUserIndexValue(sessionIds: readonly string[]): string {
  return sessionIds.map(digestOf).join("");
}

/** What kind of key of the layout a key name is, or `undefined` for any other key. */
export function classifyKey(keyPrefix: string, key: string): "session" | "userIndex" | "legacyIndex" | "undoMarker" | undefined {
  if (!key.startsWith(`${keyPrefix}{`)) return undefined;
  const close = key.indexOf("}", keyPrefix.length + 1);
  if (close !== keyPrefix.length + 1 + BUCKET_LENGTH) return undefined;
  const rest = key.slice(close + 1);
  if (rest === USER_INDEX_SUFFIX) return "userIndex";
  if (rest === LEGACY_INDEX_SUFFIX) return "legacyIndex";
  const digest = rest.endsWith(UNDO_MARKER_SUFFIX) ? rest.slice(0, -UNDO_MARKER_SUFFIX.length) : rest;
  if (digest.length !== DIGEST_LENGTH || !/^[A-Za-z0-9_-]+$/.test(digest)) return undefined;
  return digest === rest ? "session" : "undoMarker";
}
