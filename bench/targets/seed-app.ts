import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { IDLE_SECONDS } from "./common.js";

/** The four calls the seed makes, as both ioredis and @upstash/redis offer them. */
export interface SeedRedis {
  hset(key: string, fields: Record<string, string>): Promise<unknown>;
  expire(key: string, seconds: number): Promise<unknown>;
  hgetall(key: string): Promise<Record<string, unknown> | null>;
  del(key: string): Promise<unknown>;
}

/**
 * A direct TypeScript port of the seed's main.py on Hono: a UUID session id, the session as a
 * hash, `HSET` then `EXPIRE` at login, `HGETALL` then `EXPIRE` per read, each awaited in turn as
 * the Python code does (on @upstash/redis, each its own HTTP request).
 */
export function seedApp(redis: SeedRedis): Hono {
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

  return app;
}
