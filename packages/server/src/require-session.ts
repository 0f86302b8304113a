import type { Context } from "hono";
import type { SessionEnv } from "tessera/hono";
import type { Session } from "tessera";
import type { LegacySeedCookies } from "./legacy-seed-cookies.js";

/** The seed's JSON messages for a missing or dead session, byte for byte. */
export const SESSION_MESSAGES = {
  noCookie: "No session cookie found",
  notFound: "Session not found or expired",
} as const;

export type ServerSessionData = Record<string, never>;
export type ServerEnv = {
  Variables: SessionEnv<ServerSessionData>["Variables"] & {
    /** This request's id (`request-id.ts`), in every log line about it. */
    requestId: string;
    /** Set when `LEGACY_SEED_SESSIONS=true`: converts the tutorial's cookies. */
    legacySeed: LegacySeedCookies | undefined;
  };
};

/**
 * The request's live session with its token, or the response the seed gives without one: 403 when
 * no cookie was sent, 404 (cookie cleared by the middleware) when it names no live session. With
 * `LEGACY_SEED_SESSIONS=true` a cookie of the tutorial's app is converted here, on first use; one
 * that cannot be converted gets the 404 with its cookie left alone (see `LegacyCookieOutcome`).
 */
export async function requireSession(c: Context<ServerEnv>): Promise<{ session: Session<ServerSessionData>; token: string } | Response> {
  const lookup = await c.get("sessions").lookup();
  if (lookup.status === "anonymous") return c.json({ detail: SESSION_MESSAGES.noCookie }, 403);
  if (lookup.status === "invalid") {
    // Only after the miss, and (inside) only for a UUID-shaped cookie: other requests pay nothing.
    const legacy = await c.var.legacySeed?.convert(c);
    if (legacy?.status === "converted") return legacy;
    return c.json({ detail: SESSION_MESSAGES.notFound }, 404);
  }
  return lookup;
}
