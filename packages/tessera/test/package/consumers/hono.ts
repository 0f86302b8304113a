// A Hono app on the embedded store.
import { Hono } from "hono";
import { createSessionManager } from "tessera";
import { sessionMiddleware, type SessionEnv } from "tessera/hono";
import { createMemoryStore } from "tessera/memory";

const sessions = createSessionManager<{ theme?: string }>({ store: createMemoryStore() });
export const app = new Hono<SessionEnv<{ theme?: string }>>();
app.use(sessionMiddleware(sessions));
app.get("/me", async (c) => {
  const lookup = await c.var.sessions.lookup();
  return lookup.status === "active" ? c.json({ theme: lookup.session.data.theme ?? null }) : c.json({ detail: "Not logged in" }, 401);
});
