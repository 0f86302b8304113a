import type { Hono } from "hono";
import type { SessionManager, SessionSummary } from "tessera";
import { isWellFormedSessionHandle } from "tessera";
import { requireSession, type ServerEnv, type ServerSessionData } from "./require-session.js";

/** A device-list entry as JSON: snake_case like the seed's API, times in ISO 8601. */
function toJson(summary: SessionSummary) {
  return {
    handle: summary.handle,
    user_agent: summary.userAgent,
    ip: summary.ip,
    created_at: summary.createdAt.toISOString(),
    last_seen_at: summary.lastSeenAt.toISOString(),
    expires_at: summary.expiresAt.toISOString(),
    absolute_expires_at: summary.absoluteExpiresAt.toISOString(),
    current: summary.current,
  };
}

/**
 * "Where am I logged in": the caller's sessions, and signing them out. Protected like
 * `/profile/` (403 without a cookie, 404 with a dead one, 503 when the store is down). A handle
 * that is not the caller's gets the same 404 as one that does not exist, so handles cannot be
 * probed.
 */
export function mountDevicesApi(app: Hono<ServerEnv>, sessions: SessionManager<ServerSessionData>): void {
  app.get("/sessions", async (c) => {
    const current = await requireSession(c);
    if (current instanceof Response) return current;
    return c.json({ sessions: (await sessions.listSessions(current.session)).map(toJson) });
  });

  app.delete("/sessions/:handle", async (c) => {
    const current = await requireSession(c);
    if (current instanceof Response) return current;
    const handle = c.req.param("handle");
    // A malformed handle (a bare bucket, a pasted token) gets the same 404 as an unknown one,
    // without reaching the store. The caller's own cookie was checked first, so the answer without
    // one stays 403.
    if (!isWellFormedSessionHandle(handle) || !(await sessions.revokeSession(current.session, handle))) return c.json({ detail: "Session not found" }, 404);
    // Signing out this very device: the cookie is dead now, so clear it too.
    if (handle === current.session.id) c.header("Set-Cookie", sessions.clearCookie(c.req.raw), { append: true });
    return c.body(null, 204);
  });

  app.post("/sessions/revoke-others", async (c) => {
    const current = await requireSession(c);
    if (current instanceof Response) return current;
    return c.json({ revoked: await sessions.revokeOtherSessions(current.session) });
  });
}
