import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { sameOriginGuard, tesseraSessions } from "tessera/fastify";
import { describe, expect, it } from "vitest";
import { describeAdapterSuite } from "./adapter-suite.js";
import { runningServer } from "./listen.js";
import { APP_COOKIE, SUITE_ROUTES } from "./suite-routes.js";

/** The suite on a real Fastify 5 server, with Fastify's default error handler (no `setErrorHandler`). */
describeAdapterSuite({
  name: "fastify 5",
  async start(manager, setup = {}) {
    const app = Fastify({ trustProxy: setup.trustProxy ?? false });
    await app.register(tesseraSessions, { manager });
    // PURGE is not among Fastify's default methods; an app opts in like this.
    app.addHttpMethod("PURGE");
    const guard = sameOriginGuard();
    for (const route of SUITE_ROUTES) {
      const methods = route.method === "ALL" ? ["GET", "POST", "OPTIONS", "TRACE", "PURGE"] : [route.method];
      app.route({
        method: methods,
        url: route.path,
        ...(route.guarded ? { onRequest: guard } : {}),
        async handler(request: FastifyRequest, reply: FastifyReply) {
          if (route.appCookie) reply.header("set-cookie", APP_COOKIE);
          const result = await route.handle(request.sessions, (header) => {
            const value = request.headers[header];
            return Array.isArray(value) ? value[0] : value;
          });
          return reply.code(result.status).send(result.body);
        },
      });
    }
    await app.listen({ port: 0, host: "127.0.0.1" });
    const running = runningServer(app.server);
    return { ...running, close: () => app.close() };
  },
});

describe("fastify: the plugin registered twice", () => {
  it("fails the registration with a message, instead of an uncaught error", async () => {
    const { createSessionManager } = await import("tessera");
    const { createMemoryStore } = await import("tessera/memory");
    const manager = createSessionManager({ store: createMemoryStore() });
    const app = Fastify();
    app.register(tesseraSessions, { manager });
    app.register(tesseraSessions, { manager });
    await expect(app.ready()).rejects.toThrow(/registered twice/);
    await app.close();
  });
});
