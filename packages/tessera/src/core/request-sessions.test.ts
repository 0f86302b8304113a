import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../stores/memory/memory-store.js";
import { HeaderRecordRequest, RequestSessions } from "./request-sessions.js";
import { createSessionManager } from "./session.js";

describe("HeaderRecordRequest", () => {
  it("reads Node-style headers by lower-case name, joining repeated ones, null when absent", () => {
    const request = new HeaderRecordRequest("http", { cookie: "session_id=abc", "x-list": ["a", "b"] });
    expect(request.headers.get("Cookie")).toBe("session_id=abc");
    expect(request.headers.get("x-list")).toBe("a, b");
    expect(request.headers.get("user-agent")).toBeNull();
  });

  it("takes the scheme as text or from the framework request's protocol, so secure: auto sees https", () => {
    expect(new HeaderRecordRequest("https", {}).url).toBe("https://");
    expect(new HeaderRecordRequest({ protocol: "https" }, {}).url).toBe("https://");
    expect(new HeaderRecordRequest({ protocol: "http" }, {}).url.startsWith("https:")).toBe(false);
  });

  it("reads the protocol only when the url is asked for (a getter that consults proxy settings)", () => {
    let reads = 0;
    const req = {
      get protocol() {
        reads++;
        return "https";
      },
    };
    const request = new HeaderRecordRequest(req, { cookie: "a=b" });
    request.headers.get("cookie");
    expect(reads).toBe(0);
    expect(request.url).toBe("https://");
    expect(reads).toBe(1);
  });
});

describe("RequestSessions.lookup", () => {
  class Sessions extends RequestSessions {
    protected override writeCookie(): void {}
  }

  it("rejects, never throws, when reading the request fails, and keeps the failure for the request", async () => {
    const manager = createSessionManager({ store: createMemoryStore() });
    const broken = {
      url: "http://localhost/",
      headers: {
        get(): string | null {
          throw new Error("headers unavailable");
        },
      },
    };
    const sessions = new Sessions(manager, broken);
    let first: Promise<unknown> | undefined;
    expect(() => {
      first = sessions.lookup();
    }).not.toThrow();
    await expect(first).rejects.toThrow("headers unavailable");
    expect(sessions.lookup()).toBe(first);
  });
});
