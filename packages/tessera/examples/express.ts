// The README's Express example (Express 4 or 5), compiled by `npm run typecheck` and exercised by
// test/adapters/examples.test.ts.
import express from "express";
import { createSessionManager } from "tessera";
import { createMemoryStore } from "tessera/memory";
import { sameOriginGuard, sessionErrorHandler, sessionMiddleware } from "tessera/express";

type Data = { theme?: string };
declare module "tessera/express" {
  interface Register {
    data: Data; // types req.sessions app-wide
  }
}

const sessions = createSessionManager<Data>({ store: createMemoryStore() });

export const app = express();
app.use(sessionMiddleware(sessions, { clientIp: (req) => req.ip }));
app.use(sameOriginGuard()); // refuses cross-site POSTs from browsers
app.post("/login", async (req, res) => {
  await req.sessions.login({ userId: "ada", data: { theme: "dark" } }); // appends Set-Cookie
  res.json({ ok: true });
});
app.get("/me", async (req, res) => {
  const session = await req.sessions.session(); // one store read per request, however often asked
  if (!session) return void res.status(401).json({ detail: "Not logged in" });
  res.json({ user: session.userId, theme: session.data.theme });
});
app.post("/logout", async (req, res) => {
  await req.sessions.logout(); // clears the cookie
  res.json({ ok: true });
});
app.use(sessionErrorHandler()); // store down → 503 + Retry-After as JSON (without it: Express's own 503 page)
