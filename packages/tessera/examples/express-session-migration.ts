// The README's "Moving from express-session" example, compiled by `npm run typecheck` and exercised
// by test/integration/express-session-import.test.ts against a real express-session app.
import type { CookieOptions, RequestHandler } from "express";
import { HeaderRecordRequest, type LoginResult, readCookie, type SessionManager, StoreUnavailableError } from "tessera";
import type { ExpressSessionImport, ExpressSessionImportResult } from "tessera/redis";

/**
 * Mount before `sessionMiddleware`. A request that still carries express-session's cookie and no
 * tessera one is signed in again under tessera, and goes on as that new session. express-session's
 * cookie is cleared once converted, or once its session is gone; it is kept in every other case
 * (a cart nobody logged into, a signature no listed secret matches, an error), so a misconfigured
 * secret costs no one their old session: fix the secret and they are converted then.
 *
 * @param oldCookie express-session's cookie name, and the `path`/`domain` it was set with (a
 *   cookie is only cleared with the same ones).
 */
export function fromExpressSession(
  sessions: SessionManager,
  importer: ExpressSessionImport,
  // Not `maxAge`/`expires`: Express 4's clearCookie would let them override the clearing.
  oldCookie: { name: string; options?: Pick<CookieOptions, "path" | "domain" | "secure" | "sameSite"> } = { name: "connect.sid" },
): RequestHandler {
  // A page's parallel first requests carry the same cookie: in this process they share one
  // conversion, so each of them goes on as the new session (the store decides between processes).
  const inFlight = new Map<string, Promise<ExpressSessionImportResult<LoginResult>>>();
  return async (req, res, next) => {
    const old = readCookie(req.headers.cookie, oldCookie.name);
    if (old === undefined || readCookie(req.headers.cookie, sessions.cookieName) !== undefined) return next();
    let converting = inFlight.get(old);
    if (converting === undefined) {
      converting = importer.convert(old, {
        create: ({ userId }) => sessions.login(new HeaderRecordRequest(req, req.headers), { userId, ip: req.ip }),
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
      // Redis down: 503 through sessionErrorHandler; the old session stays, to be converted later.
      if (error instanceof StoreUnavailableError) return next(error);
      // Anything else (a user id tessera refuses, a userIdOf that throws) would fail again: this
      // request goes on without a session, so the user can log in anew rather than be locked out.
      return next();
    }
    if (result.status === "converted") {
      res.append("Set-Cookie", result.created.setCookie);
      // The rest of this request sees the new session, as the browser's next requests will.
      req.headers.cookie = `${req.headers.cookie}; ${sessions.cookieName}=${result.created.token}`;
    }
    if (result.status === "converted" || result.status === "missing") {
      res.clearCookie(oldCookie.name, oldCookie.options);
    }
    next();
  };
}
