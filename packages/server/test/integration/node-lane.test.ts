import { createServer, request as httpRequest, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { getConnInfo } from "@hono/node-server/conninfo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer, type RedisServer } from "../../../../test/support/redis-server.js";
import type { LogContext, Logger } from "../../src/logger.js";
import { nodeRequestListener } from "../../src/node-listener.js";
import { createServerFromEnv, type TesseraServer } from "../../src/server-from-env.js";

/**
 * The Node lane (`node-lane.ts`) serves the seed's routes beside the Hono app, which serves them
 * on Bun and serves what the lane leaves. Both must answer alike: here one configured server (one
 * store, one set of metrics) listens twice, with and without the lane, and every request below
 * goes to both. Status, headers and body must match (request ids, dates and tokens aside), and so
 * must the access-log line and the request metrics. Each request also states whether the lane
 * must take it, so this cannot pass by comparing the Hono app with itself.
 */

interface RawRequest {
  method: string;
  path: string;
  /** Raw header lines, in order (repeats allowed). */
  headers: string[];
  body?: string | Buffer;
  /** Send the body after the headers, in these parts, each this long after the one before (the body must be their concatenation). */
  slowBody?: { parts: string[]; gapMs: number };
}

interface Answer {
  status: number;
  /** `name: value` lines, lower-case names, sorted; dates, connection headers and generated request ids left out. */
  headers: string[];
  body: string;
}

interface Case {
  name: string;
  /** Whether the lane answers it (else the Hono app). */
  lane: boolean;
  /** `cookie` is a fresh live session's `Cookie` value, made before each of the two sends. */
  request: (cookie: string) => RawRequest;
}

const JSON_TYPE = ["Content-Type", "application/json"];
const TOKEN = /[A-Za-z0-9_-]{45}/g;
const normalize = (text: string) => text.replace(TOKEN, "<token>");

function send(server: Server, request: RawRequest): Promise<Answer> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const headers = ["Host", `127.0.0.1:${port}`, ...request.headers];
    const req = httpRequest({ host: "127.0.0.1", port, method: request.method, path: request.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const lines: string[] = [];
        const sentId = request.headers[request.headers.findIndex((line, index) => index % 2 === 0 && line.toLowerCase() === "x-request-id") + 1];
        for (let index = 0; index < res.rawHeaders.length; index += 2) {
          const name = res.rawHeaders[index]!.toLowerCase();
          const value = res.rawHeaders[index + 1]!;
          if (name === "date" || name === "connection" || name === "keep-alive") continue;
          // A request id is compared only when it is the client's own, echoed; a new one is unique.
          if (name === "x-request-id") lines.push(`${name}: ${value === sentId ? value : "<new>"}`);
          else lines.push(`${name}: ${normalize(value)}`);
        }
        resolve({ status: res.statusCode ?? 0, headers: lines.sort(), body: normalize(Buffer.concat(chunks).toString("utf8")) });
      });
    });
    req.on("error", reject);
    if (request.slowBody === undefined) return void req.end(request.body);
    const { parts, gapMs } = request.slowBody;
    req.flushHeaders();
    void (async () => {
      for (const part of parts) {
        await new Promise((resolve) => setTimeout(resolve, gapMs));
        req.write(part);
      }
      req.end();
    })();
  });
}

const post = (path: string, headers: string[] = [], body?: string | Buffer): RawRequest => ({
  method: "POST",
  path,
  headers: body === undefined ? headers : [...headers, "Content-Length", String(Buffer.byteLength(body))],
  ...(body === undefined ? {} : { body }),
});
const get = (path: string, headers: string[] = []): RawRequest => ({ method: "GET", path, headers });
const loginBody = (username: unknown) => JSON.stringify({ username });

