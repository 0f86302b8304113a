import { describe, expect, it } from "vitest";
import { createSessionManager } from "tessera";
import { createMemoryStore } from "tessera/memory";
import { allowedMethodsFor } from "./allowed-methods.js";
import { createApp, type ServerSessionData } from "./app.js";
import { silentLogger } from "./logger.js";

const makeApp = () => createApp({ sessions: createSessionManager<ServerSessionData>({ store: createMemoryStore() }), logger: silentLogger });
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
/** A request path for a route path: each parameter filled with a sample value. */
const samplePath = (routePath: string) => routePath.replace(/:[^/]+/g, "sample");

describe("405 and Allow agree with the routes", () => {
  it("on every registered path, a method is refused with 405 exactly when Allow leaves it out", async () => {
    const app = makeApp();
    const paths = [...new Set(app.routes.filter((route) => route.method !== "ALL").map((route) => route.path))];
    expect(paths.length).toBeGreaterThanOrEqual(10);
    for (const path of paths.flatMap((p) => [samplePath(p), `${samplePath(p)}/`.replace("//", "/")])) {
      const statuses = new Map<string, number>();
      let allow: string | null = null;
      for (const method of METHODS) {
        const response = await app.request(path, { method });
        statuses.set(method, response.status);
        if (response.status === 405) allow = response.headers.get("allow");
      }
      expect(allow, `no method was refused on ${path}; add one to METHODS`).not.toBeNull();
      const served = METHODS.filter((method) => statuses.get(method) !== 405);
      expect([path, allow]).toEqual([path, served.join(", ")]);
    }
  });

  it("counts every route the router would reach: /sessions/revoke-others also takes DELETE /sessions/:handle", async () => {
    const response = await makeApp().request("/sessions/revoke-others/", { method: "GET" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST, DELETE");
  });

  it("follows a route added after the app was built, with no table to update", async () => {
    const app = makeApp();
    app.put("/sessions/:handle/label", (c) => c.body(null, 204));
    const response = await app.request("/sessions/abc/label", { method: "GET" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("PUT");
  });

  it("derives Allow from route lists: GET brings HEAD, middleware is not a route, order is fixed", () => {
    const allowFor = allowedMethodsFor([
      { method: "ALL", path: "/*" },
      { method: "DELETE", path: "/things/:id" },
      { method: "GET", path: "/things/:id" },
      { method: "POST", path: "/things/special" },
      { method: "GET", path: "/" },
    ]);
    expect(allowFor("/things/1")).toBe("GET, HEAD, DELETE");
    expect(allowFor("/things/1/")).toBe("GET, HEAD, DELETE");
    expect(allowFor("/things/special")).toBe("GET, HEAD, POST, DELETE");
    expect(allowFor("/")).toBe("GET, HEAD");
    expect(allowFor("/things/1/more")).toBeUndefined();
    expect(allowFor("/nothing")).toBeUndefined();
  });
});

describe("hostile input gets a 4xx, never a 500", () => {
  const post = (app: ReturnType<typeof makeApp>, body: string) =>
    app.request("/login/", { method: "POST", headers: { "content-type": "application/json" }, body });

  it("a username nested 6,000 arrays deep (12 KB) is a 422 in FastAPI's shape", async () => {
    const response = await post(makeApp(), `{"username": ${"[".repeat(6000)}${"]".repeat(6000)}}`);
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({
      detail: [
        { type: "json_invalid", loc: ["body"], msg: "JSON decode error", input: {}, ctx: { error: "JSON nests arrays and objects deeper than 64 levels" } },
      ],
    });
  });

  it("nesting up to the limit is parsed and validated as usual; brackets inside strings do not count", async () => {
    const app = makeApp();
    const atLimit = await post(app, `{"username": ${"[".repeat(63)}${"]".repeat(63)}}`);
    expect(atLimit.status).toBe(422);
    expect(((await atLimit.json()) as { detail: Array<{ type: string }> }).detail[0]!.type).toBe("string_type");
    expect((await post(app, JSON.stringify({ username: "[".repeat(5000) }))).status).toBe(422); // too long, not too deep
    expect((await post(app, JSON.stringify({ username: '[{\\"' }))).status).toBe(200);
  });

  it.each([
    "/static/__proto__",
    "/static/constructor",
    "/static/toString",
    "/static/hasOwnProperty",
    "/docs/__proto__",
    "/docs/constructor",
    "/docs/toString",
    "/docs/valueOf",
  ])("GET %s is a JSON 404", async (path) => {
    const response = await makeApp().request(path);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ detail: "Not Found" });
  });
});
