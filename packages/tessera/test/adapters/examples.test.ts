import { createServer } from "node:http";
import { NextRequest } from "next/server.js"; // NodeNext needs the extension: next has no `exports` map
import { describe, expect, it } from "vitest";
import { app as expressApp } from "../../examples/express.js";
import { buildApp } from "../../examples/fastify.js";
import { proxy } from "../../examples/next-middleware.js";
import { DELETE, GET, POST } from "../../examples/next-route.js";
import { listenOnLoopback, runningServer } from "./listen.js";
import type { RunningApp } from "./adapter-suite.js";

/** The README's examples, run as written: log in, read the session back, log out. */
async function loginReadLogout(app: RunningApp): Promise<void> {
  const login = await app.send({ method: "POST", path: "/login" });
  expect(login.status).toBe(200);
  const cookie = login.setCookies[0]!.split(";")[0]!;
  const me = await app.send({ method: "GET", path: "/me", headers: { cookie } });
  expect(JSON.parse(me.text)).toEqual({ user: "ada", theme: "dark" });
  const out = await app.send({ method: "POST", path: "/logout", headers: { cookie } });
  expect(out.setCookies[0]).toMatch(/Max-Age=0/);
  expect((await app.send({ method: "GET", path: "/me", headers: { cookie } })).status).toBe(401);
  expect((await app.send({ method: "POST", path: "/login", headers: { origin: "https://evil.example" } })).status).toBe(403);
}

describe("examples", () => {
  it("express.ts", async () => {
    const app = await listenOnLoopback(createServer(expressApp));
    try {
      await loginReadLogout(app);
    } finally {
      await app.close();
    }
  });

  it("fastify.ts", async () => {
    const fastify = await buildApp();
    await fastify.listen({ port: 0, host: "127.0.0.1" });
    try {
      await loginReadLogout(runningServer(fastify.server));
    } finally {
      await fastify.close();
    }
  });

  it("next-route.ts and next-middleware.ts", async () => {
    const url = "http://localhost:3000/api/session";
    const login = await POST(new NextRequest(url, { method: "POST" }));
    expect(login.headers.get("cache-control")).toBe("no-store");
    const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
    expect(await (await GET(new NextRequest(url, { headers: { cookie } }))).json()).toEqual({ user: "ada", theme: "dark" });

    const account = "http://localhost:3000/account";
    expect((await proxy(new NextRequest(account, { headers: { cookie } }))).headers.get("x-middleware-next")).toBe("1");
    const out = await DELETE(new NextRequest(url, { method: "DELETE", headers: { cookie } }));
    expect(out.headers.getSetCookie()[0]).toMatch(/Max-Age=0/);
    const bounced = await proxy(new NextRequest(account, { headers: { cookie } }));
    expect(bounced.status).toBe(307);
    expect(bounced.headers.get("location")).toBe("http://localhost:3000/login");
    expect(bounced.headers.getSetCookie()[0]).toMatch(/Max-Age=0/); // the dead cookie is cleared on the redirect
    expect((await POST(new NextRequest(url, { method: "POST", headers: { origin: "https://evil.example" } }))).status).toBe(403);
  });
});
