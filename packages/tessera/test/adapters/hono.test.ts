import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { Hono, type Handler } from "hono";
import { sameOriginGuard, sessionMiddleware, type SessionEnv } from "tessera/hono";
import { describeAdapterSuite } from "./adapter-suite.js";
import { runningServer } from "./listen.js";
import { APP_COOKIE, SUITE_ROUTES, type SuiteData } from "./suite-routes.js";

/**
 * The suite on Hono served by @hono/node-server on a real port, with no `app.onError`: the 503s
 * come from the error the adapter throws, which carries its own response.
 */
describeAdapterSuite({
  name: "hono (node-server)",
  async start(manager, setup = {}) {
    const app = new Hono<SessionEnv<SuiteData>>();
    app.use(sessionMiddleware(manager, { trustProxy: setup.trustProxy ?? false }));
    const guard = sameOriginGuard({ trustProxy: setup.trustProxy ?? false });
    for (const route of SUITE_ROUTES) {
      const handler: Handler<SessionEnv<SuiteData>> = async (c) => {
        if (route.appCookie) c.header("Set-Cookie", APP_COOKIE, { append: true });
        const result = await route.handle(c.var.sessions, (header) => c.req.header(header));
        return c.json(result.body as object, result.status as 200);
      };
      const methods = route.method === "ALL" ? ["GET", "POST", "OPTIONS", "TRACE", "PURGE"] : [route.method];
      if (route.guarded) app.on(methods, route.path, guard, handler);
      else app.on(methods, route.path, handler);
    }
    const server = await new Promise<Server>((resolve) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(started as Server));
    });
    return runningServer(server);
  },
});
