import type { IncomingMessage, Server, ServerOptions, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { HttpLimits } from "./config.js";
import type { Logger } from "./logger.js";

/** At most one line per this long about the connection cap, however hard it is hit. */
const CAP_REPORT_INTERVAL_MS = 60_000;

/**
 * Node's HTTP server options for `limits`. Node closes a connection whose headers or whole request
 * are late with a 408; an idle keep-alive connection is closed after `keepAliveTimeoutMs` (and
 * the client is told so in `Keep-Alive: timeout=…`).
 */
export function httpServerOptions(limits: HttpLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts above only when it sweeps its connections, every 30 s by
    // default, so a 10 s timeout could hold for 40 s: sweep at a quarter of the shorter one.
    connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/** Node's refusals before a request reaches a handler: its status, reason phrase and our `detail`. */
function clientErrorAnswer(code: string | undefined): [number, string, string] {
  switch (code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return [408, "Request Timeout", "Request timed out: its headers or body arrived too slowly (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS)"];
    case "HPE_HEADER_OVERFLOW":
      return [431, "Request Header Fields Too Large", "Request headers too large: Node's limit is 16 KiB in all (--max-http-header-size)"];
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return [413, "Payload Too Large", "Chunk extensions too large: a chunked body's extensions may take at most 16 KiB"];
    default:
      return [400, "Bad Request", "Malformed HTTP request: the request line, a header or the body's framing could not be parsed"];
  }
}

/** The status a connection was answered with by {@link answerClientErrorsAsJson}, by socket. */
const CLIENT_ERROR_STATUS = new WeakMap<Socket, number>();

/**
 * The status the client got for `request`, answered `status` by the app: Node's own refusal when
 * it answered the connection itself (see {@link answerClientErrorsAsJson}). A request whose body was
 * cut by the request timeout is answered 408 there, while its handler, seeing the body end early,
 * builds an answer that can no longer be sent: metrics and the access log must record the 408.
 */
export function statusSent(request: IncomingMessage, status: number): number {
  if (request.complete) return status;
  const socket = request.socket;
  return (socket == null ? undefined : CLIENT_ERROR_STATUS.get(socket)) ?? status;
}

/**
 * Answers what Node's HTTP parser refuses (a malformed request line or header, a `Content-Length`
 * such as `abc` or two different ones, headers over 16 KiB, a request whose headers or body came
 * too slowly) with a JSON `detail` and the static security headers, as every other answer of the
 * server; Node's own answer is a bare status line. Node's statuses are kept (400, 431, 408), and
 * the connection is closed after it, as Node does.
 */
export function answerClientErrorsAsJson(server: Server, staticHeaders: Readonly<Record<string, string>>): void {
  const extraHeaders = Object.entries(staticHeaders)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    // Nothing can be answered on a connection the client reset, or one whose answer has begun.
    const answering = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || answering?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, reason, detail] = clientErrorAnswer(error.code);
    CLIENT_ERROR_STATUS.set(socket, status);
    const body = JSON.stringify({ detail });
    // `end` closes only our half: Node's server sockets stay readable, and Node no longer watches
    // this one's timeouts, so a client that kept sending would hold it for ever. Destroyed once
    // the answer is written, as Node's own handler does.
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extraHeaders}Connection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  });
}

interface Connection {
  /** The latest request on it (HTTP/1.1 answers one at a time), answered or not: see `#owesAnswer`. */
  request: IncomingMessage | undefined;
  response: ServerResponse | undefined;
}

/**
 * Tracks the server's connections to enforce a connection cap and to drain on shutdown.
 *
 * Cap: when a new connection would pass `maxConnections`, the oldest connection that is waiting
 * on its client (no request yet, idle between requests, or a body still arriving) is closed to
 * make room; connections whose request is being worked on are never cut. Only when every
 * connection is busy is the new one refused. So holding many connections open (slow bodies, idle
 * sockets) cannot lock a normal client out, and the process stays under its file-descriptor limit.
 *
 * Drain: after {@link drain}, every response (in flight or to a request still to come) carries
 * `Connection: close`, so each connection closes after its next response. Idle keep-alive
 * connections are left to the keep-alive timeout that clients were told about, rather than cut
 * while a client may be sending on them.
 */
