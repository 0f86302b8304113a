import { describe, expect, it } from "vitest";
import { crossSiteChecker, firstListValue, forwardedOriginOf, ownOriginOf } from "./origin.js";

describe("crossSiteChecker", () => {
  const own = "https://app.example.com";
  it.each([
    // [method, Origin, Sec-Fetch-Site, refused]
    ["GET", "https://evil.example", "cross-site", false],
    ["OPTIONS", "https://evil.example", "cross-site", false],
    ["POST", undefined, undefined, false],
    ["POST", own, undefined, false],
    ["POST", "https://evil.example", undefined, true],
    ["POST", "null", undefined, true],
    ["POST", own, "cross-site", true],
    ["POST", own, "same-site", true],
    ["POST", undefined, "cross-site", true],
    // The browser's label decides over an Origin that differs from what a proxy left in Host.
    ["POST", "https://public.example.com", "same-origin", false],
    ["POST", "https://public.example.com", "none", false],
    ["DELETE", "https://evil.example", undefined, true],
    ["post", "https://evil.example", undefined, true],
  ])("%s with Origin %j and Sec-Fetch-Site %j: refused %s", (method, origin, fetchSite, refused) => {
    expect(crossSiteChecker()({ method, origin, fetchSite, ownOrigin: own })).toBe(refused);
  });

  it("allowedOrigins lets a listed origin through even when the browser says cross-site", () => {
    const isCrossSite = crossSiteChecker({ allowedOrigins: ["https://admin.example.com"] });
    expect(isCrossSite({ method: "POST", origin: "https://admin.example.com", fetchSite: "cross-site", ownOrigin: own })).toBe(false);
    expect(isCrossSite({ method: "POST", origin: "https://other.example.com", fetchSite: "cross-site", ownOrigin: own })).toBe(true);
  });
});

describe("ownOriginOf", () => {
  it.each([
    ["http", "App.Example.com", "http://app.example.com"],
    ["https", "app.example.com:443", "https://app.example.com"],
    ["http", "app.example.com:80", "http://app.example.com"],
    ["https:", "app.example.com:8443", "https://app.example.com:8443"],
    ["http", undefined, "http://"],
    ["http", "[::1]:3000", "http://[::1]:3000"],
  ])("%s and Host %j is %s", (scheme, host, origin) => {
    expect(ownOriginOf(scheme, host)).toBe(origin);
  });
});

describe("forwardedOriginOf (behind a proxy the app trusts)", () => {
  it.each([
    // [own scheme, own Host, X-Forwarded-Proto, X-Forwarded-Host, the origin the browser used]
    ["http", "app.example.com", "https", undefined, "https://app.example.com"],
    ["http", "10.0.0.5:8000", "https", "app.example.com", "https://app.example.com"],
    ["http", "10.0.0.5:8000", "https, http", "App.Example.com:8443, x", "https://app.example.com:8443"],
    ["http", "10.0.0.5:8000", "HTTPS", "app.example.com:443", "https://app.example.com"],
    ["http", "app.example.com", "gopher", undefined, "http://app.example.com"],
    ["http", "app.example.com", "https", "evil.example/path", "https://app.example.com"],
    ["http", "app.example.com", "https", "user@evil.example", "https://app.example.com"],
    ["http", "app.example.com", " , https", " ", "http://app.example.com"],
    ["http", "10.0.0.5:8000", undefined, "[2001:db8::1]:8443", "http://[2001:db8::1]:8443"],
    ["http", "app.example.com", undefined, undefined, "http://app.example.com"],
  ])("own %s://%s, X-Forwarded-Proto %j and -Host %j: %s", (scheme, host, proto, forwardedHost, origin) => {
    expect(forwardedOriginOf(scheme, host, proto, forwardedHost)).toBe(origin);
  });

  it("its answer is what the guard compares: a browser behind the proxy passes, another site does not", () => {
    const isCrossSite = crossSiteChecker();
    const ownOrigin = forwardedOriginOf("http", "10.0.0.5:8000", "https", "app.example.com");
    expect(isCrossSite({ method: "POST", origin: "https://app.example.com", fetchSite: "same-origin", ownOrigin })).toBe(false);
    expect(isCrossSite({ method: "POST", origin: "https://evil.example", fetchSite: undefined, ownOrigin })).toBe(true);
  });
});

describe("firstListValue", () => {
  it.each([
    [undefined, undefined],
    [null, undefined],
    ["", undefined],
    [" , b", undefined],
    ["a", "a"],
    [" a , b", "a"],
  ])("%j → %j", (value, first) => {
    expect(firstListValue(value)).toBe(first);
  });
});
