import { describe, expect, it } from "vitest";
import { assertValidCookieConfig, readCookie, readCookieValues, serializeClearingCookie, serializeCookie, type CookieAttributes } from "./cookie.js";
import { ConfigError } from "./errors.js";

describe("readCookie", () => {
  it("finds a cookie among others, trimming spaces", () => {
    expect(readCookie("a=1; session_id=abc ;b=2", "session_id")).toBe("abc");
  });

  it("returns undefined when absent, empty header or null", () => {
    expect(readCookie("a=1; b=2", "session_id")).toBeUndefined();
    expect(readCookie("", "session_id")).toBeUndefined();
    expect(readCookie(null, "session_id")).toBeUndefined();
  });

  it("does not match a name that merely contains the wanted one", () => {
    expect(readCookie("xsession_id=1; session_idx=2", "session_id")).toBeUndefined();
  });

  it("unquotes a DQUOTE-wrapped value (RFC 6265 cookie-value)", () => {
    expect(readCookie('session_id="abc"', "session_id")).toBe("abc");
    expect(readCookie('session_id="', "session_id")).toBe('"');
  });

  it("keeps the first of duplicate cookies (the documented rule)", () => {
    expect(readCookie("session_id=first; session_id=second", "session_id")).toBe("first");
  });

  it("reads repeated Cookie headers however the runtime joined them", () => {
    // Node's Headers joins repeated cookie lines with "; ", the Fetch spec (and other runtimes) with ", ".
    const headers = new Headers([
      ["cookie", "a=1"],
      ["cookie", "session_id=abc"],
    ]);
    expect(readCookie(headers.get("cookie"), "session_id")).toBe("abc");
    expect(readCookie("a=1, session_id=abc", "session_id")).toBe("abc");
    expect(readCookie("session_id=abc, other=1", "session_id")).toBe("abc");
  });

  it("leaves a comma that does not start a new pair inside the value", () => {
    expect(readCookie("prefs=a,b; session_id=x", "prefs")).toBe("a,b");
  });

  it("keeps '=' inside values and ignores pairs without '='", () => {
    expect(readCookie("junk; session_id=a=b", "session_id")).toBe("a=b");
  });

  it("agrees with readCookieValues' first value on headers mixing names, separators and Unicode whitespace", () => {
    // Deterministic (a fixed LCG), so a failure names a header that can be replayed.
    let seed = 12345;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return (seed >>> 16) % n;
    };
    const pieces = ["id", "x", "=", ";", ",", " ", "\t", "\u00a0", "\u2028", "\ufeff", '"', "a", "id=", " id ", "xid", "idx"];
    for (let round = 0; round < 5000; round++) {
      let header = "";
      for (let count = next(12); count >= 0; count--) header += pieces[next(pieces.length)];
      expect(readCookie(header, "id"), JSON.stringify(header)).toBe(readCookieValues(header, "id", 1)[0]);
    }
  });

  it("stays linear on a hostile 16 KiB header", () => {
    const header = `${"x=1;".repeat(4000)}session_id=found`;
    expect(readCookie(header, "session_id")).toBe("found");
    expect(readCookie(";".repeat(16_000), "session_id")).toBeUndefined();
    expect(readCookie(",".repeat(16_000), "session_id")).toBeUndefined();
  });
});

const base: CookieAttributes = { path: "/", sameSite: "Lax", httpOnly: true, secure: false };

describe("readCookieValues", () => {
  it("gives every value of the name in order, unquoted, across ; and comma-joined lines, up to the limit", () => {
    const header = 'a=1; session_id=first; b=2, session_id="second"; session_id=third,x=y; xsession_id=no';
    expect(readCookieValues(header, "session_id", 10)).toEqual(["first", "second", "third"]);
    expect(readCookieValues(header, "session_id", 2)).toEqual(["first", "second"]);
    expect(readCookieValues(header, "missing", 10)).toEqual([]);
    expect(readCookieValues(null, "session_id", 10)).toEqual([]);
    // The first is what readCookie reads.
    expect(readCookieValues(header, "session_id", 1)).toEqual([readCookie(header, "session_id")]);
  });
});

describe("serializeCookie", () => {
  it("writes the secure defaults: HttpOnly, SameSite=Lax, Path=/, no Domain, no Max-Age", () => {
    expect(serializeCookie("session_id", "tok", base)).toBe("session_id=tok; Path=/; HttpOnly; SameSite=Lax");
  });

  it("adds Secure, Domain and Max-Age when asked", () => {
    expect(serializeCookie("s", "v", { ...base, secure: true, domain: "example.com", maxAgeSeconds: 60.9 })).toBe(
      "s=v; Path=/; Domain=example.com; Max-Age=60; HttpOnly; Secure; SameSite=Lax",
    );
  });

  it("clears with an empty value and Max-Age=0 on the same path", () => {
    expect(serializeClearingCookie("session_id", { ...base, secure: true })).toBe("session_id=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax");
  });
});

describe("assertValidCookieConfig", () => {
  const attributes = { path: "/", sameSite: "Lax" as const, httpOnly: true };

  it("accepts the defaults", () => {
    expect(() => assertValidCookieConfig("session_id", "auto", attributes)).not.toThrow();
  });

  it.each([
    ["a name with a space", "bad name", "auto", attributes, /not a valid cookie name/],
    ["__Host- without secure: true", "__Host-sid", "auto", attributes, /__Host- prefix, which requires cookie.secure: true/],
    ["__Host- with a Domain", "__Host-sid", true, { ...attributes, domain: "example.com" }, /forbids cookie.domain/],
    ["__Host- with a sub-path", "__Host-sid", true, { ...attributes, path: "/app" }, /requires cookie.path "\/"/],
    ["__Secure- without secure", "__Secure-sid", false, attributes, /__Secure- prefix/],
    ["SameSite=None without Secure", "sid", "auto", { ...attributes, sameSite: "None" as const }, /SameSite=None/],
    ["a path with a semicolon", "sid", "auto", { ...attributes, path: "/;x" }, /cookie.path/],
  ] as const)("rejects %s with a message naming the fix", (_, name, secure, attrs, message) => {
    expect(() => assertValidCookieConfig(name, secure, attrs)).toThrow(ConfigError);
    expect(() => assertValidCookieConfig(name, secure, attrs)).toThrow(message);
  });

  it("accepts __Host- when its rules hold", () => {
    expect(() => assertValidCookieConfig("__Host-sid", true, attributes)).not.toThrow();
  });
});
