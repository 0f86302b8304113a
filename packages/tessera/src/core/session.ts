import { readCookie, readCookieValues, serializeClearingCookie, serializeCookieAttributes } from "./cookie.js";
import { describeUserAgent, sanitizeIp } from "./device.js";
import { SessionInputError } from "./errors.js";
import { emitter } from "./events.js";
import { resolveOptions, type SessionManagerOptions } from "./options.js";
import { encodeDataPatch, encodeSessionRecord, type DataPatch, type SessionData, type SessionRecord } from "./record.js";
import { type ExpiredSession, readAndExtendThenOf, type SessionStore, type UserRef } from "./store.js";
import { generateToken, isWellFormedSessionHandle, isWellFormedToken, sessionDigestOf, sessionIdOf, TOKEN_BUCKET_LENGTH, userBucketOf } from "./token.js";
import { assertStorableUserId } from "./user-id.js";

export type { SessionCookieOptions, SessionManagerOptions } from "./options.js";

/** A live session, as seen by the application. */
export interface Session<Data extends SessionData = SessionData> {
  /** Store id and public handle: a hash of the token, safe to show and log; it cannot be used as a cookie. */
  readonly id: string;
  readonly userId: string;
  readonly data: Readonly<Data>;
  readonly createdAt: Date;
  /** Last recorded activity (recorded at most once per `touchIntervalSeconds`). */
  readonly lastSeenAt: Date;
  /** When the session ends if it is not used again (idle timeout, capped by the absolute one). */
  readonly expiresAt: Date;
  /** When the session ends regardless of activity. */
  readonly absoluteExpiresAt: Date;
}

/** One entry of a user's device list. Nothing in it can be replayed as a cookie. */
export interface SessionSummary {
  /** Public handle, for `revokeSession`. */
  handle: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  absoluteExpiresAt: Date;
  /** A short label such as "Firefox 132 on Linux". */
  userAgent: string;
  ip: string;
  /** Whether this is the session that asked. */
  current: boolean;
}

/**
 * The parts of a request the session manager reads: the `Cookie` and `User-Agent` headers, and the
 * scheme at the start of `url` (for `secure: "auto"`). Adapters build this from their framework's
 * request instead of a Web `Request`, whose constructor throws on methods such as TRACE and
 * whose URL parsing throws on a malformed `Host`.
 */
