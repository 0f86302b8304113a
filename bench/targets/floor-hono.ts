import { randomBytes } from "node:crypto";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { Redis } from "ioredis";
import { announce, IDLE_SECONDS, PORT, REDIS_URL } from "./common.js";

/** The framework floor: bare Hono with one Redis command per request, like floor-node. */
const redis = new Redis(REDIS_URL);
const app = new Hono({ strict: false });

app.get("/profile", async (c) => {
  const id = getCookie(c, "session_id");
  if (!id) return c.json({ detail: "No session cookie found" }, 403);
  const user = await redis.getex(`floor:${id}`, "PX", IDLE_SECONDS * 1000);
  if (user === null) return c.json({ detail: "Session not found or expired" }, 404);
  return c.json({ session_id: id, session_data: { user, status: "active" } });
});

app.post("/login", async (c) => {
  const { username } = await c.req.json<{ username: string }>();
  const token = randomBytes(32).toString("base64url");
  await redis.set(`floor:${token}`, username, "PX", IDLE_SECONDS * 1000);
  c.header("Set-Cookie", `session_id=${token}; Path=/; HttpOnly; SameSite=Lax`);
  return c.json({ message: "Logged in successfully", session_id: token });
});

app.post("/logout", async (c) => {
  const id = getCookie(c, "session_id");
  if (id) await redis.del(`floor:${id}`);
  return c.json({ message: "Logged out successfully" });
});

serve({ fetch: app.fetch, hostname: "127.0.0.1", port: PORT }, () => announce("floor-hono"));
