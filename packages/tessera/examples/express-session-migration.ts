// The README's "Moving from express-session" example, compiled by `npm run typecheck` and exercised
// by test/integration/express-session-import.test.ts against a real express-session app.
import type { RequestHandler } from "express";
import { HeaderRecordRequest, readCookie, type SessionManager } from "tessera";
import type { ExpressSessionImport } from "tessera/redis";

/**
 * Mount before `sessionMiddleware`. A request that still carries express-session's cookie and no
 * tessera one is signed in again under tessera, and goes on as that new session: nobody is logged
 * out by the move. express-session's cookie is cleared once read; its session is deleted once
 * converted.
 */
export function fromExpressSession(sessions: SessionManager, importer: ExpressSessionImport, oldCookieName = "connect.sid"): RequestHandler {
  return async (req, res, next) => {
    const old = readCookie(req.headers.cookie, oldCookieName);
    if (old === undefined || readCookie(req.headers.cookie, sessions.cookieName) !== undefined) return next();
    try {
      const converted = await importer.convert(old, {
        create: ({ userId }) => sessions.login(new HeaderRecordRequest(req, req.headers), { userId, ip: req.ip }),
        // Another request with the same cookie converted it first: this one's session goes.
        discard: ({ session }) => sessions.revokeSession(session, session.id).then(() => undefined),
      });
      res.clearCookie(oldCookieName);
      if (converted !== null) {
        res.append("Set-Cookie", converted.setCookie);
        // The rest of this request sees the new session, as the browser's next requests will.
        req.headers.cookie = `${req.headers.cookie}; ${sessions.cookieName}=${converted.token}`;
      }
      next();
    } catch (error) {
      // Redis down: 503 through sessionErrorHandler; the old session stays, to be converted later.
      next(error);
    }
  };
}
