import { assertValidCookieConfig, readCookie, serializeClearingCookie, serializeCookie, type CookieAttributes } from "./cookie.js";
import { ConfigError, SessionInputError } from "./errors.js";
import { encodeSessionRecord, type SessionData, type SessionRecord } from "./record.js";
import type { SessionStore } from "./store.js";
import { deriveSessionId, generateToken, isWellFormedToken, webCryptoRandomBytes, webCryptoSha256, type RandomBytes, type Sha256 } from "./token.js";

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

/** Options of {@link createSessionManager}. */
export interface SessionManagerOptions {
  /** Where sessions live. */
  store: SessionStore;
  /** Sliding idle timeout: a session unused this long ends. @default 900 (15 minutes, as the seed) */
  idleTimeoutSeconds?: number;
  /** Absolute lifetime: a session ends this long after login however active it is. @default 43200 (12 hours) */
  absoluteTimeoutSeconds?: number;
  /** Session cookie attributes. */
  cookie?: SessionCookieOptions;
  /** Largest encoded session record (user id + times + data) in bytes. @default 4096 */
  maxRecordBytes?: number;
  /** Longest user id, in UTF-16 code units. @default 256 */
  maxUserIdLength?: number;
  /** SHA-256 implementation. @default Web Crypto (`tessera/node` has a faster sync one) */
  sha256?: Sha256;
  /** CSPRNG. @default `crypto.getRandomValues` */
  randomBytes?: RandomBytes;
  /** Clock in unix milliseconds; inject one in tests instead of sleeping. @default Date.now */
  now?: () => number;
}

/** A live session, as seen by the application. */
export interface Session<Data extends SessionData = SessionData> {
  /** Store id: a hash of the token, safe to log; it cannot be used as a cookie. */
  readonly id: string;
  readonly userId: string;
  readonly data: Readonly<Data>;
  readonly createdAt: Date;
  /** When the session ends if it is not used again (idle timeout, capped by the absolute one). */
  readonly expiresAt: Date;
  /** When the session ends regardless of activity. */
  readonly absoluteExpiresAt: Date;
}

/** The outcome of reading the session cookie of a request. */
export type SessionLookup<Data extends SessionData = SessionData> =
  /** The request carries no session cookie (or an empty one). */
  | { status: "anonymous" }
  /** A cookie was sent but names no live session; send `clearCookie` as `Set-Cookie`. */
  | { status: "invalid"; clearCookie: string }
  /** A live session; its idle expiry has been pushed forward. */
  | { status: "active"; session: Session<Data>; token: string };

/** What a login returns: the new session, its token, and the `Set-Cookie` value to send. */
export interface LoginResult<Data extends SessionData = SessionData> {
  session: Session<Data>;
  token: string;
  setCookie: string;
}

/** The framework-free session API. Adapters are thin wrappers over it. */
export interface SessionManager<Data extends SessionData = SessionData> {
  readonly store: SessionStore;
  readonly cookieName: string;
  readonly idleTimeoutSeconds: number;
  readonly absoluteTimeoutSeconds: number;
  /** Reads and slides the session of a request. Costs one store command when a cookie is present, none otherwise. */
  authenticate(request: Request): Promise<SessionLookup<Data>>;
  /** Looks a token up directly (e.g. from an `Authorization` header). `null` if malformed, unknown or expired. */
  validateToken(token: string): Promise<Session<Data> | null>;
  /**
   * Creates a session for `userId`. Any session the request's cookie names is destroyed in the same
   * round trip (rotation); a client-chosen id is never adopted.
   */
  login(request: Request, input: { userId: string; data?: Data }): Promise<LoginResult<Data>>;
  /** Destroys the request's session, if any. `clearCookie` is set when the request sent a session cookie. */
  logout(request: Request): Promise<{ clearCookie: string | null }>;
  /** Replaces the session's data. `null` if the session ended meanwhile (it is not recreated). */
  update(session: Session<Data>, data: Data): Promise<Session<Data> | null>;
  /** Destroys a session by id. */
  destroy(sessionId: string): Promise<void>;
  /** `Set-Cookie` value that deletes the session cookie for this request's scheme. */
  clearCookie(request: Request): string;
}

const MAX_TIMEOUT_SECONDS = 400 * 24 * 3600; // browsers cap cookie lifetimes at 400 days

function assertPositiveInteger(name: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new ConfigError(`${name} must be a whole number of seconds between 1 and ${max}, got ${String(value)}`);
  }
}

const utf8 = new TextEncoder();

/**
 * Creates the session manager.
 *
 * @example
 * ```ts
 * import { createSessionManager } from "tessera";
 * import { createMemoryStore } from "tessera/memory";
 *
 * const sessions = createSessionManager<{ theme: string }>({ store: createMemoryStore() });
 * const { setCookie } = await sessions.login(request, { userId: "ada", data: { theme: "dark" } });
 * const lookup = await sessions.authenticate(nextRequest); // { status: "active", session, token }
 * ```
 */
