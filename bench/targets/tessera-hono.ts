import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { sessionErrorHandler, sessionMiddleware, type SessionEnv } from "tessera/hono";
import { announce, PORT } from "./common.js";
import { benchSessionManager, profileAnswer } from "./tessera-manager.js";

/**
 * tessera's middleware on a bare Hono app — the same app as floor-hono, with the session layer
 * in place of the hand-written GETEX. The distance between the two is tessera's own cost.
 */
const app = new Hono<SessionEnv>({ strict: false });
app.use(sessionMiddleware(benchSessionManager()));
app.onError(sessionErrorHandler());

app.get("/profile", async (c) => {
  // `c.get`, as the adapter's docs advise for hot handlers: `c.var` builds an object of every variable per access.
  const [status, body] = profileAnswer(await c.get("sessions").lookup());
  return c.json(body, status as ContentfulStatusCode);
});

app.post("/login", async (c) => {
  const { username } = await c.req.json<{ username: string }>();
  const { token } = await c.var.sessions.login({ userId: username });
  return c.json({ message: "Logged in successfully", session_id: token });
});

app.post("/logout", async (c) => {
  await c.var.sessions.logout();
  return c.json({ message: "Logged out successfully" });
});

serve({ fetch: app.fetch, hostname: "127.0.0.1", port: PORT }, () => announce("tessera-hono"));
