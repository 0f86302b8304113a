import { randomUUID } from "node:crypto";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { Redis } from "ioredis";
import { announce, IDLE_SECONDS, PORT, REDIS_URL } from "./common.js";

/**
 * A direct TypeScript port of the seed's main.py on Hono: a UUID session id, the session as a
 * hash, `HSET` then `EXPIRE` at login, `HGETALL` then `EXPIRE` per read, each awaited in turn as
 * the Python code does.
 */
const redis = new Redis(REDIS_URL);
const app = new Hono({ strict: false });

app.post("/login", async (c) => {
  const { username } = await c.req.json<{ username: string }>();
  const sessionId = randomUUID();
  await redis.hset(`session:${sessionId}`, { user: username, status: "active" });
  await redis.expire(`session:${sessionId}`, IDLE_SECONDS);
  setCookie(c, "session_id", sessionId, { httpOnly: true });
  return c.json({ message: "Logged in successfully", session_id: sessionId });
});

app.get("/profile", async (c) => {
  const sessionId = getCookie(c, "session_id");
  if (!sessionId) return c.json({ detail: "No session cookie found" }, 403);
  const sessionData = await redis.hgetall(`session:${sessionId}`);
  if (Object.keys(sessionData).length === 0) {
    deleteCookie(c, "session_id");
    return c.json({ detail: "Session not found or expired" }, 404);
  }
  await redis.expire(`session:${sessionId}`, IDLE_SECONDS);
  return c.json({ session_id: sessionId, session_data: sessionData });
});

app.post("/logout", async (c) => {
  const sessionId = getCookie(c, "session_id");
  if (sessionId) {
    await redis.del(`session:${sessionId}`);
    deleteCookie(c, "session_id");
  }
  return c.json({ message: "Logged out successfully" });
});

serve({ fetch: app.fetch, hostname: "127.0.0.1", port: PORT }, () => announce("seed-port"));
