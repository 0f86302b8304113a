import { readCookie } from "./cookie.js";
import { withHttpResponse } from "./http-errors.js";
import type { DataPatch, SessionData } from "./record.js";
import {
  type LoginResult,
  laterLiveCookie,
  mayRepeatCookie,
  type Session,
  type SessionLookup,
  type SessionManager,
  type SessionRequest,
  type SessionSummary,
  VALIDATE_TOKEN_THEN,
  type ValidateTokenThen,
} from "./session.js";

export type { SessionRequest } from "./session.js";

/**
 * The per-request session API every adapter exposes (`c.var.sessions`, `req.sessions`,
 * `request.sessions`, `getSessions(…)`), written once here so the adapters stay thin and agree.
 */

/** Request headers as Node's `http` module and frameworks built on it hold them: lower-case names. */
export type HeaderRecord = Readonly<Record<string, string | string[] | undefined>>;

/**
 * A {@link SessionRequest} over Node-style request headers (Express, Fastify), without building a
 * Web `Request`. `scheme` is the request's protocol as the framework resolved it (`"https"`), or
 * an object whose `protocol` says it — the framework's request itself (`req`, `request`), so that
 * a `protocol` getter (which consults proxy settings) runs only when a cookie is written.
 */
export class HeaderRecordRequest implements SessionRequest {
  // One object that is its own `headers`, and `url` built only when read (logins, cleared
  // cookies): one of these is made for every request, and most only read the cookie.
  constructor(
    private readonly scheme: string | { readonly protocol: string },
    private readonly record: HeaderRecord,
  ) {}

  get url(): string {
    return `${typeof this.scheme === "string" ? this.scheme : this.scheme.protocol}://`;
  }

  get headers(): { get(name: string): string | null } {
    return this;
  }

  get(name: string): string | null {
    const value = this.record[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
  }
}

/** What a handler can do with the session of its request. */
export interface RequestSessionsApi<Data extends SessionData = SessionData> {
  /**
   * Reads (and slides) the request's session. The first call costs one store command; later calls
   * in the same request reuse its answer. When the cookie names no live session, the response
   * clears it.
   */
  lookup(): Promise<SessionLookup<Data>>;
  /** The live session, or `null`: {@link lookup} for handlers that only care whether there is one. */
  session(): Promise<Session<Data> | null>;
  /**
   * Logs in (rotating any session the request had) and sets the cookie on the response.
   * `persistent` is "remember me" for this login (see `LoginInput`).
   */
  login(input: { userId: string; data?: Data; persistent?: boolean }): Promise<LoginResult<Data>>;
  /** Destroys the request's session, if any, and clears the cookie. */
  logout(): Promise<void>;
  /** Changes data keys of the request's session, writing only those. `null` without a live session. */
  patch(change: DataPatch<Data>): Promise<Session<Data> | null>;
  /**
   * Replaces all data of the request's session. `null` without a live session. Prefer
   * {@link patch} when a request changes some keys: two requests updating at once each write their
   * whole copy, and the later one drops the other's change.
   */
  update(data: Data): Promise<Session<Data> | null>;
  /** The live sessions of the request's user (the caller's own marked `current`); `null` without a session. */
  listSessions(): Promise<SessionSummary[] | null>;
  /**
   * Ends one of the request user's sessions by handle; ending the caller's own also clears its
   * cookie. `false` without a session or if no such session is theirs.
   */
  revokeSession(handle: string): Promise<boolean>;
  /** Ends every other session of the request's user; how many. `0` without a session. */
  revokeOtherSessions(): Promise<number>;
}

/**
 * One request's view of its session; each adapter extends it with how its framework appends a
 * `Set-Cookie` header. Every failure of the store is rethrown as a `StoreUnavailableResponseError`,
 * so the framework's default error handling answers 503 with `Retry-After` even where the app
 * installed no error handler.
 */
export abstract class RequestSessions<Data extends SessionData = SessionData> implements RequestSessionsApi<Data> {
  // One object per request with its methods on the prototype, and no closure per request: this
  // runs on every request, and per-request closures showed in read throughput.
  #lookup: Promise<SessionLookup<Data>> | undefined;
  /** The session a `login` of this request created: not in the request's cookies, so `logout` and a second `login` must end it themselves. */
  #created: Session<Data> | undefined;
  readonly #manager: SessionManager<Data>;
  readonly #request: SessionRequest;

  constructor(manager: SessionManager<Data>, request: SessionRequest) {
    this.#manager = manager;
    this.#request = request;
  }

  /**
   * Appends a `Set-Cookie` value to the response, never replacing other cookies, and sets
   * `Cache-Control: no-store` so no shared cache keeps a session.
   */
  protected abstract writeCookie(setCookie: string): void;

  /** The client address recorded with a login, for device lists. @default undefined (none recorded) */
  protected clientIp(): string | undefined {
    return undefined;
  }

