import fastifyCookie from "@fastify/cookie";
import fastifySession from "@fastify/session";
import { RedisStore } from "connect-redis";
import Fastify from "fastify";
import { createClient } from "redis";
import { announce, IDLE_SECONDS, PORT, REDIS_URL } from "./common.js";

/** @fastify/session + connect-redis with a 15-minute rolling expiry. */
declare module "fastify" {
  interface Session {
    user?: string;
  }
}

const client = createClient({ url: REDIS_URL });
await client.connect();
const app = Fastify({ logger: false, routerOptions: { ignoreTrailingSlash: true } });
await app.register(fastifyCookie);
await app.register(fastifySession, {
  store: new RedisStore({ client, ttl: IDLE_SECONDS }) as never,
  cookieName: "session_id",
  secret: "bench-secret-bench-secret-bench-secret",
  saveUninitialized: false,
  rolling: true,
  cookie: { maxAge: IDLE_SECONDS * 1000, secure: false, httpOnly: true, sameSite: "lax" },
});

app.post("/login", async (request) => {
  request.session.user = (request.body as { username: string }).username;
  return { message: "Logged in successfully", session_id: request.session.sessionId };
});

app.get("/profile", async (request, reply) => {
  if (!request.headers.cookie) return reply.code(403).send({ detail: "No session cookie found" });
  if (!request.session.user) return reply.code(404).send({ detail: "Session not found or expired" });
  return { session_id: request.session.sessionId, session_data: { user: request.session.user, status: "active" } };
});

app.post("/logout", async (request) => {
  await request.session.destroy();
  return { message: "Logged out successfully" };
});

await app.listen({ port: PORT, host: "127.0.0.1" });
announce("fastify-session");
