import { encodeBase64Url } from "../../core/base64url.js";
import { ConfigError } from "../../core/errors.js";
import { type SessionConversion, type SessionImportOptions, sessionImportRoundTrips } from "./session-import.js";

/**
 * Sessions of express-session with connect-redis, read so that an app moving to tessera can sign
 * its users in again without asking them to. express-session puts `s:<id>.<signature>` in its
 * cookie (`connect.sid` by default), the signature being HMAC-SHA256 of the id under the app's
 * secret, base64 without padding; connect-redis keeps the session as JSON at `sess:<id>`.
 */

/** connect-redis's default key prefix. */
export const EXPRESS_SESSION_KEY_PREFIX = "sess:";

/** An express-session session as connect-redis stored it, with the user it belongs to. */
export interface ExpressSessionToImport {
  /** What `userIdOf` returned for it. */
  userId: string;
  /** The stored session object, `cookie` included, as JSON gave it back (dates are strings). */
  session: Record<string, unknown>;
}

/** What {@link ExpressSessionImport.convert} did with a cookie. */
export type ExpressSessionImportResult<T> =
  /** This call converted it: `created` is what `create` returned. */
  | { status: "converted"; created: T }
  /** Signed with none of the secrets, or not an express-session value: never convertible (no round trip was made). */
  | { status: "not_signed" }
  /** No such session: expired, ended, or converted already. */
  | { status: "missing" }
  /** A session nobody is logged into (a cart, say): left in place. */
  | { status: "anonymous" }
  /** Another call converted it at the same time; the session this one created was discarded. */
  | { status: "converted_elsewhere" };

/** Options of {@link expressSessionImport}: a connection to the Redis connect-redis uses, and a deadline. */
export interface ExpressSessionImportOptions extends SessionImportOptions {
  /**
   * express-session's `secret`. Give every secret it still accepts (a list, as express-session
   * takes it): a cookie signed with any of them is converted, one signed with none is ignored
   * without a round trip.
   */
  secret: ExpressSessionSecret | readonly ExpressSessionSecret[];
  /**
   * The user a stored session belongs to: `(s) => s.userId`, or with Passport
   * `(s) => (s.passport as { user?: unknown } | undefined)?.user` — the value Passport's
   * `serializeUser` stored. A number is taken as its decimal string; a session for which it returns
   * no non-empty string or number (nobody logged in) is left alone. When `serializeUser` stored a
   * whole user object, return its id.
   */
  userIdOf: (session: Record<string, unknown>) => unknown;
  /** connect-redis's `prefix`. @default "sess:" */
  keyPrefix?: string;
  /**
   * The shape of the session ids express-session made. Any other id in a signed cookie (one the
   * same secret signed for something else, as cookie-parser's signed cookies are) is not looked
   * up. @default /^[A-Za-z0-9_-]{32}$/ — express-session's own ids (24 random bytes, base64url);
   * give yours if `genid` made others
   */
  sessionIdPattern?: RegExp;
  /**
   * What precedes the signed id in the cookie: express-session writes `s:`; @fastify/session
   * writes its `cookiePrefix` option, none by default (see {@link fastifySessionImport}).
   * @default "s:"
   */
  cookiePrefix?: string;
}

/** A secret as express-session takes it: text, or raw bytes. */
export type ExpressSessionSecret = string | Uint8Array;

/** Reading and retiring express-session's sessions; see {@link expressSessionImport}. */
export interface ExpressSessionImport {
  /**
   * Converts the session the express-session cookie value names (the value as sent: express-session
   * URL-encodes it) into a new session, once, and says what it did (see
   * {@link ExpressSessionImportResult}); a cookie whose signature matches no secret costs no round
   * trip. Rejects with `userIdOf`'s error if it throws, and with
   * `StoreUnavailableError` when reading fails or Redis refuses the final `DEL`, or with
   * `create`'s error; the old session is then left in place. When the `DEL`'s outcome is unknown
   * (deadline, lost connection) it resolves with the new session all the same: a failure never
   * signs anyone out.
   */
  convert<T>(cookieValue: string, conversion: SessionConversion<ExpressSessionToImport, T>): Promise<ExpressSessionImportResult<T>>;
  /** Deletes the session a correctly signed cookie names (a logout before conversion). Whether one existed. */
  remove(cookieValue: string): Promise<boolean>;
  /**
   * The session id a cookie value carries if it has the cookie's prefix, its id the expected shape
   * (`sessionIdPattern`) and its signature matches a secret; else `null` (also for values over
   * 4,096 characters).
   */
  sessionIdOf(cookieValue: string): Promise<string | null>;
}

const utf8 = new TextEncoder();

/**
 * Reads express-session's sessions from connect-redis's keys, each converted into a tessera session
 * on first use: the cookie's signature checked against your secrets (a forged or foreign cookie
 * costs no round trip), then `GET` (a miss or a session without a user ends here), `create` (your
 * new session), and `DEL`, which decides a race between requests carrying the same cookie; a
 * failure never signs anyone out.
 *
 * @example
 * ```ts
 * const importer = expressSessionImport({
 *   connection: ioredisConnection(redis),
 *   secret: process.env.SESSION_SECRET!,
 *   userIdOf: (s) => (s.passport as { user?: unknown } | undefined)?.user,
 * });
 * const result = await importer.convert(oldCookieValue, {
 *   create: ({ userId }) => sessions.login(request, { userId }),
 *   discard: ({ session }) => sessions.revokeSession(session, session.id).then(() => undefined),
 * });
 * if (result.status === "converted") response.headers.append("Set-Cookie", result.created.setCookie);
 * ```
 * `examples/express-session-migration.ts` is a complete Express middleware.
 */
