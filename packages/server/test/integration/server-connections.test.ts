import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort } from "../../../../test/support/ports.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";

/**
 * Connections held open on purpose (slow headers, slow bodies, idle sockets) against the real
 * process, with short configured timeouts: a normal client is still served, and every held
 * connection is closed by the server.
 */

interface Held {
  socket: Socket;
  /** Resolves with what the server sent before it closed the connection. */
  closed: Promise<string>;
  /** What the server has sent so far. */
  received(): string;
}

/** Opens a connection to `baseUrl`, sends `payload` (possibly nothing), and holds it. */
function hold(baseUrl: string, payload: string): Promise<Held> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (received += chunk));
    const closed = new Promise<string>((resolveClosed) => socket.on("close", () => resolveClosed(received)));
    socket.on("error", () => undefined); // a reset is one way of being closed
    socket.once("connect", () => {
      if (payload) socket.write(payload);
      resolve({ socket, closed, received: () => received });
    });
    socket.once("error", reject);
  });
}

const SLOW_BODY = 'POST /login/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"user';
const SLOW_HEADERS = "GET /profile/ HTTP/1.1\r\nHost: x\r\nX-Slow: ";

async function normalLogin(server: ServerProcess): Promise<number> {
  const response = await fetch(`${server.baseUrl}/login/`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: '{"username":"normal"}',
    signal: AbortSignal.timeout(5000),
  });
  await response.arrayBuffer();
  return response.status;
}

/** The JSON body of a raw HTTP answer, checking it declares JSON. */
function jsonBodyOf(text: string): unknown {
  const [head, body] = text.split("\r\n\r\n");
  expect(head).toMatch(/\r\nContent-Type: application\/json\r\n/i);
  expect(head).toMatch(/\r\nX-Content-Type-Options: nosniff\r\n/i);
  return JSON.parse(body!);
}

describe("requests Node's parser refuses", () => {
  it("are answered with Node's status and a JSON detail, and the connection is closed", async () => {
    const server = await startServerProcess({ PORT: String(await freePort()) });
    try {
      const answers = await Promise.all(
        [
          "POST /login/ HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
          "POST /login/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
          "GET /profile/ HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
          `GET /profile/ HTTP/1.1\r\nHost: x\r\nCookie: session_id=${"x".repeat(17 * 1024)}\r\n\r\n`,
        ].map(async (payload) => (await hold(server.baseUrl, payload)).closed),
      );
      for (const text of answers.slice(0, 3)) {
        expect(text.startsWith("HTTP/1.1 400 Bad Request\r\n"), text).toBe(true);
        expect(jsonBodyOf(text)).toEqual({ detail: expect.stringMatching(/^Malformed HTTP request/) });
      }
      expect(answers[3]!.startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n")).toBe(true);
      expect(jsonBodyOf(answers[3]!)).toEqual({ detail: expect.stringMatching(/^Request headers too large/) });
      expect(await normalLogin(server)).toBe(200);
    } finally {
      await server.stop("SIGKILL");
    }
  });

  it("closes a timed-out connection even when the client keeps it half-open and keeps sending", async () => {
    const server = await startServerProcess({ PORT: String(await freePort()), HTTP_HEADERS_TIMEOUT_MS: "300", HTTP_REQUEST_TIMEOUT_MS: "300" });
    try {
      const url = new URL(server.baseUrl);
      const socket = connect({ port: Number(url.port), host: url.hostname, allowHalfOpen: true });
      socket.on("error", () => undefined); // writing after the server closed may reset
      const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write("GET /profile/ HTTP/1.1\r\nHost: x\r\n");
      // A header line every 100 ms, at most 60 of them: only the server closing the socket ends
      // this before the bound, and then the test fails on `closedInTime`.
      let closedInTime = false;
      void closed.then(() => (closedInTime = true));
      for (let line = 0; line < 60 && !closedInTime; line++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (!socket.destroyed) socket.write(`X-Slow-${line}: a\r\n`);
      }
      expect(closedInTime).toBe(true);
      socket.destroy();
    } finally {
      await server.stop("SIGKILL");
    }
  });
});

describe("a body cut by the request timeout", () => {
  it("is recorded as the 408 the client got, in the access log and the metrics, on both the Node lane and the Hono app", async () => {
    const server = await startServerProcess({
      PORT: String(await freePort()),
      ACCESS_LOG: "true",
      HTTP_HEADERS_TIMEOUT_MS: "300",
      HTTP_REQUEST_TIMEOUT_MS: "300",
    });
    try {
      // Without Origin the lane takes the login; with a same-origin Origin, the Hono app does.
      const viaHono = SLOW_BODY.replace("Host: x\r\n", `Host: ${new URL(server.baseUrl).host}\r\nOrigin: ${server.baseUrl}\r\n`);
      const received = await Promise.all([SLOW_BODY, viaHono].map(async (payload) => (await hold(server.baseUrl, payload)).closed));
      for (const text of received) expect(text.startsWith("HTTP/1.1 408 Request Timeout"), text).toBe(true);
      // The access log is written when the handler gives up on the body, just after the close.
      let logged: string[] = [];
      for (let attempt = 0; attempt < 50 && logged.length < 2; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        logged = server.lines.filter((line) => /^tessera: POST \/login\/ \d{3} /.test(line));
      }
      expect(logged.map((line) => line.split(" ")[3])).toEqual(["408", "408"]);
      const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/tessera_http_requests_total\{[^}]*status="408"[^}]*\} 2\b/);
      expect(metrics).not.toMatch(/tessera_http_requests_total\{[^}]*status="400"/);
    } finally {
      await server.stop("SIGKILL");
    }
  });
});