export interface SessionRequest {
  /** Only its scheme is read (`https:` or not); it is never parsed. */
  readonly url: string;
  readonly headers: { get(name: string): string | null };
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

/** What a login needs. */
export interface LoginInput<Data extends SessionData> {
  userId: string;
  data?: Data | undefined;
  /** The client's address as the adapter sees it, for the device list. */
  ip?: string | undefined;
  /**
   * "Remember me" for this login: `true` gives the cookie a `Max-Age` (the absolute timeout), so it
   * outlives the browser; `false` makes it a browser-session cookie. The session's own lifetime
   * is the same either way. @default the manager's `cookie.persistent`
   */
  persistent?: boolean | undefined;
}

/** The framework-free session API. Adapters are thin wrappers over it. */
export interface SessionManager<Data extends SessionData = SessionData> {
  readonly store: SessionStore;
  readonly cookieName: string;
  readonly idleTimeoutSeconds: number;
  readonly absoluteTimeoutSeconds: number;
  /** Reads and slides the session of a request: one store command when a cookie is present, none otherwise. */
  authenticate(request: SessionRequest): Promise<SessionLookup<Data>>;
  /** Looks a token up directly (e.g. from an `Authorization` header). `null` if malformed, unknown or expired. */
  validateToken(token: string): Promise<Session<Data> | null>;
  /**
   * Creates a session for `userId`. Any session the request's cookie names is destroyed in the
   * same round trip (rotation); a client-chosen id is never adopted.
   */
  login(request: SessionRequest, input: LoginInput<Data>): Promise<LoginResult<Data>>;
  /** Destroys the request's session, if any. `clearCookie` is set when the request sent a session cookie. */
  logout(request: SessionRequest): Promise<{ clearCookie: string | null }>;
  /**
   * Sets and deletes data keys, writing only those keys; concurrent patches of different keys all
   * survive. Returns the session with its data as stored after the merge, or `null` if the
   * session ended meanwhile (it is not recreated).
   */
  patch(session: Session<Data>, patch: DataPatch<Data>): Promise<Session<Data> | null>;
  /** Replaces all of the session's data. `null` if the session ended meanwhile. */
  update(session: Session<Data>, data: Data): Promise<Session<Data> | null>;
  /** The live sessions of the session's user, newest first, the caller's own marked `current`. */
  listSessions(session: Session<Data>): Promise<SessionSummary[]>;
  /** The live sessions of any user, newest first (for admin tools). Throws `SessionInputError` for a user id that is not well-formed Unicode. */
  listUserSessions(userId: string): Promise<SessionSummary[]>;
  /**
   * Ends one of the session user's sessions by handle. `false` if no such session of theirs
   * exists, and — without any store call — if `handle` is not a well-formed handle
   * (`isWellFormedSessionHandle`), such as a token or a bare bucket.
   */
  revokeSession(session: Session<Data>, handle: string): Promise<boolean>;
  /** Ends every other session of the session's user. Returns how many. */
  revokeOtherSessions(session: Session<Data>): Promise<number>;
  /** Ends every session of a user, e.g. after a password change. Returns how many. Throws `SessionInputError` for a user id that is not well-formed Unicode. */
  revokeAllSessions(userId: string): Promise<number>;
  /** `Set-Cookie` value that deletes the session cookie for this request's scheme. */
  clearCookie(request: SessionRequest): string;
}

const utf8 = new TextEncoder();

/** Session cookies of one request tried at most, the first included: each well-formed one costs a store read. */
const MAX_SESSION_COOKIES_TRIED = 3;

/**
 * Whether a `Cookie` header may name the session cookie more than once: the cheap test that
 * keeps {@link laterLiveCookie} off the path of every other request (a false "yes", for a cookie
 * whose name ends with this one's, only costs the closer look).
 */
export function mayRepeatCookie(header: string | null, cookieName: string): header is string {
  if (header === null) return false;
  const first = header.indexOf(`${cookieName}=`);
  return first !== -1 && header.lastIndexOf(`${cookieName}=`) !== first;
}

/**
 * The well-formed session-cookie values a request sent, distinct, the first one first, at most
 * {@link MAX_SESSION_COOKIES_TRIED}: `first` (what `readCookie` read) and, when the header names
 * the cookie again, the later values. Logout ends all of them and a login replaces all of them,
 * since the live one may be any (see {@link laterLiveCookie}).
 */
export function sessionCookieTokens(header: string | null, cookieName: string, first: string | undefined): string[] {
  const tokens = first !== undefined && isWellFormedToken(first) ? [first] : [];
  if (!mayRepeatCookie(header, cookieName)) return tokens;
  for (const value of readCookieValues(header, cookieName, 16)) {
    if (tokens.length >= MAX_SESSION_COOKIES_TRIED) break;
    if (isWellFormedToken(value) && !tokens.includes(value)) tokens.push(value);
  }
  return tokens;
}

/**
 * The first live session among the later values of a session cookie the request sent more than
 * once, after the first value (`first`, possibly empty or malformed) named none; `null` if none
 * does.
 *
 * Why: a browser sends the cookie with the longest path first, so a stale cookie of another path,
 * or one a sibling subdomain planted for the parent domain ("cookie tossing"), comes before the
 * app's own `Path=/` cookie. Reading only the first, the app answered "invalid" and cleared the
 * cookie it had set, the live one: the user was logged out on every request for as long as the
 * other cookie lived. At most {@link MAX_SESSION_COOKIES_TRIED} well-formed values are read in all.
 */
export async function laterLiveCookie<Data extends SessionData>(
  manager: Pick<SessionManager<Data>, "cookieName" | "validateToken">,
  header: string,
  first: string,
): Promise<{ session: Session<Data>; token: string } | null> {
  for (const token of sessionCookieTokens(header, manager.cookieName, first)) {
    if (token === first) continue; // already read
    const session = await manager.validateToken(token);
    if (session !== null) return { session, token };
  }
  return null;
}

/**
 * The manager's `validateToken(token).then(onSession, onError)` in one promise reaction, for
 * `RequestSessions` (the adapters' per-request API): a read of every adapter comes through it, and
 * each promise layer is a reaction and a microtask more per request. Not part of the public
 * interface; a manager without it (one made some other way) is read through `validateToken`.
 */
export const VALIDATE_TOKEN_THEN: unique symbol = Symbol("tessera.validateTokenThen");

/**
 * What {@link VALIDATE_TOKEN_THEN} names on a manager made by {@link createSessionManager}, with
 * the `validateToken` it stands for: a copy of the manager with its own `validateToken`
 * (`{ ...manager, validateToken: logged }`) carries the symbol along, and must be read through
 * its own function.
 */
export type ValidateTokenThen<Data extends SessionData> = (<R>(
  token: string,
  onSession: (session: Session<Data> | null) => R | PromiseLike<R>,
  onError?: (error: unknown) => never,
) => Promise<R>) & { readonly validateToken: SessionManager<Data>["validateToken"] };

const rethrow = (error: unknown): never => {
  throw error;
};
const sessionOrNull = <Data extends SessionData>(session: Session<Data> | null) => session;
const isThenable = <T>(value: T | PromiseLike<T>): value is PromiseLike<T> => typeof (value as { then?: unknown } | null)?.then === "function";

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
export function createSessionManager<Data extends SessionData = Record<string, unknown>>(options: SessionManagerOptions): SessionManager<Data> {
  const config = resolveOptions(options);
  const { store, cookieName, idleTimeoutSeconds, absoluteTimeoutSeconds, sha256, now } = config;
  const emit = emitter(config.onEvent);
  // The store's read and this manager's reaction in one, where the store offers it (the Redis
  // store over `sendOne`, `instrumentStore`'s wrapper).
  const readThen = readAndExtendThenOf(store);
  const idleTtlMs = idleTimeoutSeconds * 1000;

  // The cookie's attributes never change after construction, so every `Set-Cookie` this manager
  // writes is built here once per value of `Secure` (`secure: "auto"` picks one per request).
  function cookieTexts(secure: boolean) {
    const attributes = { ...config.cookieAttributes, secure };
    return {
      /** What follows `name=token` in a login's `Set-Cookie`, by whether the cookie is persistent. */
      loginAttributes: {
        persistent: serializeCookieAttributes({ ...attributes, maxAgeSeconds: absoluteTimeoutSeconds }),
        session: serializeCookieAttributes(attributes),
      },
      clear: serializeClearingCookie(cookieName, attributes),
    };
  }
  const secureCookieTexts = cookieTexts(true);
  const plainCookieTexts = cookieTexts(false);

  function cookieTextsFor(request: SessionRequest) {
    const secure = config.secure === "auto" ? request.url.startsWith("https:") : config.secure;
    return secure ? secureCookieTexts : plainCookieTexts;
  }

  function clearCookie(request: SessionRequest): string {
    return cookieTextsFor(request).clear;
  }

  function toSession(sessionId: string, record: SessionRecord, nowMs: number): Session<Data> {
    const absoluteExpiresAtMs = record.absoluteExpiresAtSeconds * 1000;
    return {
      id: sessionId,
      userId: record.userId,
      data: record.data as Data,
      createdAt: new Date(record.createdAtSeconds * 1000),
      lastSeenAt: new Date(record.lastSeenAtSeconds * 1000),
      expiresAt: new Date(Math.min(nowMs + idleTtlMs, absoluteExpiresAtMs)),
      absoluteExpiresAt: new Date(absoluteExpiresAtMs),
    };
  }

  /** The record encoded (as `encodeSessionRecord` does), once it is known to fit `maxRecordBytes`. */
  function encodeFitting(record: SessionRecord): string {
    let encoded: string;
    try {
      encoded = encodeSessionRecord(record);
    } catch (error) {
      throw new SessionInputError(`session data must be JSON-serializable: ${(error as Error).message}`);
    }
    // UTF-8 takes at most 3 bytes per UTF-16 code unit, so most records fit without being measured.
    if (encoded.length * 3 <= config.maxRecordBytes) return encoded;
    const bytes = utf8.encode(encoded).length;
    if (bytes > config.maxRecordBytes) {
      throw new SessionInputError(
        `session is ${bytes} bytes encoded, limit is maxRecordBytes = ${config.maxRecordBytes}; keep large data elsewhere and store its id`,
      );
    }
    return encoded;
  }

  function reportExpired(expired: readonly ExpiredSession[], reason: "idle" | "absolute"): void {
    for (const { sessionId, userId } of expired) emit({ type: "expired", sessionId, userId, reason });
  }

  async function userRef(userId: string): Promise<UserRef> {
    assertStorableUserId(userId);
    const bucket = userBucketOf(userId, sha256);
    return { userId, bucket: typeof bucket === "string" ? bucket : await bucket };
  }

  /**
   * Not async, and one `then` between the store's answer and the session: every authenticated
   * request comes through here, and each async layer is a promise and a microtask more.
   */
  function validateToken(token: string): Promise<Session<Data> | null> {
    return validateTokenThen(token, sessionOrNull);
  }

  /**
   * `validateToken(token).then(onSession, onError)` in one promise reaction: `RequestSessions`
   * reads every request's session through here (see {@link VALIDATE_TOKEN_THEN}).
   */
  function validateTokenThen<R>(
    token: string,
    onSession: (session: Session<Data> | null) => R | PromiseLike<R>,
    onError?: (error: unknown) => never,
  ): Promise<R> {
    try {
      if (!isWellFormedToken(token)) return Promise.resolve(null).then(onSession);
      // No `await` for a synchronous hash (nodeSha256). The session id in its two parts (see `READ_AND_EXTEND_THEN`).
      const bucket = token.slice(0, TOKEN_BUCKET_LENGTH);
      const digest = sessionDigestOf(token, sha256);
      return typeof digest === "string"
        ? readSessionThen(bucket, digest, onSession, onError)
        : digest.then((part) => readSessionThen(bucket, part, onSession, onError), onError);
    } catch (error) {
      // A token that is no string, or a hash or a store that throws instead of rejecting: this
      // rejects, as an async function would.
      const rejected = Promise.reject(error);
      return onError === undefined ? rejected : rejected.catch(onError);
    }
  }

  /**
   * Every failure of the read goes to `onError` (as `validateToken(…).then(onSession, onError)`
   * would send it there), also from a store that throws instead of rejecting: `onError` is how
   * `RequestSessions` attaches the 503 response.
   */
  function readSessionThen<R>(
    bucket: string,
    digest: string,
    onSession: (session: Session<Data> | null) => R | PromiseLike<R>,
    onError: ((error: unknown) => never) | undefined,
  ): Promise<R> {
    const sessionId = bucket + digest;
    const onRecord = (record: SessionRecord | null) => sessionThen(sessionId, record, onSession, onError);
    const onFailure = onError ?? rethrow;
    try {
      // The store's answer and the session in one reaction, where the store offers it.
      return readThen !== undefined
        ? readThen(bucket, digest, idleTtlMs, onRecord, onFailure)
        : store.readAndExtend(sessionId, idleTtlMs).then(onRecord, onFailure);
    } catch (error) {
      // A store that throws instead of rejecting.
      return Promise.reject(error).then(onRecord, onFailure);
    }
  }

  /** The rest of a read once the store answered: the session (or `null`) given to `onSession`. */
  function sessionThen<R>(
    sessionId: string,
    record: SessionRecord | null,
    onSession: (session: Session<Data> | null) => R | PromiseLike<R>,
    onError: ((error: unknown) => never) | undefined,
  ): R | PromiseLike<R> {
    let live: ReturnType<typeof liveSession>;
    try {
      live = record === null ? null : liveSession(sessionId, record);
    } catch (error) {
      // A touch or a destroy that throws instead of rejecting.
      if (onError === undefined) throw error;
      return onError(error);
    }
    // A second store call (an absolute deadline passed, a touch due) is the rare case: a reaction more.
    return isThenable(live) ? live.then(onSession, onError) : onSession(live);
  }

  /** The session of a record just read, or `null` past its absolute deadline; a promise only when a second store call is due. */
  function liveSession(sessionId: string, record: SessionRecord): Session<Data> | null | Promise<Session<Data> | null> {
    const nowMs = now();
    const nowSeconds = Math.floor(nowMs / 1000);
    if (nowMs >= record.absoluteExpiresAtSeconds * 1000) {
      // The key outlived its absolute deadline because sliding sets a plain idle TTL (one command
      // instead of read-then-cap). Remove it now; if the store hiccups, its TTL still reaps it.
      return store
        .destroy(sessionId)
        .catch(() => null)
        .then((removed) => {
          if (removed) emit({ type: "expired", sessionId, userId: record.userId, reason: "absolute" });
          return null;
        });
    }
    if (nowSeconds - record.lastSeenAtSeconds >= config.touchIntervalSeconds) {
      // A second command, at most once per interval; a failure only delays the next touch.
      return store
        .touch(sessionId, { createdAtSeconds: record.createdAtSeconds, lastSeenAtSeconds: nowSeconds })
        .catch(() => false)
        .then((touched) => {
          if (touched) record.lastSeenAtSeconds = nowSeconds;
          return toSession(sessionId, record, nowMs);
        });
    }
    return toSession(sessionId, record, nowMs);
  }

  async function sessionIdFor(token: string): Promise<string> {
    const derived = sessionIdOf(token, sha256);
    return typeof derived === "string" ? derived : await derived;
  }

  /** Destroys the session of a well-formed token the request presented, reporting it as a logout. */
  async function endSession(token: string): Promise<void> {
    const sessionId = await sessionIdFor(token);
    const removed = await store.destroy(sessionId);
    if (removed) emit({ type: "revoked", sessionId, userId: removed.userId, reason: "logout" });
  }

  async function list(user: UserRef, currentId: string | undefined): Promise<SessionSummary[]> {
    const nowMs = now();
    const { sessions, expired } = await store.listForUser(user, Math.floor(nowMs / 1000));
    reportExpired(expired, "idle");
    return sessions
      .filter(({ record }) => nowMs < record.absoluteExpiresAtSeconds * 1000)
      .map(({ sessionId, record, expiresInMs }) => ({
        handle: sessionId,
        createdAt: new Date(record.createdAtSeconds * 1000),
        lastSeenAt: new Date(record.lastSeenAtSeconds * 1000),
        expiresAt: new Date(Math.min(nowMs + expiresInMs, record.absoluteExpiresAtSeconds * 1000)),
        absoluteExpiresAt: new Date(record.absoluteExpiresAtSeconds * 1000),
        userAgent: record.device.userAgent,
        ip: record.device.ip,
        current: sessionId === currentId,
      }))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.handle < b.handle ? -1 : 1));
  }

  async function revoke(user: UserRef, filter: { onlySessionId?: string; exceptSessionId?: string }): Promise<number> {
    const destroyed = await store.destroyForUser(user, filter);
    for (const sessionId of destroyed) emit({ type: "revoked", sessionId, userId: user.userId, reason: "revoke" });
    return destroyed.length;
  }

  async function patch(session: Session<Data>, change: DataPatch<Data>): Promise<Session<Data> | null> {
    let encoded: ReturnType<typeof encodeDataPatch>;
    try {
      encoded = encodeDataPatch(change);
    } catch (error) {
      throw new SessionInputError(`session data must be JSON-serializable: ${(error as Error).message}`);
    }
    const outcome = await store.patch(session.id, encoded, config.maxRecordBytes);
    if (outcome.status === "too_large") {
      throw new SessionInputError(
        `session would exceed maxRecordBytes = ${config.maxRecordBytes} after this change; keep large data elsewhere and store its id`,
      );
    }
    if (outcome.status === "missing") return null;
    // The store's merged result, so changes other requests made meanwhile show too.
    return { ...session, data: outcome.record.data as Data };
  }

  const manager: SessionManager<Data> & { [VALIDATE_TOKEN_THEN]: ValidateTokenThen<Data> } = {
    store,
    cookieName,
    idleTimeoutSeconds,
    absoluteTimeoutSeconds,
    clearCookie,
    validateToken,
    [VALIDATE_TOKEN_THEN]: Object.assign(validateTokenThen, { validateToken }),
    patch,

    async authenticate(request) {
      const header = request.headers.get("cookie");
      const value = readCookie(header, cookieName);
      const session = value ? await validateToken(value) : null;
      if (session !== null) return { status: "active", session, token: value! };
      // The cookie sent again (another path, a sibling subdomain's): a later value may be live.
      const later = mayRepeatCookie(header, cookieName) ? await laterLiveCookie({ cookieName, validateToken }, header, value ?? "") : null;
      if (later !== null) return { status: "active", session: later.session, token: later.token };
      return value ? { status: "invalid", clearCookie: clearCookie(request) } : { status: "anonymous" };
    },

    async login(request, input) {
      const { userId } = input;
      if (typeof userId !== "string" || userId.length === 0 || userId.length > config.maxUserIdLength) {
        throw new SessionInputError(`userId must be a non-empty string of at most ${config.maxUserIdLength} characters (maxUserIdLength)`);
      }
      assertStorableUserId(userId);
      const nowMs = now();
      const nowSeconds = Math.floor(nowMs / 1000);
      const record: SessionRecord = {
        userId,
        device: { userAgent: describeUserAgent(request.headers.get("user-agent")), ip: sanitizeIp(input.ip) },
        createdAtSeconds: nowSeconds,
        absoluteExpiresAtSeconds: nowSeconds + absoluteTimeoutSeconds,
        lastSeenAtSeconds: nowSeconds,
        data: input.data ?? {},
      };
      const encodedRecord = encodeFitting(record);

      const header = request.headers.get("cookie");
      // Each session the request's cookies name: the first is replaced in the create's own round
      // trip, any other (the cookie sent twice) is ended after it.
      const [previous, ...alsoPresented] = sessionCookieTokens(header, cookieName, readCookie(header, cookieName));
      const replacesSessionId = previous === undefined ? undefined : await sessionIdFor(previous);
      const bucket = userBucketOf(userId, sha256);
      const token = generateToken(typeof bucket === "string" ? bucket : await bucket, config.randomBytes);
      const derived = sessionIdOf(token, sha256);
      const sessionId = typeof derived === "string" ? derived : await derived;
      const result = await store.create(sessionId, record, {
        ttlMs: Math.min(idleTimeoutSeconds, absoluteTimeoutSeconds) * 1000,
        indexTtlMs: (absoluteTimeoutSeconds + idleTimeoutSeconds) * 1000,
        replacesSessionId,
        maxSessionsPerUser: config.maxSessionsPerUser,
        nowSeconds,
        encodedRecord,
      });

      reportExpired(result.expired, "absolute");
      for (const evicted of result.evictedSessionIds) emit({ type: "revoked", sessionId: evicted, userId, reason: "evicted" });
      if (result.replaced && replacesSessionId !== undefined) emit({ type: "rotated", sessionId, previousSessionId: replacesSessionId, userId });
      emit({ type: "created", sessionId, userId });
      // Best effort: the login has succeeded, and a session left here still ends at its idle timeout.
      for (const token of alsoPresented) await endSession(token).catch(() => undefined);

      const { loginAttributes } = cookieTextsFor(request);
      const setCookie = `${cookieName}=${token}${(input.persistent ?? config.persistent) ? loginAttributes.persistent : loginAttributes.session}`;
      return { session: toSession(sessionId, record, nowMs), token, setCookie };
    },

    async logout(request) {
      const header = request.headers.get("cookie");
      const value = readCookie(header, cookieName);
      if (value === undefined) return { clearCookie: null };
      // Every session the request's cookies name: sent twice, the live one may be a later value,
      // and the clearing cookie ends the browser's copy of it.
      for (const token of sessionCookieTokens(header, cookieName, value)) await endSession(token);
      return { clearCookie: clearCookie(request) };
    },

    update: (session, data) => patch(session, { clear: true, set: data }),

    async listSessions(session) {
      return list(await userRef(session.userId), session.id);
    },

    async listUserSessions(userId) {
      return list(await userRef(userId), undefined);
    },

    async revokeSession(session, handle) {
      // Shape first: a short handle (a bare bucket, "") must not reach a store as "any session",
      // and a token pasted as a handle must not reach it at all.
      if (!isWellFormedSessionHandle(handle)) return false;
      return (await revoke(await userRef(session.userId), { onlySessionId: handle })) === 1;
    },

    async revokeOtherSessions(session) {
      return revoke(await userRef(session.userId), { exceptSessionId: session.id });
    },

    async revokeAllSessions(userId) {
      return revoke(await userRef(userId), {});
    },
  };
  return manager;
}
