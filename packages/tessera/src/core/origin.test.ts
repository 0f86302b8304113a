import { describe, expect, it } from "vitest";
import { crossSiteChecker, firstListValue, forwardedOriginOf, ownOriginOf } from "./origin.js";

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