export class ConnectionGuard {
  /** In order of opening: the first waiting one is the oldest. */
  readonly #connections = new Map<Socket, Connection>();
  #draining = false;
  #evictedSinceReport = 0;
  #refusedSinceReport = 0;
  #lastReportAtMs = -Infinity;

  /**
   * Serves `server`'s requests with `listener`, the guard's own bookkeeping first: give the server
   * no request listener of its own. Why one listener for both: with two, Node's `emit` copies the
   * list of listeners for every request.
   */
  constructor(
    server: Server,
    listener: (request: IncomingMessage, response: ServerResponse) => void,
    private readonly maxConnections: number,
    private readonly logger: Logger,
    private readonly nowMs: () => number = Date.now,
  ) {
    // After Node's own connection listener, so a socket closed here is one Node already tracks.
    server.on("connection", (socket: Socket) => this.#opened(socket));
    // Before the app's listener: a synchronous route may write its response within that call.
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      this.#requested(request, response);
      listener(request, response);
    });
  }

  /** Open connections. */
  get openCount(): number {
    return this.#connections.size;
  }

  /** Connections with a request that has not been answered yet. */
  get inFlightCount(): number {
    let count = 0;
    for (const connection of this.#connections.values()) if (this.#owesAnswer(connection)) count++;
    return count;
  }

  /** From now on, close every connection after its next response. */
  drain(): void {
    this.#draining = true;
    for (const connection of this.#connections.values()) {
      if (this.#owesAnswer(connection) && !connection.response!.headersSent) connection.response!.setHeader("Connection", "close");
    }
  }

  #opened(socket: Socket): void {
    if (this.#connections.size >= this.maxConnections && !this.#makeRoom()) {
      this.#refusedSinceReport++;
      this.#report();
      socket.destroy();
      return;
    }
    this.#connections.set(socket, { request: undefined, response: undefined });
    socket.once("close", () => this.#connections.delete(socket));
  }

  #requested(request: IncomingMessage, response: ServerResponse): void {
    const connection = this.#connections.get(request.socket);
    if (this.#draining) response.setHeader("Connection", "close");
    if (connection === undefined) return;
    // No listener per request (two `once` cost about 2 µs of every request): whether the answer
    // is still owed is read from the response when it matters (see `#owesAnswer`).
    connection.request = request;
    connection.response = response;
  }

  /** Whether the connection's latest request has not been answered in full yet. */
  #owesAnswer(connection: Connection): boolean {
    return connection.response !== undefined && !connection.response.writableFinished && !connection.response.destroyed;
  }

  /** Closes the oldest connection waiting on its client; false when every one is busy. */
  #makeRoom(): boolean {
    for (const [socket, connection] of this.#connections) {
      // `complete`: the whole request, body included, has arrived; from then on the server owes
      // the answer, and cutting it would be the server's fault, not the client's.
      if (connection.request?.complete && this.#owesAnswer(connection)) continue;
      this.#connections.delete(socket);
      socket.destroy();
      this.#evictedSinceReport++;
      this.#report();
      return true;
    }
    return false;
  }

  #report(): void {
    const now = this.nowMs();
    if (now - this.#lastReportAtMs < CAP_REPORT_INTERVAL_MS) return;
    this.logger.warn(
      `connection cap of ${this.maxConnections} reached (HTTP_MAX_CONNECTIONS): closed ${this.#evictedSinceReport} connection(s) waiting on their client and refused ${this.#refusedSinceReport} new one(s) since the last report; next report in ${CAP_REPORT_INTERVAL_MS / 1000} s at the earliest`,
    );
    this.#lastReportAtMs = now;
    this.#evictedSinceReport = 0;
    this.#refusedSinceReport = 0;
  }
}
