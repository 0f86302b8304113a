import Fastify, { type FastifyPluginAsync, type FastifyRequest } from "fastify";
import type { SessionManager } from "tessera";
import { announce, importWhenAvailable, PORT } from "./common.js";
import { benchSessionManager, profileAnswer, type RequestSessions } from "./tessera-manager.js";

/**
 * tessera's Fastify plugin on a bare Fastify app — the same app as floor-fastify, with the
 * session layer in place of the hand-written GETEX. Written against the plugin's expected API
 * (`app.register(sessionPlugin, { manager })` decorating `request.sessions`, the shape of
 * tessera/hono's `c.var.sessions`); until `tessera/fastify` exists the target reports itself pending.
 */
interface FastifyAdapter {
  sessionPlugin: FastifyPluginAsync<{ manager: SessionManager }>;
}
const adapter = await importWhenAvailable<FastifyAdapter>("tessera/fastify", ["sessionPlugin"]);
const sessionsOf = (request: FastifyRequest) => (request as unknown as { sessions: RequestSessions }).sessions;

const app = Fastify({ logger: false, routerOptions: { ignoreTrailingSlash: true } });
await app.register(adapter.sessionPlugin, { manager: benchSessionManager() });

app.get("/profile", async (request, reply) => {
  const [status, body] = profileAnswer(await sessionsOf(request).lookup());
  return reply.code(status).send(body);
});

app.post("/login", async (request) => {
  const { username } = request.body as { username: string };
  const { token } = await sessionsOf(request).login({ userId: username });
  return { message: "Logged in successfully", session_id: token };
});

app.post("/logout", async (request) => {
  await sessionsOf(request).logout();
  return { message: "Logged out successfully" };
});

await app.listen({ port: PORT, host: "127.0.0.1" });
announce("tessera-fastify");