const CASES: Case[] = [
  { name: "profile without a cookie", lane: true, request: () => get("/profile/") },
  { name: "profile of a live session, no trailing slash", lane: true, request: (cookie) => get("/profile", ["Cookie", cookie]) },
  { name: "profile with an unknown token", lane: true, request: () => get("/profile/", ["Cookie", `session_id=${"A".repeat(45)}`]) },
  { name: "profile with a malformed cookie", lane: true, request: () => get("/profile/", ["Cookie", 'session_id="%%; x']) },
  { name: "profile with repeated Cookie lines", lane: true, request: (cookie) => get("/profile/", ["Cookie", "theme=dark", "Cookie", cookie]) },
  {
    name: "profile with an unknown session cookie before the live one",
    lane: true,
    request: (cookie) => get("/profile/", ["Cookie", `session_id=${"A".repeat(45)}; ${cookie}`]),
  },
  { name: "profile with the client's request id", lane: true, request: (cookie) => get("/profile/", ["Cookie", cookie, "X-Request-Id", "req-42"]) },
  { name: "profile with a request id that is refused", lane: true, request: (cookie) => get("/profile/", ["Cookie", cookie, "X-Request-Id", "a b"]) },
  { name: "profile with a query string", lane: false, request: (cookie) => get("/profile/?x=1", ["Cookie", cookie]) },
  { name: "HEAD of profile", lane: false, request: (cookie) => ({ method: "HEAD", path: "/profile/", headers: ["Cookie", cookie] }) },
  { name: "login", lane: true, request: () => post("/login/", JSON_TYPE, loginBody("ada")) },
  { name: "login over a live session (rotation)", lane: true, request: (cookie) => post("/login", [...JSON_TYPE, "Cookie", cookie], loginBody("ada")) },
  { name: "login as text/plain", lane: true, request: () => post("/login/", ["Content-Type", "text/plain"], loginBody("ada")) },
  { name: "login without a Content-Type", lane: true, request: () => post("/login/", [], loginBody("ada")) },
  { name: "login with a body over the limit", lane: true, request: () => post("/login/", JSON_TYPE, loginBody("x".repeat(20_000))) },
  { name: "login with an empty body", lane: true, request: () => post("/login/", JSON_TYPE, "") },
  { name: "login with malformed JSON", lane: true, request: () => post("/login/", JSON_TYPE, '{"username":') },
  { name: "login with bytes that are not UTF-8", lane: true, request: () => post("/login/", JSON_TYPE, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])) },
  { name: "login nested too deep", lane: true, request: () => post("/login/", JSON_TYPE, `${"[".repeat(65)}${"]".repeat(65)}`) },
  { name: "login with a number for the username", lane: true, request: () => post("/login/", JSON_TYPE, loginBody(5)) },
  { name: "login with a username too long", lane: true, request: () => post("/login/", JSON_TYPE, loginBody("é".repeat(257))) },
  { name: "login with 129 emoji (258 UTF-16 units)", lane: true, request: () => post("/login/", JSON_TYPE, loginBody("😀".repeat(129))) },
  { name: "login with a lone surrogate", lane: true, request: () => post("/login/", JSON_TYPE, '{"username":"ada\\ud800"}') },
  { name: "login with __proto__ keys", lane: true, request: () => post("/login/", JSON_TYPE, '{"__proto__":{"username":"x"},"username":"ada"}') },
  { name: "login with two Content-Type lines", lane: false, request: () => post("/login/", [...JSON_TYPE, "Content-Type", "text/plain"], loginBody("ada")) },
  {
    name: "login with two User-Agent lines",
    lane: false,
    request: () => post("/login/", [...JSON_TYPE, "User-Agent", "a/1", "User-Agent", "b/2"], loginBody("ada")),
  },
  {
    name: "login with a browser's User-Agent",
    lane: true,
    request: () => post("/login/", [...JSON_TYPE, "User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"], loginBody("ada")),
  },
  {
    name: "login whose body comes 50 ms after its headers, in two parts",
    lane: true,
    request: () => {
      const body = loginBody("ada");
      return { ...post("/login/", JSON_TYPE, body), slowBody: { parts: [body.slice(0, 5), body.slice(5)], gapMs: 50 } };
    },
  },
  {
    name: "login with a chunked body",
    lane: false,
    request: () => ({ method: "POST", path: "/login/", headers: [...JSON_TYPE, "Transfer-Encoding", "chunked"], body: loginBody("ada") }),
  },
  { name: "login from another site's page", lane: false, request: () => post("/login/", [...JSON_TYPE, "Origin", "http://evil.example"], loginBody("ada")) },
  { name: "login from the server's own page", lane: false, request: () => post("/login/", [...JSON_TYPE, "Sec-Fetch-Site", "same-origin"], loginBody("ada")) },
  { name: "logout", lane: true, request: (cookie) => post("/logout/", ["Cookie", cookie]) },
  { name: "logout without a cookie", lane: true, request: () => post("/logout") },
  { name: "logout with a body", lane: true, request: (cookie) => post("/logout/", [...JSON_TYPE, "Cookie", cookie], "{}") },
  { name: "logout with an unknown token", lane: true, request: () => post("/logout/", ["Cookie", `session_id=${"B".repeat(45)}`]) },
];

