import { randomUUID } from "node:crypto";
import { serve } from "@hono/node-server";
import { Redis } from "@upstash/redis";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { announce, IDLE_SECONDS, PORT } from "./common.js";

/**
 * The seed port (seed-port.ts) on @upstash/redis instead of ioredis, as the Upstash tutorial
 * runs it: `HSET` then `EXPIRE` at login, `HGETALL` then `EXPIRE` per read, each awaited in turn,
 * so each is its own HTTP request. The client keeps its defaults, as the tutorial does.
 */
const url = process.env.UPSTASH_REDIS_REST_URL;
const token = process.env.UPSTASH_REDIS_REST_TOKEN;
if (!url || !token) {
  console.error("seed-port-upstash: set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN");
  process.exit(2);
}
const redis = new Redis({ url, token });
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
  if (sessionData === null || Object.keys(sessionData).length === 0) {
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

serve({ fetch: app.fetch, hostname: "127.0.0.1", port: PORT }, () => announce("seed-port-upstash"));
