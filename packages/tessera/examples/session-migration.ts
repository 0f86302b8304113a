// The framework-free part of the README's "Moving from express-session" examples
// (express-session-migration.ts, fastify-session-migration.ts), exercised by
// test/integration/express-session-import.test.ts against real express-session and @fastify/session apps.
import {
  type LoginResult,
  readCookie,
  type SessionManager,
  type SessionRequest,
  serializeClearingCookie,
  StoreUnavailableError,
  withHttpResponse,
} from "tessera";
import type { ExpressSessionImport, ExpressSessionImportResult } from "tessera/redis";

/** The old system's cookie: its name, and the `path`/`domain` it was set with (a cookie is only cleared with the same ones). */
export interface OldCookie {
  name: string;
  path?: string;
  domain?: string;
}

/** What a request carrying the old cookie does, once its conversion is settled. */
export interface MigrationStep {
  /** `Set-Cookie` values to add to the response: the new session's, the old cookie's clearing. */
  setCookies: string[];
  /** The new session's token: the rest of the request should see it as its session cookie. */
  token?: string;
}

/**
 * `migrate(request)`, for a request that still carries the old cookie and no tessera one: signs
 * its user in under tessera, once. Resolves with what the response should carry (`undefined`:
 * nothing to do), and rejects only with a `StoreUnavailableError` (answer 503: the old session
 * stays, to be converted later).
 *
 * The old cookie is cleared once converted or once its session is gone, and kept in every other
 * case (a session nobody logged into, a signature no listed secret matches, an error), so a
 * misconfigured secret costs no one their old session. A page's parallel first requests share
 * one conversion in this process, so each of them goes on as the new session.
 */
export function sessionMigration(sessions: SessionManager, importer: ExpressSessionImport, oldCookie: OldCookie) {
  const inFlight = new Map<string, Promise<ExpressSessionImportResult<LoginResult>>>();
  const clearOld = serializeClearingCookie(oldCookie.name, {
    path: oldCookie.path ?? "/",
    domain: oldCookie.domain,
    sameSite: "Lax",
    httpOnly: true,
    secure: false,
  });

  return async function migrate(request: { cookieHeader: string | undefined; sessionRequest: SessionRequest; ip?: string | undefined }) {
    const old = readCookie(request.cookieHeader, oldCookie.name);
    if (old === undefined || readCookie(request.cookieHeader, sessions.cookieName) !== undefined) return undefined;
    let converting = inFlight.get(old);
    if (converting === undefined) {
      converting = importer.convert(old, {
        create: ({ userId }) => sessions.login(request.sessionRequest, { userId, ip: request.ip }),
        // Another process converted the same cookie first: this one's session goes.
        discard: ({ session }) => sessions.revokeSession(session, session.id).then(() => undefined),
      });
      inFlight.set(old, converting);
      converting.then(
        () => inFlight.delete(old),
        () => inFlight.delete(old),
      );
    }
    let result: ExpressSessionImportResult<LoginResult>;
    try {
      result = await converting;
    } catch (error) {
      // With its HTTP answer (503, Retry-After), which Express and Fastify use as they find it.
      if (error instanceof StoreUnavailableError) throw withHttpResponse(error);
      // Anything else (a user id tessera refuses, a userIdOf that throws) would fail again: this
      // request goes on without a session, so the user can log in anew rather than be locked out.
      return undefined;
    }
    if (result.status === "converted") return { setCookies: [result.created.setCookie, clearOld], token: result.created.token } satisfies MigrationStep;
    if (result.status === "missing") return { setCookies: [clearOld] } satisfies MigrationStep;
    return undefined;
  };
}

/** `cookieHeader` with the new session's cookie added, for the rest of the request. */
export const withSessionCookie = (cookieHeader: string | undefined, name: string, token: string) => `${cookieHeader ?? ""}; ${name}=${token}`;
