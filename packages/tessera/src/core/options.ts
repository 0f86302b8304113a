import { assertValidCookieConfig, type CookieAttributes } from "./cookie.js";
import { ConfigError } from "./errors.js";
import type { SessionEventListener } from "./events.js";
import { DEFAULT_MAX_SESSIONS_PER_USER, type SessionStore } from "./store.js";
import { webCryptoRandomBytes, webCryptoSha256, type RandomBytes, type Sha256 } from "./token.js";

/** Options of the session cookie. */
export interface SessionCookieOptions {
  /** Cookie name. `__Host-` names require `secure: true`. @default "session_id" (as the seed) */
  name?: string;
  /**
   * `Secure` attribute: `"auto"` sets it when the request URL is https. Behind a TLS-terminating
   * proxy the app sees http, so set `true` there. @default "auto"
   */
  secure?: boolean | "auto";
  /** @default "Lax" */
  sameSite?: "Strict" | "Lax" | "None";
  /** @default "/" */
  path?: string;
  /** Leave unset for a host-only cookie (safest). @default undefined */
  domain?: string;
  /**
   * `true` gives the cookie a `Max-Age` equal to the absolute timeout so the login survives a
   * browser restart; `false` makes it a browser-session cookie, as the seed does. The server
   * enforces expiry either way. @default false
   */
  persistent?: boolean;
}

/** Options of `createSessionManager`. */
export interface SessionManagerOptions {
  /** Where sessions live. */
  store: SessionStore;
  /** Sliding idle timeout: a session unused this long ends. @default 900 (15 minutes, as the seed) */
  idleTimeoutSeconds?: number;
  /** Absolute lifetime: a session ends this long after login however active it is. @default 43200 (12 hours) */
  absoluteTimeoutSeconds?: number;
  /**
   * Least time between two updates of a session's last-seen time. Reads inside the interval cost
   * one store command; the first read after it costs one more. @default 60
   */
  touchIntervalSeconds?: number;
  /**
   * Most live sessions per user; a login beyond it ends the user's oldest. 0 = no limit (then one
   * account's logins, listings and revocations cost as much as its sessions number).
   * @default 100 (`DEFAULT_MAX_SESSIONS_PER_USER` in `core/store.ts` says why)
   */
  maxSessionsPerUser?: number;
  /** Session cookie attributes. */
  cookie?: SessionCookieOptions;
  /** Largest encoded session (user id, times, data) in bytes. @default 4096 */
  maxRecordBytes?: number;
  /** Longest user id, in UTF-16 code units. @default 256 */
  maxUserIdLength?: number;
  /** Receives created / rotated / revoked / expired events (see `SessionEvent`). */
  onEvent?: SessionEventListener;
  /** SHA-256 implementation. @default Web Crypto (`tessera/node` has a faster sync one) */
  sha256?: Sha256;
  /** CSPRNG. @default `crypto.getRandomValues` */
  randomBytes?: RandomBytes;
  /** Clock in unix milliseconds; inject one in tests instead of sleeping. @default Date.now */
  now?: () => number;
}

export interface ResolvedOptions {
  store: SessionStore;
  idleTimeoutSeconds: number;
  absoluteTimeoutSeconds: number;
  touchIntervalSeconds: number;
  maxSessionsPerUser: number;
  maxRecordBytes: number;
  maxUserIdLength: number;
  cookieName: string;
  secure: boolean | "auto";
  cookieAttributes: Omit<CookieAttributes, "secure">;
  persistent: boolean;
  onEvent: SessionEventListener | undefined;
  sha256: Sha256;
  randomBytes: RandomBytes;
  now: () => number;
}

const MAX_TIMEOUT_SECONDS = 400 * 24 * 3600; // browsers cap cookie lifetimes at 400 days

function wholeNumber(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/** Applies defaults and validates everything once, at construction, with messages that name the fix. */
export function resolveOptions(options: SessionManagerOptions): ResolvedOptions {
  const store = options.store;
  if (!store || typeof store.readAndExtend !== "function") {
    throw new ConfigError("options.store is required: pass createMemoryStore() from tessera/memory or a Redis store from tessera/redis");
  }
  const cookieName = options.cookie?.name ?? "session_id";
  const secure = options.cookie?.secure ?? "auto";
  const cookieAttributes: Omit<CookieAttributes, "secure"> = {
    path: options.cookie?.path ?? "/",
    domain: options.cookie?.domain,
    sameSite: options.cookie?.sameSite ?? "Lax",
    httpOnly: true,
  };
  assertValidCookieConfig(cookieName, secure, cookieAttributes);
  const idleTimeoutSeconds = wholeNumber("idleTimeoutSeconds (seconds)", options.idleTimeoutSeconds ?? 900, 1, MAX_TIMEOUT_SECONDS);
  const absoluteTimeoutSeconds = wholeNumber("absoluteTimeoutSeconds (seconds)", options.absoluteTimeoutSeconds ?? 43_200, 1, MAX_TIMEOUT_SECONDS);
  // Silently capped, a 30-day idle timeout with the default absolute one would end every session
  // after 12 hours, however active: the app meant something else.
  if (idleTimeoutSeconds > absoluteTimeoutSeconds) {
    throw new ConfigError(
      `idleTimeoutSeconds (${idleTimeoutSeconds}) is longer than absoluteTimeoutSeconds (${absoluteTimeoutSeconds}${options.absoluteTimeoutSeconds === undefined ? ", the default" : ""}): every session would end at the absolute timeout however active it is. Set absoluteTimeoutSeconds to at least ${idleTimeoutSeconds}, or lower idleTimeoutSeconds`,
    );
  }
  return {
    store,
    idleTimeoutSeconds,
    absoluteTimeoutSeconds,
    touchIntervalSeconds: wholeNumber("touchIntervalSeconds (seconds)", options.touchIntervalSeconds ?? 60, 1, MAX_TIMEOUT_SECONDS),
    maxSessionsPerUser: wholeNumber("maxSessionsPerUser", options.maxSessionsPerUser ?? DEFAULT_MAX_SESSIONS_PER_USER, 0, 10_000),
    maxRecordBytes: wholeNumber("maxRecordBytes", options.maxRecordBytes ?? 4096, 64, 1 << 20),
    maxUserIdLength: wholeNumber("maxUserIdLength", options.maxUserIdLength ?? 256, 1, 4096),
    cookieName,
    secure,
    cookieAttributes,
    persistent: options.cookie?.persistent ?? false,
    onEvent: options.onEvent,
    sha256: options.sha256 ?? webCryptoSha256,
    randomBytes: options.randomBytes ?? webCryptoRandomBytes,
    now: options.now ?? Date.now,
  };
}
