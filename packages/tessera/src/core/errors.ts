/**
 * Every error tessera throws is a `TesseraError` with a stable `code`, so callers can switch on
 * the code instead of parsing messages. Bad or expired tokens are never errors: they read as
 * `null` / `"invalid"`.
 */
export type TesseraErrorCode =
  /** The options given to a constructor cannot work; the message names the fix. */
  | "CONFIG_INVALID"
  /** The store could not be reached or answered with an error. Retry later. */
  | "STORE_UNAVAILABLE"
  /** The store did not answer within its deadline. Retry later. */
  | "STORE_TIMEOUT"
  /** The store refused a new session because it is at capacity. */
  | "STORE_FULL"
  /** Session data or user id failed validation (too large, not JSON, empty, not well-formed Unicode). */
  | "SESSION_INPUT_INVALID";

/** Base class of every error tessera throws. */
export class TesseraError extends Error {
  readonly code: TesseraErrorCode;

  constructor(code: TesseraErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TesseraError";
    this.code = code;
  }
}

/** Thrown at construction when options are contradictory or out of range. */
export class ConfigError extends TesseraError {
  constructor(message: string) {
    super("CONFIG_INVALID", message);
    this.name = "ConfigError";
  }
}

/**
 * The session store failed, timed out or is full. Adapters answer 503 with `Retry-After`;
 * the session is *not* treated as logged out, because it may still exist.
 */
export class StoreUnavailableError extends TesseraError {
  /** How long a client should wait before retrying, in seconds. */
  readonly retryAfterSeconds: number;

  constructor(code: "STORE_UNAVAILABLE" | "STORE_TIMEOUT" | "STORE_FULL", message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StoreUnavailableError";
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 1;
  }
}

/** Session input (user id, data) that the library refuses to store. */
export class SessionInputError extends TesseraError {
  constructor(message: string) {
    super("SESSION_INPUT_INVALID", message);
    this.name = "SessionInputError";
  }
}

/** True for errors that mean "the store is down, try again", whatever the store. */
export function isStoreUnavailable(error: unknown): error is StoreUnavailableError {
  return error instanceof StoreUnavailableError;
}
