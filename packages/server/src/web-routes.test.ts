import { describe, expect, it } from "vitest";
import { createSessionManager } from "tessera";
import { createMemoryStore } from "tessera/memory";
import { createApp, type ServerSessionData } from "./app.js";
import { silentLogger } from "./logger.js";
import { OPERATIONS } from "./openapi.js";
import {
  DetailSchema,
  LoginResponseSchema,
  LogoutResponseSchema,
  ProfileResponseSchema,
  RevokeOthersResponseSchema,
  SessionsResponseSchema,
  ValidationErrorSchema,
} from "./schemas.js";

function makeApp() {
  const sessions = createSessionManager<ServerSessionData>({ store: createMemoryStore() });
  return createApp({
    sessions,
    logger: silentLogger,
    version: "1.2.3",
    docsAssets: async (name) => (name === "swagger-ui.css" ? { body: new TextEncoder().encode("/* css */"), type: "text/css" } : null),
  });
}

/** "GET /sessions/{handle}" from either a Hono route ("/sessions/:handle") or an OpenAPI path ("/sessions/{handle}/"). */
const normalize = (method: string, path: string) => `${method.toUpperCase()} ${path.replace(/:(\w+)/g, "{$1}").replace(/(.)\/$/, "$1")}`;

describe("/openapi.json", () => {
  it("lists exactly the routes the server answers, no more and no fewer", async () => {
    const app = makeApp();
    const answered = new Set(app.routes.filter((route) => route.method !== "ALL").map((route) => normalize(route.method, route.path)));
    const document = (await (await app.request("/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = new Set(Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => normalize(method, path))));
    expect([...documented].sort()).toEqual([...answered].sort());
    expect(answered.size).toBe(OPERATIONS.length);
  });

  it("is OpenAPI 3.1 with request and response schemas, status codes and the cookie scheme", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a JSON document walked by path in a test
    const document = (await (await makeApp().request("/openapi.json")).json()) as Record<string, any>;
    expect(document.openapi).toBe("3.1.0");
    expect(document.info.version).toBe("1.2.3");
    const login = document.paths["/login/"].post;
    expect(login.requestBody.content["application/json"].schema.$ref).toBe("#/components/schemas/LoginRequest");
    expect(Object.keys(login.responses).sort()).toEqual(["200", "403", "413", "415", "422", "503"]);
    expect(document.components.schemas.LoginRequest).toMatchObject({
      type: "object",
      required: ["username"],
      properties: { username: { type: "string", minLength: 1, maxLength: 256 } },
    });
    expect(document.paths["/profile/"].get.security).toEqual([{ sessionCookie: [] }]);
    expect(document.components.securitySchemes.sessionCookie).toEqual({ type: "apiKey", in: "cookie", name: "session_id" });
    expect(Object.keys(document.paths["/sessions/{handle}"].delete.responses).sort()).toEqual(["204", "403", "404", "503"]);
  });

  it("describes the bodies the server really sends (each documented schema parses a real response)", async () => {
    const app = makeApp();
    const post = (path: string, body?: unknown, cookie?: string) =>
      app.request(path, {
        method: "POST",
        headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const login = await (await post("/login/", { username: "ada" })).json();
    LoginResponseSchema.parse(login);
    const cookie = `session_id=${(login as { session_id: string }).session_id}`;
    await post("/login/", { username: "ada" });
    ProfileResponseSchema.parse(await (await app.request("/profile/", { headers: { cookie } })).json());
    SessionsResponseSchema.parse(await (await app.request("/sessions/", { headers: { cookie } })).json());
    RevokeOthersResponseSchema.parse(await (await post("/sessions/revoke-others/", undefined, cookie)).json());
    ValidationErrorSchema.parse(await (await post("/login/", { username: "" })).json());
    DetailSchema.parse(await (await app.request("/profile/")).json());
    LogoutResponseSchema.parse(await (await post("/logout/", undefined, cookie)).json());
  });
});

describe("the web page and docs", () => {
  it("serves the page with a strict CSP and no inline script", async () => {
    const response = await makeApp().request("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    const html = await response.text();
    expect(html).toContain('<script src="/static/app.js" defer></script>');
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
    expect(html).not.toMatch(/https?:\/\//); // no CDN, nothing off-site
  });

  it("serves its script and style sheet, and 404s anything else under /static", async () => {
    const app = makeApp();
    const script = await app.request("/static/app.js");
    expect(script.headers.get("content-type")).toContain("javascript");
    expect(await script.text()).not.toContain("document.cookie");
    expect((await app.request("/static/app.css")).headers.get("content-type")).toContain("text/css");
    expect((await app.request("/static/../package.json")).status).toBe(404);
    expect((await app.request("/static/nope.js")).status).toBe(404);
  });

  it("serves /docs with assets from the injected loader, offline", async () => {
    const app = makeApp();
    const page = await (await app.request("/docs")).text();
    expect(page).toContain("/docs/swagger-ui-bundle.js");
    expect(page).not.toMatch(/https?:\/\//);
    expect(await (await app.request("/docs/init.js")).text()).toContain("validatorUrl: null");
    expect((await app.request("/docs/swagger-ui.css")).headers.get("cache-control")).toBe("public, max-age=3600");
    expect((await app.request("/docs/missing.js")).status).toBe(404);
  });
});
