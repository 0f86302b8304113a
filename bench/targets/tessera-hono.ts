import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { Redis } from "ioredis";
import { sessionErrorHandler, sessionMiddleware, type SessionEnv } from "tessera/hono";
import { createSessionManager } from "tessera";
import { nodeSha256 } from "tessera/node";
import { createRedisStore, ioredisConnection, recommendedIoredisOptions } from "tessera/redis";
import { announce, IDLE_SECONDS, PORT, REDIS_URL } from "./common.js";

/**
 * tessera's middleware on a bare Hono app — the same app as floor-hono, with the session layer
 * in place of the hand-written GETEX. The distance between the two is tessera's own cost.
 */
const store = createRedisStore({ connection: ioredisConnection(new Redis(REDIS_URL, recommendedIoredisOptions)) });
const sessions = createSessionManager({ store, sha256: nodeSha256, idleTimeoutSeconds: IDLE_SECONDS });
const app = new Hono<SessionEnv>({ strict: false });
app.use(sessionMiddleware(sessions));
app.onError(sessionErrorHandler());

app.get("/profile", async (c) => {
  const lookup = await c.var.sessions.lookup();
  if (lookup.status === "anonymous") return c.json({ detail: "No session cookie found" }, 403);
  if (lookup.status === "invalid") return c.json({ detail: "Session not found or expired" }, 404);
  return c.json({ session_id: lookup.token, session_data: { user: lookup.session.userId, status: "active" } });
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
