import { randomBytes } from "node:crypto";
import Fastify from "fastify";
import { Redis } from "ioredis";
import { announce, IDLE_SECONDS, PORT, REDIS_URL, sessionCookie } from "./common.js";

/**
 * The Fastify floor: bare Fastify 5 with one Redis command per request, as floor-hono is for
 * Hono. tessera-fastify is this app with the session layer in place of the hand-written GETEX.
 */
const redis = new Redis(REDIS_URL);
const app = Fastify({ logger: false, routerOptions: { ignoreTrailingSlash: true } });

app.get("/profile", async (request, reply) => {
  const id = sessionCookie(request.headers.cookie);
  if (!id) return reply.code(403).send({ detail: "No session cookie found" });
  const user = await redis.getex(`floor:${id}`, "PX", IDLE_SECONDS * 1000);
  if (user === null) return reply.code(404).send({ detail: "Session not found or expired" });
  return { session_id: id, session_data: { user, status: "active" } };
});

app.post("/login", async (request, reply) => {
  const { username } = request.body as { username: string };
  const token = randomBytes(32).toString("base64url");
  await redis.set(`floor:${token}`, username, "PX", IDLE_SECONDS * 1000);
  void reply.header("set-cookie", `session_id=${token}; Path=/; HttpOnly; SameSite=Lax`);
  return { message: "Logged in successfully", session_id: token };
});

app.post("/logout", async (request) => {
  const id = sessionCookie(request.headers.cookie);
  if (id) await redis.del(`floor:${id}`);
  return { message: "Logged out successfully" };
});

await app.listen({ port: PORT, host: "127.0.0.1" });
announce("floor-fastify");
