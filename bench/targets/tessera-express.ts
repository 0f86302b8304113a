import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import type { SessionManager } from "tessera";
import { announce, importWhenAvailable, PORT } from "./common.js";
import { benchSessionManager, profileAnswer, type RequestSessions } from "./tessera-manager.js";

/**
 * tessera's Express adapter on a bare Express app — the same app as floor-express, with the
 * session layer in place of the hand-written GETEX. Written against the adapter's expected API
 * (`sessionMiddleware(manager)` putting `req.sessions`, `sessionErrorHandler()`), which mirrors
 * tessera/hono; until `tessera/express` exists the target reports itself pending.
 */
interface ExpressAdapter {
  sessionMiddleware(manager: SessionManager): RequestHandler;
  sessionErrorHandler(): ErrorRequestHandler;
}
const adapter = await importWhenAvailable<ExpressAdapter>("tessera/express", ["sessionMiddleware", "sessionErrorHandler"]);
const sessionsOf = (req: express.Request) => (req as unknown as { sessions: RequestSessions }).sessions;

const app = express();
app.set("etag", false); // as floor-express
app.use(adapter.sessionMiddleware(benchSessionManager()));

app.get(["/profile", "/profile/"], async (req, res) => {
  const [status, body] = profileAnswer(await sessionsOf(req).lookup());
  res.status(status).json(body);
});

app.post(["/login", "/login/"], express.json(), async (req, res) => {
  const { username } = req.body as { username: string };
  const { token } = await sessionsOf(req).login({ userId: username });
  res.json({ message: "Logged in successfully", session_id: token });
});

app.post(["/logout", "/logout/"], async (req, res) => {
  await sessionsOf(req).logout();
  res.json({ message: "Logged out successfully" });
});

app.use(adapter.sessionErrorHandler());
app.listen(PORT, "127.0.0.1", () => announce("tessera-express"));