describe("connections held open by a client", () => {
  it("are closed after the header, request and keep-alive timeouts, while a normal client is served", async () => {
    const server = await startServerProcess({
      PORT: String(await freePort()),
      HTTP_HEADERS_TIMEOUT_MS: "500",
      HTTP_REQUEST_TIMEOUT_MS: "1000",
      HTTP_KEEP_ALIVE_TIMEOUT_MS: "500",
    });
    try {
      const held = await Promise.all([
        ...Array.from({ length: 10 }, () => hold(server.baseUrl, SLOW_BODY)),
        ...Array.from({ length: 10 }, () => hold(server.baseUrl, SLOW_HEADERS)),
        ...Array.from({ length: 10 }, () => hold(server.baseUrl, "")),
        // Keep-alive, idle after one complete request.
        ...Array.from({ length: 5 }, () => hold(server.baseUrl, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")),
      ]);
      expect(await normalLogin(server)).toBe(200);
      // Bounded by the test timeout, not by a clock of ours: each one must be closed by the server.
      const received = await Promise.all(held.map((connection) => connection.closed));
      expect(received.slice(0, 30).every((text) => text.startsWith("HTTP/1.1 408 Request Timeout"))).toBe(true);
      // With a JSON detail, as every other answer (Node's own is a bare status line).
      for (const text of received.slice(0, 30)) expect(jsonBodyOf(text)).toEqual({ detail: expect.stringMatching(/^Request timed out/) });
      expect(received.slice(30).every((text) => text.startsWith("HTTP/1.1 404 Not Found"))).toBe(true);
      expect(await normalLogin(server)).toBe(200);
      // A body cut by the request timeout is the client's doing: nothing for the error log.
      expect(server.lines.filter((line) => line.startsWith("tessera: error:"))).toEqual([]);
    } finally {
      await server.stop("SIGKILL");
    }
  });

  it("past the connection cap, the oldest connection waiting on its client makes room for a new one", async () => {
    const CAP = 10;
    // Long timeouts: here only the cap can free a slot.
    const server = await startServerProcess({
      PORT: String(await freePort()),
      HTTP_MAX_CONNECTIONS: String(CAP),
      HTTP_HEADERS_TIMEOUT_MS: "60000",
      HTTP_REQUEST_TIMEOUT_MS: "60000",
    });
    try {
      const held: Held[] = [];
      for (let index = 0; index < 3 * CAP; index++) held.push(await hold(server.baseUrl, index % 2 === 0 ? SLOW_BODY : ""));
      for (let attempt = 0; attempt < 5; attempt++) expect(await normalLogin(server)).toBe(200);
      // 3 × CAP held, oldest first: at least the first 2 × CAP were closed to make room.
      expect(await Promise.all(held.slice(0, 2 * CAP).map((connection) => connection.closed))).toHaveLength(2 * CAP);
      expect(server.lines.filter((line) => line.startsWith("tessera: error:"))).toEqual([]);
      const capLines = server.lines.filter((line) => line.includes("connection cap of 10 reached"));
      expect(capLines).toHaveLength(1); // one line, not one per connection
      for (const connection of held) connection.socket.destroy();
      expect(server.child.exitCode).toBeNull();
    } finally {
      await server.stop("SIGKILL");
    }
  });

  it("past the connection cap, an idle keep-alive connection whose request was answered makes room too", async () => {
    const CAP = 4;
    const server = await startServerProcess({
      PORT: String(await freePort()),
      HTTP_MAX_CONNECTIONS: String(CAP),
      HTTP_KEEP_ALIVE_TIMEOUT_MS: "60000",
      SHUTDOWN_GRACE_MS: "61000",
    });
    try {
      const idle: Held[] = [];
      for (let index = 0; index < CAP; index++) {
        const connection = await hold(server.baseUrl, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        idle.push(connection);
      }
      // Every one of them has its answer, and stays open (keep-alive, 60 s).
      await waitFor(() => idle.every((connection) => connection.received().includes("200 OK")));
      expect(await normalLogin(server)).toBe(200);
      // The oldest answered one was closed to make room.
      expect(await idle[0]!.closed).toContain("200 OK");
      for (const connection of idle) connection.socket.destroy();
    } finally {
      await server.stop("SIGKILL");
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 100 && !condition(); attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(condition()).toBe(true);
}
