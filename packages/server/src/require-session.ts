import type { Context } from "hono";
import type { SessionEnv } from "tessera/hono";
import type { Session } from "tessera";

/** The seed's JSON messages for a missing or dead session, byte for byte. */
export const SESSION_MESSAGES = {
  noCookie: "No session cookie found",
  notFound: "Session not found or expired",
} as const;

export type ServerSessionData = Record<string, never>;
export type ServerEnv = SessionEnv<ServerSessionData>;

/**
 * The request's live session with its token, or the response the seed gives without one: 403 when
 * no cookie was sent, 404 (cookie cleared by the middleware) when it names no live session.
 */
export async function requireSession(c: Context<ServerEnv>): Promise<{ session: Session<ServerSessionData>; token: string } | Response> {
  const lookup = await c.var.sessions.lookup();
  if (lookup.status === "anonymous") return c.json({ detail: SESSION_MESSAGES.noCookie }, 403);
  if (lookup.status === "invalid") return c.json({ detail: SESSION_MESSAGES.notFound }, 404);
  return lookup;
}
