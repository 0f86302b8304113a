import { encodeBase64Url } from "./base64url.js";

/** Bytes of CSPRNG output in a session token: 256 bits. */
export const TOKEN_BYTES = 32;
/** Characters of the user's bucket that open every token (12 bits; not secret). */
export const TOKEN_BUCKET_LENGTH = 2;
/** Length of a token: the bucket, then 32 random bytes in unpadded base64url (43 characters). */
export const TOKEN_LENGTH = TOKEN_BUCKET_LENGTH + 43;
/**
 * Bytes of SHA-256(token) kept as the store id. 18 bytes (144 bits) is far past guessing range
 * (finding a token for a leaked id is a 2^144 preimage search) and encodes to exactly 24
 * characters, which keeps every Redis key short: key bytes are paid once per session.
 */
export const SESSION_ID_BYTES = 18;

/**
 * 2 bucket characters, then 43 base64url characters whose last one carries only 4 bits of the
 * 256 (43 × 6 = 258), so its two low bits are zero and only 16 characters are possible there.
 * Checking that too rejects every string our generator cannot produce.
 */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{44}[AEIMQUYcgkosw048]$/;

/** Fills a new array with cryptographically secure random bytes. */
export type RandomBytes = (length: number) => Uint8Array;
/**
 * A SHA-256 digest: the 32 bytes, or the same digest as 43 characters of unpadded base64url —
 * what tessera turns it into anyway, and what a runtime with a native encoder (Node's
 * `crypto.hash(…, "base64url")`) produces without allocating a buffer.
 */
export type Sha256Digest = Uint8Array | string;
/**
 * SHA-256 of a string's UTF-8 bytes. Sync or async, so runtimes can plug in their fastest
 * implementation; it takes a string because every input (tokens, user ids) is one, and Node hashes
 * a string faster than it encodes one to bytes first.
 */
export type Sha256 = (input: string) => Sha256Digest | Promise<Sha256Digest>;

/** Bytes drawn from the CSPRNG at once by {@link webCryptoRandomBytes}: 128 tokens. */
const RANDOM_POOL_BYTES = 4096;
let randomPool = new Uint8Array(0);
let randomPoolOffset = 0;

/**
 * Web Crypto randomness: available on Node ≥ 20, Bun, Deno and Workers. Small requests are cut
 * from a 4 KiB block of `getRandomValues` output, each byte handed out once — one call per 128
 * tokens instead of one per login (a call costs more than the bytes; Node pools `randomUUID` the
 * same way). The block is filled on first use, never at import, so no snapshot taken before a
 * login can carry it.
 */
export const webCryptoRandomBytes: RandomBytes = (length) => {
  if (length > RANDOM_POOL_BYTES / 8) return globalThis.crypto.getRandomValues(new Uint8Array(length));
  if (randomPoolOffset + length > randomPool.length) {
    // A fresh block rather than a refill: views handed out earlier must never change.
    randomPool = globalThis.crypto.getRandomValues(new Uint8Array(RANDOM_POOL_BYTES));
    randomPoolOffset = 0;
  }
  const bytes = randomPool.subarray(randomPoolOffset, randomPoolOffset + length);
  randomPoolOffset += length;
  return bytes;
};

const encoder = new TextEncoder();

/** Web Crypto SHA-256 (async). Node users get a faster sync one from `tessera/node`. */
export const webCryptoSha256: Sha256 = async (input) => new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", encoder.encode(input)));

/** Characters of unpadded base64url for 32 bytes. */
const DIGEST_BASE64URL_LENGTH = 43;

/** The first `bytes` bytes of a digest (a multiple of 3, or 2 for the bucket) as base64url, cut to `characters`. */
function digestPrefix(digest: Sha256Digest, bytes: number, characters: number): string {
  if (typeof digest !== "string") return encodeBase64Url(digest.subarray(0, bytes)).slice(0, characters);
  if (digest.length !== DIGEST_BASE64URL_LENGTH) {
    throw new TypeError(`sha256 returned a string of ${digest.length} characters; a string digest must be the 32 bytes in unpadded base64url (43 characters)`);
  }
  return digest.slice(0, characters);
}

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> => typeof (value as { then?: unknown }).then === "function";

