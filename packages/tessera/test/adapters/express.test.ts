import { createServer } from "node:http";
import express5 from "express";
import express4 from "express4";
import { createSessionManager } from "tessera";
import { createMemoryStore } from "tessera/memory";
import { sameOriginGuard, sessionErrorHandler, sessionMiddleware } from "tessera/express";
import { describe, expect, it } from "vitest";
import { describeAdapterSuite, type AdapterDriver } from "./adapter-suite.js";
import { listenOnLoopback } from "./listen.js";
import { APP_COOKIE, SUITE_ROUTES } from "./suite-routes.js";
import { OUTAGE_RETRY_AFTER_SECONDS, switchableStore } from "./switchable-store.js";

/**
 * The suite on real Express 5 and Express 4 servers. Both get the same app; Express 4 does not
 * catch a rejected async handler, so its routes pass rejections to `next` as Express 4 apps must.
 */
function expressDriver(name: string, createApp: () => express5.Express, forwardRejections: boolean): AdapterDriver {
  return {
    name,
    async start(manager, setup = {}) {
      const app = createApp();
      if (setup.trustProxy) app.set("trust proxy", "loopback");
      app.use(sessionMiddleware(manager));
      const guard = sameOriginGuard();
      for (const route of SUITE_ROUTES) {
        const register = route.method === "ALL" ? app.all.bind(app) : route.method === "GET" ? app.get.bind(app) : app.post.bind(app);
        const handler = async (req: express5.Request, res: express5.Response): Promise<void> => {
          if (route.appCookie) res.append("Set-Cookie", APP_COOKIE);
          const result = await route.handle(req.sessions, (header) => req.get(header));
          res.status(result.status).json(result.body);
        };
        const wrapped = forwardRejections
          ? (req: express5.Request, res: express5.Response, next: express5.NextFunction) => void handler(req, res).catch(next)
          : handler;
        if (route.guarded) register(route.path, guard, wrapped);
        else register(route.path, wrapped);
      }
      app.use(sessionErrorHandler());
      return listenOnLoopback(createServer(app));
    },
  };
}

describeAdapterSuite(expressDriver("express 5", express5, false));
// Typed against @types/express 4 here, so the middleware's structural types are checked there too;
// the driver then uses the Express 5 types (the two differ in generics only, not in what runs).
const typedExpress4: express4.Express = express4();
typedExpress4.use(sessionMiddleware(createSessionManager({ store: createMemoryStore() })), sameOriginGuard());
typedExpress4.use(sessionErrorHandler());
typedExpress4.get("/", async (req, res) => void res.json((await req.sessions.lookup()).status));

describeAdapterSuite(expressDriver("express 4", () => express4() as unknown as express5.Express, true));

describe("express without sessionErrorHandler", () => {
  it.each([
    ["express 5", () => express5() as unknown as express5.Express, false],
    ["express 4", () => express4() as unknown as express5.Express, true],
  ] as const)("%s: Express's own final handler still answers a store outage with 503 and Retry-After", async (_name, createApp, forward) => {
    const { store, setFailing } = switchableStore();
    const app = createApp();
    app.use(sessionMiddleware(createSessionManager({ store })));
    const handler = async (req: express5.Request, res: express5.Response): Promise<void> => void res.json(await req.sessions.session());
    app.get("/me", forward ? (req, res, next) => void handler(req, res).catch(next) : handler);
    const running = await listenOnLoopback(createServer(app));
    try {
      setFailing(true);
      const down = await running.send({ method: "GET", path: "/me", headers: { cookie: `session_id=${"A".repeat(45)}` } });
      expect(down.status).toBe(503);
      expect(down.headers["retry-after"]).toBe(String(OUTAGE_RETRY_AFTER_SECONDS));
    } finally {
      await running.close();
    }
  });
});

describe("express 4 with preload: an async handler that does not catch its rejections", () => {
  it("gets a store outage as a 503 through next(error), and a live session for one store read", async () => {
    const { store, setFailing, calls } = switchableStore();
    const manager = createSessionManager({ store });
    const { token } = await manager.login(new Request("http://localhost/"), { userId: "ada" });
    const app = express4() as unknown as express5.Express;
    app.use(sessionMiddleware(manager, { preload: true }));
    // As many Express 4 apps are written: no .catch(next). A rejection here would go unhandled.
    app.get("/me", async (req, res) => {
      const session = await req.sessions.session();
      res.json({ user: session?.userId ?? null, again: (await req.sessions.session())?.userId ?? null });
    });
    app.use(sessionErrorHandler());
    const running = await listenOnLoopback(createServer(app));
    try {
      const readsBefore = calls.get("readAndExtend") ?? 0;
      const me = await running.send({ method: "GET", path: "/me", headers: { cookie: `session_id=${token}` } });
      expect(JSON.parse(me.text)).toEqual({ user: "ada", again: "ada" });
      expect((calls.get("readAndExtend") ?? 0) - readsBefore).toBe(1);
      setFailing(true);
      const down = await running.send({ method: "GET", path: "/me", headers: { cookie: `session_id=${token}` } });
      expect(down.status).toBe(503);
      expect(down.headers["retry-after"]).toBe(String(OUTAGE_RETRY_AFTER_SECONDS));
      expect(JSON.parse(down.text)).toEqual({ detail: expect.stringMatching(/store/i) });
    } finally {
      setFailing(false);
      await running.close();
    }
  });
});

describe("express: the middleware mounted on the app and again on a router", () => {
  it("keeps one sessions object per request, so the store is read once", async () => {
    const inner = createMemoryStore();
    let reads = 0;
    const store = {
      ...inner,
      description: "counting",
      readAndExtend: (...args: Parameters<typeof inner.readAndExtend>) => {
        reads++;
        return inner.readAndExtend(...args);
      },
    };
    const manager = createSessionManager({ store });
    const { token } = await manager.login(new Request("http://localhost/"), { userId: "ada" });
    const app = express5();
    const router = express5.Router();
    app.use(sessionMiddleware(manager));
    app.use((req, _res, next) => void req.sessions.session().then(() => next(), next));
    router.use(sessionMiddleware(manager));
    router.get("/me", async (req, res) => void res.json({ user: (await req.sessions.session())?.userId ?? null }));
    app.use("/api", router);
    const server = await listenOnLoopback(createServer(app));
    try {
      const response = await server.send({ method: "GET", path: "/api/me", headers: { cookie: `session_id=${token}` } });
      expect(JSON.parse(response.text)).toEqual({ user: "ada" });
      expect(reads).toBe(1);
    } finally {
      await server.close();
    }
  });
});
