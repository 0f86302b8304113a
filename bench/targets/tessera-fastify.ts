import Fastify from "fastify";
import { tesseraSessions } from "tessera/fastify";
import { announce, PORT } from "./common.js";
import { benchSessionManager, profileAnswer } from "./tessera-manager.js";

/**
 * tessera's Fastify plugin on a bare Fastify app — the same app as floor-fastify, with the
 * session layer in place of the hand-written GETEX. Fastify's default error handler answers a
 * store failure with the 503 the adapter's error carries, so no error handler is installed.
 */
const app = Fastify({ logger: false, routerOptions: { ignoreTrailingSlash: true } });
await app.register(tesseraSessions, { manager: benchSessionManager() });

app.get("/profile", async (request, reply) => {
  const [status, body] = profileAnswer(await request.sessions.lookup());
  // As floor-fastify: a 200 returns its object, other statuses go through `reply.code`.
  return status === 200 ? body : reply.code(status).send(body);
});

app.post("/login", async (request) => {
  const { username } = request.body as { username: string };
  const { token } = await request.sessions.login({ userId: username });
  return { message: "Logged in successfully", session_id: token };
});

app.post("/logout", async (request) => {
  await request.sessions.logout();
  return { message: "Logged out successfully" };
});

await app.listen({ port: PORT, host: "127.0.0.1" });
announce("tessera-fastify");
