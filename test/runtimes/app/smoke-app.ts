import { Hono } from "hono";
import { createSessionManager, isStoreUnavailable } from "tessera";
import { sessionErrorResponse, sessionMiddleware, type SessionEnv } from "tessera/hono";
import type { SmokeStore } from "./smoke-store.js";

/** Header through which the smoke app tells the test which store failure a 503 came from. */
export const STORE_ERROR_HEADER = "X-Store-Error";

/**
 * The smoke app every runtime serves, written once against the library's public entries:
 * login, read, list, revoke, logout. Store failures are answered by the adapter's 503; the app
 * only adds the error's code as a header, so a test can tell a deadline (`STORE_TIMEOUT`) from a
 * refused connection (`STORE_UNAVAILABLE`) without timing anything.
 */
export function createSmokeApp({ store, setDown }: SmokeStore, runtime: string): Hono<SessionEnv> {
  const manager = createSessionManager({ store });
  const app = new Hono<SessionEnv>();
  app.use(sessionMiddleware(manager));

  app.get("/runtime", (c) => c.json({ runtime }));
  // Test control: the memory store's outage switch (the Upstash runs get real outages).
  app.put("/test/store-down", async (c) => {
    if (!setDown) return c.json({ detail: "this store fails for real: stop its backend instead" }, 404);
    const body = (await c.req.json().catch(() => null)) as { down?: unknown } | null;
    if (typeof body?.down !== "boolean") return c.json({ detail: 'send JSON {"down": true|false}' }, 400);
    setDown(body.down);
    return c.body(null, 204);
  });
  app.post("/login", async (c) => {
    const body = (await c.req.json().catch(() => null)) as { userId?: unknown } | null;
    if (typeof body?.userId !== "string") return c.json({ detail: 'send JSON {"userId": "…"}' }, 400);
    const { session } = await c.var.sessions.login({ userId: body.userId });
    return c.json({ userId: session.userId, handle: session.id });
  });
  app.get("/me", async (c) => {
    const session = await c.var.sessions.session();
    return session ? c.json({ userId: session.userId, handle: session.id }) : c.json({ detail: "Not logged in" }, 401);
  });
  app.get("/sessions", async (c) => {
    const sessions = await c.var.sessions.listSessions();
    if (sessions === null) return c.json({ detail: "Not logged in" }, 401);
    return c.json({ sessions: sessions.map(({ handle, current }) => ({ handle, current })) });
  });
  app.delete("/sessions/:handle", async (c) => c.json({ revoked: await c.var.sessions.revokeSession(c.req.param("handle")) }));
  app.post("/logout", async (c) => {
    await c.var.sessions.logout();
    return c.body(null, 204);
  });

  app.onError((error, c) => {
    const response = sessionErrorResponse(error, c);
    if (!response) return c.json({ detail: `smoke app error: ${error.message}` }, 500);
    if (isStoreUnavailable(error)) response.headers.set(STORE_ERROR_HEADER, error.code);
    return response;
  });
  return app;
}
