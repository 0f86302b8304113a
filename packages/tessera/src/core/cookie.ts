import { ConfigError } from "./errors.js";

/**
 * Cookie parsing and serialization (RFC 6265bis), framework-free.
 *
 * Parsing rule for duplicates: `readCookie` gives the **first** pair with the wanted name. Browsers
 * send cookies with longer paths first, so the first one is the most specific — the one a `Path=/`
 * app wrote itself unless something else shadows it. When the first names no live session, the
 * session layer reads the later ones too (`readCookieValues`, `laterLiveCookie` in session.ts).
 */

/**
 * Returns the value of the first cookie called `name` in a `Cookie` header, unquoted, or
 * `undefined` when there is none.
 *
 * Pairs are separated by `;`. A `,` followed by `name=` also separates pairs, because the Fetch
 * `Headers` class joins repeated `Cookie` header lines (HTTP/2 sends one per cookie) with `", "`;
 * cookie values may not contain a comma (RFC 6265 §4.1.1 cookie-octet), so this split never cuts a
 * conforming value.
 */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let start = 0;
  const length = header.length;
  while (start < length) {
    let end = header.indexOf(";", start);
    if (end === -1) end = length;
    const found = readPairs(header, start, end, name);
    if (found !== undefined) return found;
    start = end + 1;
  }
  return undefined;
}

/**
 * Every value of the cookies called `name` in a `Cookie` header, in order, unquoted, at most
 * `limit` of them: for the rare request that carries the name more than once (see
 * `laterLiveCookie` in request-sessions.ts). {@link readCookie} is the hot path.
 */
export function readCookieValues(header: string | null | undefined, name: string, limit: number): string[] {
  const values: string[] = [];
  if (!header) return values;
  let start = 0;
  while (start < header.length && values.length < limit) {
    let end = header.indexOf(";", start);
    if (end === -1) end = header.length;
    let pairStart = start;
    while (pairStart < end && values.length < limit) {
      const pairEnd = pairEndOf(header, pairStart, end);
      const pair = header.slice(pairStart, pairEnd);
      const equals = pair.indexOf("=");
      if (equals !== -1 && pair.slice(0, equals).trim() === name) values.push(unquote(pair.slice(equals + 1).trim()));
      pairStart = pairEnd + 1;
    }
    start = end + 1;
  }
  return values;
}

/**
 * Where the pair starting at `pairStart` ends within `header[…, end)`: at a comma that starts a
 * new `name=` pair, else at `end` (a comma inside a non-conforming value belongs to the value).
 */
function pairEndOf(header: string, pairStart: number, end: number): number {
  const comma = header.indexOf(",", pairStart);
  return comma !== -1 && comma < end && /^\s*[^\s=;,]+=/.test(header.slice(comma + 1, end)) ? comma : end;
}

/**
 * Looks for `name` in `header[start, end)`, which may still hold comma-joined pairs. Names are
 * compared in place and only the wanted value is cut out: this runs on every request.
 */
function readPairs(header: string, start: number, end: number, name: string): string | undefined {
  let pairStart = start;
  while (pairStart < end) {
    const pairEnd = pairEndOf(header, pairStart, end);
    const equals = header.indexOf("=", pairStart);
    if (equals !== -1 && equals < pairEnd && isNameAt(header, pairStart, equals, name)) {
      return unquote(header.slice(equals + 1, pairEnd).trim());
    }
    pairStart = pairEnd + 1;
  }
  return undefined;
}

/** Whether `header[from, to)` is `name` with only whitespace around it: `header.slice(from, to).trim() === name`, without the copies. */
function isNameAt(header: string, from: number, to: number, name: string): boolean {
  while (from < to && isTrimmed(header.charCodeAt(from))) from++;
  while (to > from && isTrimmed(header.charCodeAt(to - 1))) to--;
  return to - from === name.length && header.startsWith(name, from);
}

