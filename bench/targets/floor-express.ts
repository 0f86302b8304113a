import { randomBytes } from "node:crypto";
import express from "express";
import { Redis } from "ioredis";
import { announce, IDLE_SECONDS, PORT, REDIS_URL, sessionCookie } from "./common.js";

/**
 * The Express floor: bare Express 5 with one Redis command per request, as floor-hono is for
 * Hono. tessera-express is this app with the session layer in place of the hand-written GETEX.
 */
const redis = new Redis(REDIS_URL);
const app = express();
// No ETag: Hono and Fastify compute none, and tessera-express turns it off too, so all floors do the same work.
app.set("etag", false);

app.get(["/profile", "/profile/"], async (req, res) => {
  const id = sessionCookie(req.headers.cookie);
  if (!id) return void res.status(403).json({ detail: "No session cookie found" });
  const user = await redis.getex(`floor:${id}`, "PX", IDLE_SECONDS * 1000);
  if (user === null) return void res.status(404).json({ detail: "Session not found or expired" });
  res.json({ session_id: id, session_data: { user, status: "active" } });
});

app.post(["/login", "/login/"], express.json(), async (req, res) => {
  const { username } = req.body as { username: string };
  const token = randomBytes(32).toString("base64url");
  await redis.set(`floor:${token}`, username, "PX", IDLE_SECONDS * 1000);
  res.setHeader("Set-Cookie", `session_id=${token}; Path=/; HttpOnly; SameSite=Lax`);
  res.json({ message: "Logged in successfully", session_id: token });
});

app.post(["/logout", "/logout/"], async (req, res) => {
  const id = sessionCookie(req.headers.cookie);
  if (id) await redis.del(`floor:${id}`);
  res.json({ message: "Logged out successfully" });
});

app.listen(PORT, "127.0.0.1", () => announce("floor-express"));
