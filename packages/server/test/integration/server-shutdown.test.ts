import { Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, sleep } from "../../../../test/support/ports.js";
import { startRedisServer, type RedisServer } from "../../../../test/support/redis-server.js";
import { startServerProcess } from "../support/server-process.js";

/** SIGTERM on the real process: drained, bounded by the grace period, exit 0, the log naming what did not finish. */

/** Logs in over `agent` (default: one connection, closed after the answer, so shutdown need not wait for it). */
function login(baseUrl: string, agent = new Agent({ keepAlive: false })): Promise<string> {
  const url = new URL("/login/", baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, headers: { "content-type": "application/json" } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve(`session_id=${(JSON.parse(body) as { session_id: string }).session_id}`));
      },
    );
    req.on("error", reject);
    req.end('{"username":"ada"}');
  });
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
}

/** One GET over `agent`; resolves with the answer, rejects if the connection fails or is cut. */
function get(baseUrl: string, path: string, agent: Agent, cookie: string): Promise<Answer> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, agent, headers: { cookie } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("shutdown on SIGTERM", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    redis?.thaw();
    await redis?.dispose();
  });

  it("exits 0 within the grace period while Redis hangs, blaming the store, not requests", async () => {
    const server = await startServerProcess({
      PORT: String(await freePort()),
      REDIS_URL: redis.url,
      SHUTDOWN_GRACE_MS: "3000",
      HTTP_KEEP_ALIVE_TIMEOUT_MS: "1000",
    });
    const cookie = await login(server.baseUrl);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    redis.freeze();
    try {
      // A request waiting on the frozen store when the signal comes: still answered (503, its
      // store deadline), with Connection: close.
      // The signal must land between the server taking the request and the store deadline (1 s)
      // answering it: 400 ms leaves room on both sides on a busy machine, and the log line below
      // says whether it did.
      const inFlight = get(server.baseUrl, "/profile/", agent, cookie);
      await sleep(400);
      server.child.kill("SIGTERM");
      const answer = await inFlight;
      await server.waitForLine(/answering 1 request\(s\) in flight/);
      expect(answer.status).toBe(503);
      expect(answer.headers.connection).toBe("close");
      expect(await server.exited).toBe(0);
    } finally {
      redis.thaw();
      agent.destroy();
    }
    const warnings = server.lines.filter((line) => line.startsWith("tessera: warning:"));
    expect(warnings.at(-1)).toMatch(
      /^tessera: warning: shutdown grace period of 3000 ms is over and closing the session store \(.*\) had not finished: it is not answering; exiting anyway$/,
    );
    expect(server.lines.join("\n")).not.toMatch(/connection\(s\) were still open|requests still open/);
  });

  it("exits 0 when idle, with Redis healthy, once idle keep-alive connections time out", async () => {
    const server = await startServerProcess({
      PORT: String(await freePort()),
      REDIS_URL: redis.url,
      SHUTDOWN_GRACE_MS: "3000",
      HTTP_KEEP_ALIVE_TIMEOUT_MS: "1000",
    });
    await login(server.baseUrl);
    expect(await server.stop("SIGTERM")).toBe(0);
    expect(server.lines.at(-1)).toMatch(/^tessera: stopped after \d+ ms$/);
  });

  it("under keep-alive load: answers every request already sent with Connection: close, cuts none, serves no more, exits 0", async () => {
    // The default keep-alive timeout (5 s): Node's Agent drops a free socket 1 s before the
    // server's advertised timeout, so a 1 s timeout would make every request a new connection.
    const server = await startServerProcess({ PORT: String(await freePort()), REDIS_URL: redis.url, SHUTDOWN_GRACE_MS: "8000" });
    const cookie = await login(server.baseUrl);
    const CLIENTS = 8;
    const MAX_REQUESTS_PER_CLIENT = 3000;
    let served = 0;
    let signalled = false;
    const clients = Array.from({ length: CLIENTS }, async () => {
      // One agent with one socket per client: independent keep-alive connections.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const tally = { ok: 0, closeAnswers: 0, cut: 0, closeBeforeSignal: 0 };
      try {
        for (let request = 0; request < MAX_REQUESTS_PER_CLIENT; request++) {
          let answer: Answer;
          try {
            answer = await get(server.baseUrl, "/profile/", agent, cookie);
          } catch (error) {
            // After a Connection: close answer the client must reconnect, and the server takes no
            // new connection: that refusal is expected. Anything else is a cut request.
            if ((error as NodeJS.ErrnoException).code === "ECONNREFUSED" && tally.closeAnswers > 0) break;
            tally.cut++;
            break;
          }
          served++;
          if (answer.status === 200) tally.ok++;
          if (answer.headers.connection === "close") {
            tally.closeAnswers++;
            if (!signalled) tally.closeBeforeSignal++;
          }
        }
      } finally {
        agent.destroy();
      }
      return tally;
    });
    // Signal once the load is well under way (a count, not a time).
    while (served < CLIENTS * 50) await sleep(10);
    signalled = true;
    server.child.kill("SIGTERM");
    const tallies = await Promise.all(clients);
    expect(await server.exited).toBe(0);

    const total = (key: keyof (typeof tallies)[number]) => tallies.reduce((sum, tally) => sum + tally[key], 0);
    console.log(
      `keep-alive shutdown: ${total("ok")} answers (all 200: ${total("ok") === served}), ${total("closeAnswers")} with Connection: close, ${total("cut")} cut`,
    );
    expect(total("cut")).toBe(0);
    expect(total("ok")).toBe(served);
    expect(total("closeBeforeSignal")).toBe(0);
    // Each connection got exactly one answer with Connection: close, its last: no new work after it.
    for (const tally of tallies) expect(tally.closeAnswers).toBe(1);
    expect(server.lines.at(-1)).toMatch(/^tessera: stopped after \d+ ms$/);
  });
});