export function expressSessionImport(options: ExpressSessionImportOptions): ExpressSessionImport {
  const { send, convertOnce } = sessionImportRoundTrips(
    options,
    "express-session's Redis",
    "wrap the client connect-redis uses with ioredisConnection(client), nodeRedisConnection(client) or upstashConnection(client)",
  );
  const secrets: ExpressSessionSecret[] =
    typeof options.secret === "string" || options.secret instanceof Uint8Array ? [options.secret] : [...(options.secret ?? [])];
  if (secrets.length === 0 || secrets.some((secret) => !(typeof secret === "string" || secret instanceof Uint8Array) || secret.length === 0)) {
    throw new ConfigError("options.secret must be express-session's secret: a non-empty string or bytes, or a list of them");
  }
  if (options.sessionIdPattern !== undefined && !(options.sessionIdPattern instanceof RegExp)) {
    throw new ConfigError("options.sessionIdPattern must be a RegExp matching a whole session id, e.g. /^[0-9a-f-]{36}$/ for UUIDs");
  }
  // Without `g` and `y`, whose `test` would carry state from one cookie to the next.
  const sessionIdPattern = new RegExp(options.sessionIdPattern?.source ?? "^[A-Za-z0-9_-]{32}$", options.sessionIdPattern?.flags.replace(/[gy]/g, "") ?? "");
  const cookiePrefix = options.cookiePrefix ?? "s:";
  if (typeof options.userIdOf !== "function") {
    throw new ConfigError("options.userIdOf is required: the user a stored session belongs to, e.g. (s) => s.userId");
  }
  const keyPrefix = options.keyPrefix ?? EXPRESS_SESSION_KEY_PREFIX;
  // Imported once per secret: Web Crypto runs on every runtime tessera supports.
  let keys: Promise<CryptoKey[]> | undefined;
  const hmacKeys = () =>
    (keys ??= Promise.all(
      secrets.map((secret) =>
        globalThis.crypto.subtle.importKey(
          "raw",
          typeof secret === "string" ? utf8.encode(secret) : new Uint8Array(secret),
          { name: "HMAC", hash: "SHA-256" },
          false,
          ["sign"],
        ),
      ),
    ));

  async function sessionIdOf(cookieValue: string): Promise<string | null> {
    if (typeof cookieValue !== "string" || cookieValue.length > 4096) return null;
    let value = cookieValue;
    if (value.includes("%")) {
      try {
        value = decodeURIComponent(value);
      } catch {
        // As express-session's cookie parser does: a value that does not decode is used as is.
      }
    }
    // express-session reads only signed values ("s:"); the signature follows the last dot.
    const dot = value.lastIndexOf(".");
    if (!value.startsWith(cookiePrefix) || dot <= cookiePrefix.length) return null;
    const sessionId = value.slice(cookiePrefix.length, dot);
    const signature = value.slice(dot + 1);
    if (!sessionIdPattern.test(sessionId)) return null;
    for (const key of await hmacKeys()) {
      const mac = new Uint8Array(await globalThis.crypto.subtle.sign("HMAC", key, utf8.encode(sessionId)));
      if (sameText(base64WithoutPadding(mac), signature)) return sessionId;
    }
    return null;
  }

  async function read(key: string): Promise<ExpressSessionToImport | "missing" | "anonymous"> {
    const reply = await send(["GET", key]);
    if (typeof reply !== "string") return "missing";
    let session: unknown;
    try {
      session = JSON.parse(reply);
    } catch {
      return "missing";
    }
    if (session === null || typeof session !== "object" || Array.isArray(session)) return "missing";
    const user = options.userIdOf(session as Record<string, unknown>);
    const userId = typeof user === "number" && Number.isFinite(user) ? String(user) : user;
    if (typeof userId !== "string" || userId === "") return "anonymous";
    return { userId, session: session as Record<string, unknown> };
  }

  return {
    sessionIdOf,
    async convert(cookieValue, conversion) {
      const sessionId = await sessionIdOf(cookieValue);
      if (sessionId === null) return { status: "not_signed" };
      const key = keyPrefix + sessionId;
      const found = await read(key);
      if (typeof found === "string") return { status: found };
      const created = await convertOnce(key, found, conversion);
      return created === null ? { status: "converted_elsewhere" } : { status: "converted", created };
    },
    async remove(cookieValue) {
      const sessionId = await sessionIdOf(cookieValue);
      if (sessionId === null) return false;
      return (await send(["DEL", keyPrefix + sessionId])) === 1;
    },
  };
}

/** Standard base64 without `=` padding, as cookie-signature writes a signature: base64url's other two characters. */
const base64WithoutPadding = (bytes: Uint8Array): string => encodeBase64Url(bytes).replace(/[-_]/g, (character) => (character === "-" ? "+" : "/"));

/** Compares in time that depends on the lengths only, not on where the texts differ. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) difference |= a.charCodeAt(index) ^ b.charCodeAt(index);
  return difference === 0;
}

/**
 * Options of {@link fastifySessionImport}: those of {@link expressSessionImport}, where
 * `cookiePrefix` is @fastify/session's own option of that name (default `""`) and `secret` its
 * `secret`.
 */
export type FastifySessionImportOptions = ExpressSessionImportOptions;

/**
 * {@link expressSessionImport} for @fastify/session with connect-redis (or any store keeping its
 * sessions as JSON at `sess:<id>`): its cookie (`sessionId` by default) holds `<id>.<signature>`,
 * signed by @fastify/cookie the same way, with no prefix unless its `cookiePrefix` option set one.
 */
export function fastifySessionImport(options: FastifySessionImportOptions): ExpressSessionImport {
  return expressSessionImport({ ...options, cookiePrefix: options.cookiePrefix ?? "" });
}
