// The README's "Moving from express-session" example for Express, compiled by `npm run typecheck`
// and exercised by test/integration/express-session-import.test.ts against a real express-session app.
import type { RequestHandler } from "express";
import { HeaderRecordRequest, type SessionManager } from "tessera";
import type { ExpressSessionImport } from "tessera/redis";
import { type OldCookie, sessionMigration, withSessionCookie } from "./session-migration.js";

/**
 * Mount before `sessionMiddleware`. A request that still carries express-session's cookie and no
 * tessera one is signed in again under tessera, and goes on as that new session (see
 * `sessionMigration` for when the old cookie is cleared).
 */
export function fromExpressSession(sessions: SessionManager, importer: ExpressSessionImport, oldCookie: OldCookie = { name: "connect.sid" }): RequestHandler {
  const migrate = sessionMigration(sessions, importer, oldCookie);
  return (req, res, next) => {
    migrate({ cookieHeader: req.headers.cookie, sessionRequest: new HeaderRecordRequest(req, req.headers), ip: req.ip }).then((step) => {
      if (step === undefined) return next();
      for (const setCookie of step.setCookies) res.append("Set-Cookie", setCookie);
      // The rest of this request sees the new session, as the browser's next requests will.
      if (step.token !== undefined) req.headers.cookie = withSessionCookie(req.headers.cookie, sessions.cookieName, step.token);
      next();
    }, next); // Redis down: 503 through sessionErrorHandler
  };
}
