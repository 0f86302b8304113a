// The README's library example, compiled by `npm run typecheck` and exercised by src/adapters/hono/index.test.ts.
import { Hono } from "hono";
import { createSessionManager } from "../src/core/index.js";
import { createMemoryStore } from "../src/stores/memory/index.js";
import { sessionErrorHandler, sessionMiddleware, type SessionEnv } from "../src/adapters/hono/index.js";

type Data = { theme?: string };
const sessions = createSessionManager<Data>({ store: createMemoryStore() });

export const app = new Hono<SessionEnv<Data>>();
app.use(sessionMiddleware(sessions));
app.onError(sessionErrorHandler()); // store down → 503 + Retry-After
app.post("/login", async (c) => {
  await c.var.sessions.login({ userId: "ada", data: { theme: "dark" } }); // sets the cookie
  return c.json({ ok: true });
});
app.get("/me", async (c) => {
  const lookup = await c.var.sessions.lookup(); // "anonymous" | "invalid" | "active"
  if (lookup.status !== "active") return c.json({ detail: "Not logged in" }, 401);
  return c.json({ user: lookup.session.userId, theme: lookup.session.data.theme });
});