  lookup(): Promise<SessionLookup<Data>> {
    return (this.#lookup ??= this.#authenticate());
  }

  /**
   * `manager.authenticate`, inlined: the same steps (first cookie of the name, `validateToken`,
   * clear a cookie that names no live session) without its promise layer, and not async (one
   * `then` on the manager's answer): every request that reads its session comes through here.
   */
  #authenticate(): Promise<SessionLookup<Data>> {
    // A failure carries its HTTP response, and stays cached in `lookup()`: asking again in the same
    // request must not hit a failing store again. It rejects, never throws, as the async function
    // this was.
    try {
      const header = this.#request.headers.get("cookie");
      const token = readCookie(header, this.#manager.cookieName);
      // An empty first value (a planted `session_id=`) must not hide a live later one either.
      if (!token) return Promise.resolve(this.#laterCookie(header, token));
      const onSession = (session: Session<Data> | null): SessionLookup<Data> | Promise<SessionLookup<Data>> =>
        session !== null ? { status: "active", session, token } : this.#laterCookie(header, token);
      const validateTokenThen = (this.#manager as { [VALIDATE_TOKEN_THEN]?: ValidateTokenThen<Data> })[VALIDATE_TOKEN_THEN];
      return validateTokenThen !== undefined && validateTokenThen.validateToken === this.#manager.validateToken
        ? validateTokenThen(token, onSession, rethrowWithResponse)
        : this.#manager.validateToken(token).then(onSession, rethrowWithResponse);
    } catch (error) {
      return Promise.reject(withHttpResponse(error));
    }
  }

  /**
   * The lookup when the first session cookie (`first`: absent, empty or dead) names no live
   * session: a later value of a cookie sent again (another path, a sibling subdomain's) may be
   * live, and clearing would end it (see `laterLiveCookie`). Else anonymous, or invalid and cleared.
   */
  #laterCookie(header: string | null, first: string | undefined): SessionLookup<Data> | Promise<SessionLookup<Data>> {
    const none = (): SessionLookup<Data> => (first ? this.#invalid() : { status: "anonymous" });
    if (!mayRepeatCookie(header, this.#manager.cookieName)) return none();
    return laterLiveCookie(this.#manager, header, first ?? "").then(
      (later) => (later === null ? none() : { status: "active", session: later.session, token: later.token }),
      rethrowWithResponse,
    );
  }

  /** The lookup of a cookie that names no live session, which is cleared on the response. */
  #invalid(): SessionLookup<Data> {
    const clearCookie = this.#manager.clearCookie(this.#request);
    this.writeCookie(clearCookie);
    return { status: "invalid", clearCookie };
  }

  async session(): Promise<Session<Data> | null> {
    const lookup = await this.lookup();
    return lookup.status === "active" ? lookup.session : null;
  }

  // Not async: one `then` on the manager's answer (every login of every adapter comes through here).
  login(input: { userId: string; data?: Data; persistent?: boolean }): Promise<LoginResult<Data>> {
    let created: Promise<LoginResult<Data>>;
    try {
      created = this.#manager.login(this.#request, { userId: input.userId, data: input.data, ip: this.clientIp(), persistent: input.persistent });
    } catch (error) {
      return Promise.reject(withHttpResponse(error));
    }
    return created.then((result) => {
      const earlier = this.#created;
      this.#created = result.session;
      this.#lookup = Promise.resolve({ status: "active", session: result.session, token: result.token });
      this.writeCookie(result.setCookie);
      // A second login in one request: the first one's session is replaced too (its cookie is
      // overwritten by this one's), or it would live on with no cookie anywhere. Best effort.
      return earlier === undefined ? result : this.#endCreated(earlier).then(() => result);
    }, rethrowWithResponse);
  }

  async logout(): Promise<void> {
    const { clearCookie } = await this.#manager.logout(this.#request).catch(rethrowWithResponse);
    this.#lookup = Promise.resolve({ status: "anonymous" });
    // A session this request's own login created is not in the request's cookies: end it too.
    const created = this.#created;
    this.#created = undefined;
    if (created !== undefined) await this.#manager.revokeSession(created, created.id).catch(rethrowWithResponse);
    if (clearCookie !== null) this.writeCookie(clearCookie);
    else if (created !== undefined) this.writeCookie(this.#manager.clearCookie(this.#request));
  }

  /** Ends a session this request's login created, ignoring a failure (its idle timeout ends it anyway). */
  #endCreated(session: Session<Data>): Promise<void> {
    return this.#manager.revokeSession(session, session.id).then(
      () => undefined,
      () => undefined,
    );
  }

  patch(change: DataPatch<Data>): Promise<Session<Data> | null> {
    return this.#changeData((session) => this.#manager.patch(session, change));
  }

  update(data: Data): Promise<Session<Data> | null> {
    return this.#changeData((session) => this.#manager.update(session, data));
  }

  /** Writes the live session's data, and keeps what the store answered for later calls of this request. */
  async #changeData(write: (session: Session<Data>) => Promise<Session<Data> | null>): Promise<Session<Data> | null> {
    const current = await this.lookup();
    if (current.status !== "active") return null;
    const updated = await write(current.session).catch(rethrowWithResponse);
    if (updated !== null) this.#lookup = Promise.resolve({ ...current, session: updated });
    return updated;
  }

  async listSessions(): Promise<SessionSummary[] | null> {
    const session = await this.session();
    return session === null ? null : this.#manager.listSessions(session).catch(rethrowWithResponse);
  }

  async revokeSession(handle: string): Promise<boolean> {
    const session = await this.session();
    if (session === null) return false;
    const revoked = await this.#manager.revokeSession(session, handle).catch(rethrowWithResponse);
    if (revoked && handle === session.id) {
      // The caller ended its own session: its cookie is dead now, so clear it as logout does.
      this.#lookup = Promise.resolve({ status: "anonymous" });
      this.writeCookie(this.#manager.clearCookie(this.#request));
    }
    return revoked;
  }

  async revokeOtherSessions(): Promise<number> {
    const session = await this.session();
    return session === null ? 0 : this.#manager.revokeOtherSessions(session).catch(rethrowWithResponse);
  }
}

function rethrowWithResponse(error: unknown): never {
  throw withHttpResponse(error);
}
