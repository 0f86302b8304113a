// The README's "Moving from express-session" example for Fastify (from @fastify/session), compiled
// by `npm run typecheck` and exercised by test/integration/express-session-import.test.ts against a
// real @fastify/session app.
import type { onRequestAsyncHookHandler } from "fastify";
import { HeaderRecordRequest, type SessionManager } from "tessera";
import type { ExpressSessionImport } from "tessera/redis";
import { type OldCookie, sessionMigration, withSessionCookie } from "./session-migration.js";

/**
 * An `onRequest` hook: a request that still carries @fastify/session's cookie and no tessera one
 * is signed in again under tessera, and goes on as that new session (see `sessionMigration`). A
 * store outage rejects, and Fastify answers 503 with `Retry-After`.
 */
export function fromFastifySession(
  sessions: SessionManager,
  importer: ExpressSessionImport,
  oldCookie: OldCookie = { name: "sessionId" },
): onRequestAsyncHookHandler {
  const migrate = sessionMigration(sessions, importer, oldCookie);
  return async (request, reply) => {
    const step = await migrate({ cookieHeader: request.headers.cookie, sessionRequest: new HeaderRecordRequest(request, request.headers), ip: request.ip });
    if (step === undefined) return;
    for (const setCookie of step.setCookies) reply.header("set-cookie", setCookie);
    // `request.sessions` reads the headers when first asked, so the route sees the new session.
    if (step.token !== undefined) request.headers.cookie = withSessionCookie(request.headers.cookie, sessions.cookieName, step.token);
  };
}
