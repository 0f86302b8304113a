import type { CookieAttributes } from "./cookie.js";

/**
 * Reads back a `Set-Cookie` value that `serializeCookie` wrote, for frameworks that take a cookie
 * as name, value and options instead of a header (Next.js `cookies().set`). Only the attributes
 * tessera writes are recognised; it is not a general `Set-Cookie` parser.
 */
export interface ParsedSetCookie extends CookieAttributes {
  name: string;
  value: string;
}

/**
 * Splits a `Set-Cookie` value into name, value and attributes.
 *
 * @example
 * ```ts
 * parseSetCookie("sid=abc; Path=/; HttpOnly; SameSite=Lax");
 * // { name: "sid", value: "abc", path: "/", httpOnly: true, secure: false, sameSite: "Lax" }
 * ```
 */
export function parseSetCookie(setCookie: string): ParsedSetCookie {
  const [pair = "", ...attributes] = setCookie.split(";");
  const equals = pair.indexOf("=");
  const parsed: ParsedSetCookie = {
    name: pair.slice(0, equals).trim(),
    value: pair.slice(equals + 1).trim(),
    path: "/",
    httpOnly: false,
    secure: false,
    sameSite: "Lax",
  };
  for (const attribute of attributes) {
    const [rawKey = "", ...rest] = attribute.split("=");
    const key = rawKey.trim().toLowerCase();
    const value = rest.join("=").trim();
    if (key === "path") parsed.path = value;
    else if (key === "domain") parsed.domain = value;
    else if (key === "max-age") parsed.maxAgeSeconds = Number(value);
    else if (key === "httponly") parsed.httpOnly = true;
    else if (key === "secure") parsed.secure = true;
    else if (key === "samesite") parsed.sameSite = value === "Strict" ? "Strict" : value === "None" ? "None" : "Lax";
  }
  return parsed;
}
