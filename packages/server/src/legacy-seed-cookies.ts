import { Redis as UpstashRedis } from "@upstash/redis";
import type { Context } from "hono";
import { Redis } from "ioredis";
import { readCookie, SessionInputError, type Session, type SessionManager } from "tessera";
import { ioredisConnection, isLegacySeedSessionId, legacySeedSessions, recommendedIoredisOptions, type LegacySeedSessions } from "tessera/redis";
import { recommendedUpstashOptions, upstashConnection } from "tessera/upstash";
import type { ServerConfig } from "./config.js";
import type { ServerSessionData } from "./require-session.js";

/**
 * `LEGACY_SEED_SESSIONS=true`: the tutorial's cookies (a bare UUID naming `session:<uuid>` in its
 * Redis) are accepted once, on the routes that need a session, and swapped for a tessera session.
 */

/** What a request's cookie turned out to be, from the tutorial's side. */
export type LegacyCookieOutcome =
  /** Converted now: the request goes on with this session; its cookie is already set on the response. */
  | { status: "converted"; session: Session<ServerSessionData>; token: string }
  /**
   * Shaped like a tutorial cookie, but no tutorial session to convert: expired, or another
   * request with the same cookie converted it a moment ago and is setting the new cookie. The
   * cookie must not be cleared then: that response could reach the browser after the new cookie.
   */
  | { status: "not_found" }
  /** Not shaped like a tutorial cookie (no round trip was spent on it). */
  | { status: "not_legacy" };

/** The per-request side of the conversion, handed to the routes through `c.var.legacySeed`. */
export interface LegacySeedCookies {
  /** Converts the request's tutorial cookie, if it has one; see {@link LegacyCookieOutcome}. */
  convert(c: Context): Promise<LegacyCookieOutcome>;
  /** Logout with a tutorial cookie: deletes the tutorial session too. */
  remove(c: Context): Promise<void>;
  /** Closes the connection to the tutorial's Redis. */
  close(): Promise<void>;
}

/** Options of {@link legacySeedCookies}. */
export interface LegacySeedCookiesOptions {
  /** The client address recorded with the new session. */
  clientIp?: ((c: Context) => string | undefined) | undefined;
  /** Called once per converted session (metrics). */
  onConverted?: () => void;
}

/**
 * The request glue over the library's `legacySeedSessions`: reads the session cookie, converts
 * through the session manager (the new session's `Set-Cookie` replaces the clearing one the
 * middleware wrote for the unknown cookie), and ends a losing racer's session.
 */
export function legacySeedCookies(
  legacy: LegacySeedSessions,
  sessions: SessionManager<ServerSessionData>,
  options: LegacySeedCookiesOptions & { close: () => Promise<void> },
): LegacySeedCookies {
  const cookieOf = (c: Context) => readCookie(c.req.header("cookie"), sessions.cookieName);
  return {
    async convert(c) {
      const value = cookieOf(c);
      if (value === undefined || !isLegacySeedSessionId(value)) return { status: "not_legacy" };
      let converted;
      try {
        converted = await legacy.convert(value, {
          create: ({ userId }) => sessions.login(c.req.raw, { userId, ip: options.clientIp?.(c) }),
          discard: ({ session }) => sessions.revokeSession(session, session.id).then(() => undefined),
        });
      } catch (error) {
        // A tutorial user name tessera cannot store (over 256 characters, not well-formed Unicode):
        // left in place, and the user logs in again.
        if (error instanceof SessionInputError) converted = null;
        else throw error;
      }
      // Either way the middleware's clearing cookie goes: replaced by the new one, or dropped (see not_found).
      c.header("Set-Cookie", converted === null ? undefined : converted.setCookie);
      if (converted === null) return { status: "not_found" };
      options.onConverted?.();
      return { status: "converted", session: converted.session, token: converted.token };
    },
    async remove(c) {
      const value = cookieOf(c);
      if (value !== undefined) await legacy.remove(value);
    },
    close: options.close,
  };
}

/**
 * Connects to the tutorial's Redis — the one the configuration names (`REDIS_URL`, or Upstash as
 * in the tutorial) — with a connection of its own, so the session store's stays untouched.
 */
export function openLegacySeedSessions(config: ServerConfig): { legacy: LegacySeedSessions; close: () => Promise<void> } {
  if (config.upstash !== undefined) {
    const client = new UpstashRedis({ url: config.upstash.url, token: config.upstash.token, ...recommendedUpstashOptions(1000) });
    const connection = upstashConnection(client, { description: `upstash ${new URL(config.upstash.url).host}` });
    return { legacy: legacySeedSessions({ connection }), close: () => connection.close() };
  }
  if (config.redisUrl === undefined) {
    throw new Error("LEGACY_SEED_SESSIONS needs REDIS_URL or UPSTASH_REDIS_REST_URL (readOperationsConfig checks this)");
  }
  const client = new Redis(config.redisUrl, recommendedIoredisOptions);
  // The session store's own client already logs outages; this one would only repeat them.
  client.on("error", () => undefined);
  const connection = ioredisConnection(client);
  return { legacy: legacySeedSessions({ connection }), close: () => connection.close() };
}