/**
 * A new session token: the user's bucket, then 256 random bits in base64url — 45 characters.
 * The bucket prefix tells the store where the session's user index lives (see `userBucket`);
 * it is not secret and adds no guessable structure to the random part.
 */
export function generateToken(bucket: string, randomBytes: RandomBytes = webCryptoRandomBytes): string {
  if (!/^[A-Za-z0-9_-]{2}$/.test(bucket)) throw new TypeError(`bucket must be 2 base64url characters, got ${JSON.stringify(bucket)}`);
  const bytes = randomBytes(TOKEN_BYTES);
  if (bytes.length !== TOKEN_BYTES) {
    throw new TypeError(`randomBytes(${TOKEN_BYTES}) returned ${bytes.length} bytes`);
  }
  return bucket + encodeBase64Url(bytes);
}

/** Length of a session id (and public handle): the bucket, then 18 hash bytes in base64url. */
export const SESSION_ID_LENGTH = TOKEN_BUCKET_LENGTH + 24;

const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{26}$/;

/**
 * True when `value` has the exact shape of a session id (a session's public handle): 26 base64url
 * characters. 18 bytes fill 24 characters exactly, so every such string is one `deriveSessionId`
 * can produce. Check it before a handle reaches a store: a shorter string (say, just the
 * 2-character bucket) must never be read as a prefix of every session. Never throws.
 *
 * @example
 * ```ts
 * if (!isWellFormedSessionHandle(handle)) return notFound(); // no store call, nothing logged
 * ```
 */
export function isWellFormedSessionHandle(value: string): boolean {
  return typeof value === "string" && value.length === SESSION_ID_LENGTH && SESSION_ID_PATTERN.test(value);
}

/** True when `value` has the exact shape `generateToken` produces. Never throws. */
export function isWellFormedToken(value: string): boolean {
  return value.length === TOKEN_LENGTH && TOKEN_PATTERN.test(value);
}

/**
 * The store id for a token: its bucket, then base64url of the first 18 bytes of SHA-256(token)
 * — 26 characters. Only this id ever reaches the store, so a dump of Redis (or `MONITOR`) yields
 * nothing that works as a cookie. It doubles as the session's public handle in device lists.
 */
export async function deriveSessionId(token: string, sha256: Sha256 = webCryptoSha256): Promise<string> {
  return sessionIdOf(token, sha256);
}

/**
 * {@link deriveSessionId}, without a promise when `sha256` is synchronous: the manager runs this
 * on every authenticated request, and an `await` costs a microtask even on a plain value.
 */
export function sessionIdOf(token: string, sha256: Sha256): string | Promise<string> {
  const bucket = token.slice(0, TOKEN_BUCKET_LENGTH);
  const digest = sessionDigestOf(token, sha256);
  return typeof digest === "string" ? bucket + digest : digest.then((part) => bucket + part);
}

/**
 * The part of {@link sessionIdOf} after the bucket (the token's first two characters): base64url
 * of the first 18 bytes of SHA-256(token), 24 characters; without a promise when `sha256` is
 * synchronous.
 */
export function sessionDigestOf(token: string, sha256: Sha256): string | Promise<string> {
  const digest = sha256(token);
  // 18 bytes fill 24 base64url characters exactly, so the prefix of the whole digest's encoding is theirs.
  return isPromise(digest) ? digest.then((bytes) => digestPrefix(bytes, SESSION_ID_BYTES, 24)) : digestPrefix(digest, SESSION_ID_BYTES, 24);
}

/**
 * The bucket of a user: the first 12 bits of SHA-256("user:" + userId), as 2 base64url
 * characters. A user's sessions and index share it, so Redis keeps them in one Cluster slot, and
 * 4096 buckets spread users evenly (a few dozen sessions per bucket at 100 000 sessions).
 */
export async function userBucket(userId: string, sha256: Sha256 = webCryptoSha256): Promise<string> {
  return userBucketOf(userId, sha256);
}

/** {@link userBucket}, without a promise when `sha256` is synchronous. */
export function userBucketOf(userId: string, sha256: Sha256): string | Promise<string> {
  const digest = sha256(`user:${userId}`);
  return isPromise(digest) ? digest.then((bytes) => digestPrefix(bytes, 2, TOKEN_BUCKET_LENGTH)) : digestPrefix(digest, 2, TOKEN_BUCKET_LENGTH);
}
