import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { Redis } from "ioredis";
import { announce, IDLE_SECONDS, PORT, REDIS_URL, sessionCookie } from "./common.js";

/**
 * The floor: raw node:http and one Redis command per request (GETEX to read and slide, SET to
 * log in, DEL to log out), no framework, no validation. Nothing a session layer does can be
 * cheaper than this on the same machine.
 */
const redis = new Redis(REDIS_URL);
const json = (status: number, body: unknown, headers: Record<string, string> = {}) => ({ status, body: JSON.stringify(body), headers });

const server = createServer((request, response) => {
  const send = ({ status, body, headers }: ReturnType<typeof json>) => {
    response.writeHead(status, { "content-type": "application/json", ...headers });
    response.end(body);
  };
  const path = (request.url ?? "/").replace(/\/$/, "");
  const id = sessionCookie(request.headers.cookie);
  if (request.method === "GET" && path === "/profile") {
    if (!id) return send(json(403, { detail: "No session cookie found" }));
    redis.getex(`floor:${id}`, "PX", IDLE_SECONDS * 1000).then(
      (user) =>
        send(user === null ? json(404, { detail: "Session not found or expired" }) : json(200, { session_id: id, session_data: { user, status: "active" } })),
      () => send(json(503, { detail: "unavailable" })),
    );
    return;
  }
  if (request.method === "POST" && path === "/login") {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk));
    request.on("end", () => {
      const { username } = JSON.parse(body) as { username: string };
      const token = randomBytes(32).toString("base64url");
      redis.set(`floor:${token}`, username, "PX", IDLE_SECONDS * 1000).then(
        () =>
          send(json(200, { message: "Logged in successfully", session_id: token }, { "set-cookie": `session_id=${token}; Path=/; HttpOnly; SameSite=Lax` })),
        () => send(json(503, { detail: "unavailable" })),
      );
    });
    return;
  }
  if (request.method === "POST" && path === "/logout") {
    request.resume();
    (id ? redis.del(`floor:${id}`) : Promise.resolve(0)).then(() => send(json(200, { message: "Logged out successfully" })));
    return;
  }
  send(json(404, { detail: "Not Found" }));
});
server.listen(PORT, "127.0.0.1", () => announce("floor-node"));