export function createSessionManager<Data extends SessionData = Record<string, never>>(
  options: SessionManagerOptions,
): SessionManager<Data> {
  const store = options.store;
  if (!store || typeof store.readAndExtend !== "function") {
    throw new ConfigError("options.store is required: pass createMemoryStore() from tessera/memory or a Redis store from tessera/redis");
  }
  const idleTimeoutSeconds = options.idleTimeoutSeconds ?? 900;
  const absoluteTimeoutSeconds = options.absoluteTimeoutSeconds ?? 43_200;
  assertPositiveInteger("idleTimeoutSeconds", idleTimeoutSeconds, MAX_TIMEOUT_SECONDS);
  assertPositiveInteger("absoluteTimeoutSeconds", absoluteTimeoutSeconds, MAX_TIMEOUT_SECONDS);
  const maxRecordBytes = options.maxRecordBytes ?? 4096;
  const maxUserIdLength = options.maxUserIdLength ?? 256;
  assertPositiveInteger("maxRecordBytes", maxRecordBytes, 1 << 20);
  assertPositiveInteger("maxUserIdLength", maxUserIdLength, 4096);

  const cookieName = options.cookie?.name ?? "session_id";
  const secureOption = options.cookie?.secure ?? "auto";
  const baseAttributes: Omit<CookieAttributes, "secure"> = {
    path: options.cookie?.path ?? "/",
    domain: options.cookie?.domain,
    sameSite: options.cookie?.sameSite ?? "Lax",
    httpOnly: true,
  };
  assertValidCookieConfig(cookieName, secureOption, baseAttributes);
  const persistent = options.cookie?.persistent ?? false;

  const sha256 = options.sha256 ?? webCryptoSha256;
  const randomBytes = options.randomBytes ?? webCryptoRandomBytes;
  const now = options.now ?? Date.now;
  const idleTtlMs = idleTimeoutSeconds * 1000;

  function attributesFor(request: Request): CookieAttributes {
    const secure = secureOption === "auto" ? request.url.startsWith("https:") : secureOption;
    return { ...baseAttributes, secure };
  }

  function clearCookie(request: Request): string {
    return serializeClearingCookie(cookieName, attributesFor(request));
  }

  function toSession(sessionId: string, record: SessionRecord, nowMs: number): Session<Data> {
    const absoluteExpiresAtMs = record.absoluteExpiresAtSeconds * 1000;
    return {
      id: sessionId,
      userId: record.userId,
      data: record.data as Data,
      createdAt: new Date(record.createdAtSeconds * 1000),
      expiresAt: new Date(Math.min(nowMs + idleTtlMs, absoluteExpiresAtMs)),
      absoluteExpiresAt: new Date(absoluteExpiresAtMs),
    };
  }

  function encodeChecked(record: SessionRecord): void {
    let encoded: string;
    try {
      encoded = encodeSessionRecord(record);
    } catch (error) {
      throw new SessionInputError(`session data must be JSON-serializable: ${(error as Error).message}`);
    }
    const bytes = utf8.encode(encoded).length;
    if (bytes > maxRecordBytes) {
      throw new SessionInputError(`session is ${bytes} bytes encoded, limit is maxRecordBytes = ${maxRecordBytes}; keep large data elsewhere and store its id`);
    }
  }

  async function validateToken(token: string): Promise<Session<Data> | null> {
    if (!isWellFormedToken(token)) return null;
    const sessionId = await deriveSessionId(token, sha256);
    const record = await store.readAndExtend(sessionId, idleTtlMs);
    if (record === null) return null;
    const nowMs = now();
    if (nowMs >= record.absoluteExpiresAtSeconds * 1000) {
      // The key outlived its absolute deadline because sliding sets a plain idle TTL (one command
      // instead of read-then-cap). Remove it now; if the store hiccups, its TTL still reaps it.
      await store.destroy(sessionId).catch(() => undefined);
      return null;
    }
    return toSession(sessionId, record, nowMs);
  }

  return {
    store,
    cookieName,
    idleTimeoutSeconds,
    absoluteTimeoutSeconds,
    clearCookie,
    validateToken,

    async authenticate(request) {
      const value = readCookie(request.headers.get("cookie"), cookieName);
      if (!value) return { status: "anonymous" };
      const session = await validateToken(value);
      if (session === null) return { status: "invalid", clearCookie: clearCookie(request) };
      return { status: "active", session, token: value };
    },

    async login(request, input) {
      const { userId } = input;
      if (typeof userId !== "string" || userId.length === 0 || userId.length > maxUserIdLength) {
        throw new SessionInputError(`userId must be a non-empty string of at most ${maxUserIdLength} characters (maxUserIdLength)`);
      }
      const nowMs = now();
      const createdAtSeconds = Math.floor(nowMs / 1000);
      const record: SessionRecord = {
        userId,
        createdAtSeconds,
        absoluteExpiresAtSeconds: createdAtSeconds + absoluteTimeoutSeconds,
        data: input.data ?? {},
      };
      encodeChecked(record);

      const previous = readCookie(request.headers.get("cookie"), cookieName);
      const replacesSessionId = previous && isWellFormedToken(previous) ? await deriveSessionId(previous, sha256) : undefined;
      const token = generateToken(randomBytes);
      const sessionId = await deriveSessionId(token, sha256);
      const ttlMs = Math.min(idleTimeoutSeconds, absoluteTimeoutSeconds) * 1000;
      await store.create(sessionId, record, { ttlMs, replacesSessionId });

      const attributes = attributesFor(request);
      if (persistent) attributes.maxAgeSeconds = absoluteTimeoutSeconds;
      return { session: toSession(sessionId, record, nowMs), token, setCookie: serializeCookie(cookieName, token, attributes) };
    },

    async logout(request) {
      const value = readCookie(request.headers.get("cookie"), cookieName);
      if (value === undefined) return { clearCookie: null };
      if (isWellFormedToken(value)) await store.destroy(await deriveSessionId(value, sha256));
      return { clearCookie: clearCookie(request) };
    },

    async update(session, data) {
      const record: SessionRecord = {
        userId: session.userId,
        createdAtSeconds: Math.floor(session.createdAt.getTime() / 1000),
        absoluteExpiresAtSeconds: Math.floor(session.absoluteExpiresAt.getTime() / 1000),
        data,
      };
      encodeChecked(record);
      const updated = await store.update(session.id, record);
      return updated ? { ...session, data } : null;
    },

    async destroy(sessionId) {
      await store.destroy(sessionId);
    },
  };
}
