import express from "express";
import { sessionErrorHandler, sessionMiddleware } from "tessera/express";
import { announce, PORT } from "./common.js";
import { benchSessionManager, profileAnswer } from "./tessera-manager.js";

/**
 * tessera's Express adapter on a bare Express app — the same app as floor-express, with the
 * session layer in place of the hand-written GETEX.
 */
const app = express();
app.set("etag", false); // as floor-express
app.use(sessionMiddleware(benchSessionManager()));

app.get(["/profile", "/profile/"], async (req, res) => {
  const [status, body] = profileAnswer(await req.sessions.lookup());
  // As floor-express: `res.status` only off the 200 path (Express 5's costs ~3 µs a call).
  if (status !== 200) res.status(status);
  res.json(body);
});

app.post(["/login", "/login/"], express.json(), async (req, res) => {
  const { username } = req.body as { username: string };
  const { token } = await req.sessions.login({ userId: username });
  res.json({ message: "Logged in successfully", session_id: token });
});

app.post(["/logout", "/logout/"], async (req, res) => {
  await req.sessions.logout();
  res.json({ message: "Logged out successfully" });
});

app.use(sessionErrorHandler());
app.listen(PORT, "127.0.0.1", () => announce("tessera-express"));
