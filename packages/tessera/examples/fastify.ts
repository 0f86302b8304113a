// The README's Fastify example, compiled by `npm run typecheck` and exercised by
// test/adapters/examples.test.ts.
import Fastify from "fastify";
import { createSessionManager } from "tessera";
import { createMemoryStore } from "tessera/memory";
import { sameOriginGuard, tesseraSessions } from "tessera/fastify";

type Data = { theme?: string };
declare module "tessera/fastify" {
  interface Register {
    data: Data; // types request.sessions app-wide
  }
}

export async function buildApp() {
  const app = Fastify();
  await app.register(tesseraSessions, { manager: createSessionManager<Data>({ store: createMemoryStore() }), clientIp: (request) => request.ip });
  app.addHook("onRequest", sameOriginGuard()); // refuses cross-site POSTs from browsers
  app.post("/login", async (request) => {
    await request.sessions.login({ userId: "ada", data: { theme: "dark" } }); // appends Set-Cookie
    return { ok: true };
  });
  app.get("/me", async (request, reply) => {
    const session = await request.sessions.session(); // one store read per request, however often asked
    if (!session) return reply.code(401).send({ detail: "Not logged in" });
    return { user: session.userId, theme: session.data.theme };
  });
  app.post("/logout", async (request) => {
    await request.sessions.logout(); // clears the cookie
    return { ok: true };
  });
  return app; // store down → Fastify's default handler answers 503 + Retry-After
}