/** The same requests with Redis stopped: 503 with Retry-After from both. */
const OUTAGE_CASES: Case[] = [
  { name: "profile while Redis is down", lane: true, request: (cookie) => get("/profile/", ["Cookie", cookie]) },
  { name: "login while Redis is down", lane: true, request: () => post("/login/", JSON_TYPE, loginBody("ada")) },
  { name: "logout while Redis is down", lane: true, request: (cookie) => post("/logout/", ["Cookie", cookie]) },
];

/** The request-duration counts by label set, from the metrics text. */
async function requestCounts(tessera: TesseraServer): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const line of (await tessera.metrics.render()).body.split("\n")) {
    const match = /^tessera_http_request_duration_seconds_count(\{.*\}) (\d+)$/.exec(line);
    if (match) counts.set(match[1]!, Number(match[2]));
  }
  return counts;
}

const delta = (after: Map<string, number>, before: Map<string, number>) =>
  [...after].map(([labels, count]) => [labels, count - (before.get(labels) ?? 0)] as const).filter(([, count]) => count > 0);

describe("the Node lane answers exactly as the Hono app does", () => {
  let redis: RedisServer;
  let tessera: TesseraServer;
  let withLane: Server;
  let appOnly: Server;
  let laneTook = 0;
  const accessLines: LogContext[] = [];
  const logger: Logger = {
    info: (_message, context) => {
      if (context?.status !== undefined) accessLines.push(context);
    },
    warn() {},
    error() {},
  };

  const listen = (server: Server) => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  beforeAll(async () => {
    redis = await startRedisServer();
    tessera = await createServerFromEnv(
      // TRUST_PROXY: the device's address comes from X-Forwarded-For, which both paths must read alike.
      { REDIS_URL: redis.url, ACCESS_LOG: "true", TRUST_PROXY: "true" },
      { logger, processMetrics: false, remoteAddress: (c) => getConnInfo(c).remote.address },
    );
    const lane = tessera.nodeLane!;
    withLane = createServer(
      nodeRequestListener({
        ...tessera,
        nodeLane: (request, response) => {
          const took = lane(request, response);
          if (took) laneTook++;
          return took;
        },
      }),
    );
    appOnly = createServer(nodeRequestListener({ ...tessera, nodeLane: undefined }));
    await Promise.all([listen(withLane), listen(appOnly)]);
  });

  afterAll(async () => {
    withLane?.close();
    appOnly?.close();
    await tessera?.close();
    await redis?.dispose();
  });

  /** A live session's `Cookie` value, logged in through the Hono app (neither side of a comparison). */
  async function freshCookie(): Promise<string> {
    const { port } = appOnly.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/login/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: loginBody("grace"),
    });
    expect(response.status).toBe(200);
    return response.headers.getSetCookie()[0]!.split(";")[0]!;
  }

  /** Sends one request through `server`: its answer, the access-log lines and the request-metric counts it added. */
  async function observed(server: Server, request: RawRequest) {
    const metricsBefore = await requestCounts(tessera);
    const logsBefore = accessLines.length;
    const answer = await send(server, request);
    const lines = accessLines.slice(logsBefore).map(({ method, path, route, status }) => ({ method, path, route, status }));
    return { answer, lines, metrics: delta(await requestCounts(tessera), metricsBefore) };
  }

  async function compare(testCase: Case): Promise<void> {
    const laneCookie = await freshCookie();
    const laneBefore = laneTook;
    const viaLane = await observed(withLane, testCase.request(laneCookie));
    expect(laneTook - laneBefore, `did the lane take "${testCase.name}"?`).toBe(testCase.lane ? 1 : 0);
    const viaApp = await observed(appOnly, testCase.request(await freshCookie()));

    expect(viaLane.answer, testCase.name).toEqual(viaApp.answer);
    expect(viaLane.lines, `access log of "${testCase.name}"`).toHaveLength(1);
    expect(viaLane.lines, `access log of "${testCase.name}"`).toEqual(viaApp.lines);
    expect(viaLane.metrics, `request metrics of "${testCase.name}"`).toEqual(viaApp.metrics);
  }

  it.each(CASES.map((testCase) => [testCase.name, testCase] as const))("%s", async (_name, testCase) => {
    await compare(testCase);
  });

  it("records the same device as the app: the user agent's label and the address from X-Forwarded-For", async () => {
    const deviceAfterLoginThrough = async (server: Server) => {
      const { port } = server.address() as AddressInfo;
      const login = await fetch(`http://127.0.0.1:${port}/login/`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1",
          "x-forwarded-for": "203.0.113.7, 10.0.0.1",
        },
        body: loginBody(`device-${port}`),
      });
      const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
      const { port: appPort } = appOnly.address() as AddressInfo;
      const listing = (await (await fetch(`http://127.0.0.1:${appPort}/sessions/`, { headers: { cookie } })).json()) as {
        sessions: Array<{ current: boolean; userAgent: string; ip: string }>;
      };
      const { userAgent, ip } = listing.sessions.find((session) => session.current)!;
      return { userAgent, ip };
    };
    const laneBefore = laneTook;
    const viaLane = await deviceAfterLoginThrough(withLane);
    expect(laneTook - laneBefore).toBe(1);
    expect(viaLane.ip).toBe("203.0.113.7");
    expect(viaLane).toEqual(await deviceAfterLoginThrough(appOnly));
  });

  it("ends the connection after answering a login whose body is still arriving, instead of reading it all", async () => {
    const { port } = withLane.address() as AddressInfo;
    const socket = connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.write(`POST /login/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n${"x".repeat(1000)}`);
    // The rest of the 100 MB never comes: the server must answer and close on its own.
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(received.toLowerCase()).toContain("\r\nconnection: close\r\n");
  });

  it("while Redis is down: the same 503 with Retry-After", async () => {
    const cookies = [await freshCookie(), await freshCookie()];
    await redis.stop();
    try {
      for (const testCase of OUTAGE_CASES) {
        const laneBefore = laneTook;
        const viaLane = await send(withLane, testCase.request(cookies[0]!));
        expect(laneTook - laneBefore).toBe(1);
        const viaApp = await send(appOnly, testCase.request(cookies[1]!));
        expect(viaLane.status, testCase.name).toBe(503);
        expect(
          viaLane.headers.some((line) => line.startsWith("retry-after: ")),
          testCase.name,
        ).toBe(true);
        expect(viaLane, testCase.name).toEqual(viaApp);
      }
    } finally {
      await redis.start();
    }
  });
});