/** Whether `String.prototype.trim` removes this UTF-16 code unit (ASCII tested directly, the rest by `\s`, which is trim's set). */
function isTrimmed(code: number): boolean {
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return /\s/.test(String.fromCharCode(code));
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/** Attributes of the session cookie. */
export interface CookieAttributes {
  /** `Path` attribute. @default "/" */
  path: string;
  /** `Domain` attribute; unset means host-only, which is safest. @default undefined */
  domain?: string | undefined;
  /** `SameSite` attribute. @default "Lax" */
  sameSite: "Strict" | "Lax" | "None";
  /** `HttpOnly`: page scripts cannot read the cookie. @default true */
  httpOnly: boolean;
  /** `Secure`: only sent over https. */
  secure: boolean;
  /** `Max-Age` in seconds; unset makes a browser-session cookie. @default undefined */
  maxAgeSeconds?: number | undefined;
}

/** Serializes a `Set-Cookie` value. `value` must already be cookie-safe (tokens are base64url). */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  return `${name}=${value}${serializeCookieAttributes(attributes)}`;
}

/**
 * The part of a `Set-Cookie` value after `name=value`: `; Path=/; HttpOnly; SameSite=Lax` and so
 * on. The attributes of a session cookie never change, so the manager builds this once.
 */
export function serializeCookieAttributes(attributes: CookieAttributes): string {
  let out = `; Path=${attributes.path}`;
  if (attributes.domain !== undefined) out += `; Domain=${attributes.domain}`;
  if (attributes.maxAgeSeconds !== undefined) out += `; Max-Age=${Math.floor(attributes.maxAgeSeconds)}`;
  if (attributes.httpOnly) out += "; HttpOnly";
  if (attributes.secure) out += "; Secure";
  out += `; SameSite=${attributes.sameSite}`;
  return out;
}

/** A `Set-Cookie` value that deletes the cookie (same name, path and domain; `Max-Age=0`). */
export function serializeClearingCookie(name: string, attributes: CookieAttributes): string {
  return serializeCookie(name, "", { ...attributes, maxAgeSeconds: 0 });
}

/** RFC 9110 token characters: what a cookie name may contain. */
const COOKIE_NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Checks a cookie configuration once, at construction, including the `__Host-` / `__Secure-`
 * prefix rules browsers enforce (RFC 6265bis §4.1.3): a cookie that breaks them is silently
 * dropped by the browser, which looks like "login does nothing".
 */
export function assertValidCookieConfig(name: string, secure: boolean | "auto", attributes: Omit<CookieAttributes, "secure">): void {
  if (!COOKIE_NAME_PATTERN.test(name)) {
    throw new ConfigError(`cookie.name ${JSON.stringify(name)} is not a valid cookie name: use letters, digits and !#$%&'*+-.^_\`|~ only`);
  }
  if (!attributes.path.startsWith("/") || /[;\s]/.test(attributes.path)) {
    throw new ConfigError(`cookie.path ${JSON.stringify(attributes.path)} must start with "/" and contain no ";" or spaces`);
  }
  if (attributes.domain !== undefined && !/^[A-Za-z0-9.-]+$/.test(attributes.domain)) {
    throw new ConfigError(`cookie.domain ${JSON.stringify(attributes.domain)} must be a bare host name such as "example.com"`);
  }
  if (attributes.sameSite === "None" && secure !== true) {
    throw new ConfigError('cookie.sameSite "None" requires cookie.secure: true (browsers drop SameSite=None cookies without Secure)');
  }
  if (name.startsWith("__Secure-") && secure !== true) {
    throw new ConfigError(`cookie.name ${name} uses the __Secure- prefix, which requires cookie.secure: true`);
  }
  if (name.startsWith("__Host-")) {
    if (secure !== true) throw new ConfigError(`cookie.name ${name} uses the __Host- prefix, which requires cookie.secure: true`);
    if (attributes.path !== "/") throw new ConfigError(`cookie.name ${name} uses the __Host- prefix, which requires cookie.path "/"`);
    if (attributes.domain !== undefined) throw new ConfigError(`cookie.name ${name} uses the __Host- prefix, which forbids cookie.domain`);
  }
}
