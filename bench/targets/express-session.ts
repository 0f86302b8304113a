import { RedisStore } from "connect-redis";
import express from "express";
import session from "express-session";
import { createClient } from "redis";
import { announce, IDLE_SECONDS, PORT, REDIS_URL } from "./common.js";

/** express-session + connect-redis with a 15-minute rolling expiry: the most common Node setup. */
declare module "express-session" {
  interface SessionData {
    user: string;
  }
}

const client = createClient({ url: REDIS_URL });
await client.connect();
const app = express();
app.use(express.json());
app.use(
  session({
    store: new RedisStore({ client, ttl: IDLE_SECONDS }),
    name: "session_id",
    secret: "bench-secret-bench-secret-bench-secret",
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { maxAge: IDLE_SECONDS * 1000, httpOnly: true, sameSite: "lax" },
  }),
);

app.post(["/login", "/login/"], (req, res) => {
  req.session.user = (req.body as { username: string }).username;
  res.json({ message: "Logged in successfully", session_id: req.sessionID });
});

app.get(["/profile", "/profile/"], (req, res) => {
  if (!req.headers.cookie) return void res.status(403).json({ detail: "No session cookie found" });
  if (!req.session.user) return void res.status(404).json({ detail: "Session not found or expired" });
  res.json({ session_id: req.sessionID, session_data: { user: req.session.user, status: "active" } });
});

app.post(["/logout", "/logout/"], (req, res) => {
  req.session.destroy(() => res.json({ message: "Logged out successfully" }));
});

app.listen(PORT, "127.0.0.1", () => announce("express-session"));
