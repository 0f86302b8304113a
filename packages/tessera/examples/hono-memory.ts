// The README's Hono example, compiled by `npm run typecheck` and exercised by src/adapters/hono/index.test.ts.
import { Hono } from "hono";
import { createSessionManager } from "tessera";
import { createMemoryStore } from "tessera/memory";
import { sameOriginGuard, sessionMiddleware, type SessionEnv } from "tessera/hono";

type Data = { theme?: string };
const sessions = createSessionManager<Data>({ store: createMemoryStore() });

export const app = new Hono<SessionEnv<Data>>();
app.use(sessionMiddleware(sessions)); // store down → 503 + Retry-After, even without app.onError
app.use(sameOriginGuard()); // refuses cross-site POSTs from browsers
app.post("/login", async (c) => {
  await c.var.sessions.login({ userId: "ada", data: { theme: "dark" } }); // sets the cookie
  return c.json({ ok: true });
});
app.get("/me", async (c) => {
  const session = await c.var.sessions.session(); // one store read per request, however often asked
  if (!session) return c.json({ detail: "Not logged in" }, 401);
  return c.json({ user: session.userId, theme: session.data.theme });
});
app.post("/logout", async (c) => {
  await c.var.sessions.logout(); // clears the cookie
  return c.json({ ok: true });
});
