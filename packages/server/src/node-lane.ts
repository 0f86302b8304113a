import type { IncomingMessage, ServerResponse } from "node:http";
import { HeaderRecordRequest, RequestSessions, type SessionLookup, type SessionManager } from "tessera";
import { statusSent } from "./connections.js";
import { answerError } from "./error-answer.js";
import type { Logger } from "./logger.js";
import { type JsonAnswer, type JsonTextAnswer, LOGGED_OUT, loggedInText, loginRequestOf, profileText } from "./seed-api.js";
import { parseJsonBytes, refuseByHeaders } from "./request-body.js";
import { REQUEST_ID_HEADER } from "./request-id.js";
import type { RequestRecorder } from "./request-observer.js";
import { SESSION_MESSAGES, type ServerSessionData } from "./require-session.js";
import { STATIC_RESPONSE_HEADERS } from "./security.js";
import type { StoreOutageLog } from "./store-outage.js";

/** Options of {@link createNodeLane}. */
export interface NodeLaneOptions {
  sessions: SessionManager<ServerSessionData>;
  /** The Hono app's recorder: the same request ids, metrics and access log. */
  recorder: RequestRecorder;
  logger: Logger;
  outageLog: StoreOutageLog;
  maxBodyBytes: number;
  /** The client address recorded with a login (the Hono app's `clientIp`, for a Node request). */
  clientIp: (request: IncomingMessage) => string | undefined;
}

/** A Node request listener that answers the requests it takes and returns `true`, or leaves them (`false`) to the next listener. */
export type NodeLane = (request: IncomingMessage, response: ServerResponse) => boolean;

type LaneRoute = "/profile" | "/login" | "/logout";

/** What every request of a lane shares: its options, and each route's recorder (see `RequestRecorder.routeFinisher`). */
interface Lane extends NodeLaneOptions {
  readonly finishers: Readonly<Record<LaneRoute, ReturnType<RequestRecorder["routeFinisher"]>>>;
}

const textAnswer = ({ status, body }: JsonAnswer): JsonTextAnswer => ({ status, text: JSON.stringify(body) });
const NO_COOKIE = textAnswer({ status: 403, body: { detail: SESSION_MESSAGES.noCookie } });
const NOT_FOUND = textAnswer({ status: 404, body: { detail: SESSION_MESSAGES.notFound } });
const LOGGED_OUT_TEXT = textAnswer({ status: 200, body: LOGGED_OUT });

/** What every lane answer starts with: the request id (filled in per request), the static headers, the type. */
const EARLY_HEADERS: readonly string[] = [REQUEST_ID_HEADER, "", ...Object.entries(STATIC_RESPONSE_HEADERS).flat(), "Content-Type", "application/json"];
/** The headers of an answer that sets no cookie and adds no header of its own, its length last (filled in per answer). */
const PLAIN_HEADERS: readonly string[] = [...EARLY_HEADERS, "Content-Length", ""];
const PLAIN_LENGTH_INDEX = PLAIN_HEADERS.length - 1;

/**
 * The seed's three endpoints served straight on `node:http`, beside the Hono app, for the requests
 * every client of the seed's API makes. Why: on @hono/node-server, Hono's request and response
 * objects and its middleware chain cost about a third of an authenticated read before any session
 * work (in `npm run bench`, bare Hono with one `GETEX` serves 0.70× of raw `node:http` with the
 * same `GETEX`), and these three routes are the hot path of every client.
 *
 * The answers are the Hono routes' answers, built by the same functions (`seed-api.ts`,
 * `error-answer.ts`), with the same headers, request ids, metrics and access log (`node-lane.test.ts`
 * sends the same requests to both and compares them). The lane takes only the plain case and
 * leaves everything else to the Hono app, which answers it as before:
 * - only `GET /profile`, `POST /login` and `POST /logout`, with or without the trailing slash, and
 *   no query string;
 * - a POST only without `Origin` and `Sec-Fetch-Site`, which browsers send: those go through
 *   the Hono app's same-origin guard;
 * - a login body only with a declared `Content-Length` (a chunked one goes to the Hono app's
 *   counting reader), and not with a repeated `Content-Type` or `User-Agent` (see
 *   `repeatsReadHeader`).
 *
 * Two differences remain, both at the connection level: a `Host` header that is no valid URL
 * authority gets the lane's answer, where @hono/node-server refuses it with a bare 400 (the lane
 * never reads `Host`); and a body still arriving when the answer is ready ends the connection at
 * once, where @hono/node-server first drains up to 64 MiB for 500 ms.
 *
 * Node only: on Bun the Hono app serves every route (`Bun.serve` has no Hono adapter cost to skip).
 */
export function createNodeLane(options: NodeLaneOptions): NodeLane {
  const { recorder } = options;
  // A route's method is the one `laneRouteOf` lets through.
  const lane: Lane = {
    ...options,
    finishers: {
      "/profile": recorder.routeFinisher("GET", "/profile"),
      "/login": recorder.routeFinisher("POST", "/login"),
      "/logout": recorder.routeFinisher("POST", "/logout"),
    },
  };
  return function nodeLane(request, response) {
    const route = laneRouteOf(request);
    if (route === undefined) return false;
    const exchange = new LaneExchange(lane, route, request, response);
    if (route === "/profile") {
      // One promise reaction from the session's lookup to the written answer: every authenticated
      // read of an API client comes through here, and each layer is a promise and a microtask more.
      exchange.lookup().then(
        (lookup) => exchange.answerLookup(lookup),
        (error: unknown) => exchange.answerFailure(error),
      );
    } else {
      let answer: Promise<JsonTextAnswer>;
      try {
        answer = route === "/login" ? loginAnswer(exchange, options.maxBodyBytes) : logoutAnswer(exchange);
      } catch (error) {
        answer = Promise.reject(error);
      }
      answer.then(
        (written) => exchange.answer(written),
        (error: unknown) => exchange.answerFailure(error),
      );
    }
    return true;
  };
}

async function logoutAnswer(exchange: LaneExchange): Promise<JsonTextAnswer> {
  await exchange.logout();
  return LOGGED_OUT_TEXT;
}

async function loginAnswer(exchange: LaneExchange, maxBodyBytes: number): Promise<JsonTextAnswer> {
  const { request } = exchange;
  const declared = request.headers["content-length"] ?? null;
  const refused = refuseByHeaders(request.headers["content-type"] ?? null, declared, maxBodyBytes);
  const bytes = refused === undefined ? await readDeclaredBody(request) : undefined;
  const login = loginRequestOf(refused ?? (bytes === undefined ? { ok: false, reason: "aborted" } : parseJsonBytes(bytes)));
  // A body left unread (refused by its headers) ends the connection after the answer (see `LaneExchange#write`).
  if (!login.ok) return textAnswer(login.answer);
  const { token } = await exchange.login({ userId: login.userId });
  return { status: 200, text: loggedInText(token) };
}

/** The route a request takes in the lane, or `undefined` for the Hono app (see {@link createNodeLane}). */
function laneRouteOf(request: IncomingMessage): LaneRoute | undefined {
  const { method, url } = request;
  if (method === "GET") return url === "/profile/" || url === "/profile" ? "/profile" : undefined;
  if (method !== "POST" || request.headers.origin !== undefined || request.headers["sec-fetch-site"] !== undefined) return undefined;
  if (url === "/logout/" || url === "/logout") return "/logout";
  if (url === "/login/" || url === "/login") {
    return request.headers["content-length"] !== undefined && !repeatsReadHeader(request.rawHeaders) ? "/login" : undefined;
  }
  return undefined;
}

/**
 * Whether a login request repeats `Content-Type` or `User-Agent`. Node keeps the first of such
 * lines, @hono/node-server joins them all (and then refuses a joined media type with 415), so
 * those rare requests go to the Hono app and get its answer.
 */
function repeatsReadHeader(rawHeaders: readonly string[]): boolean {
  let contentTypes = 0;
  let userAgents = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]!;
    if (name.length === 12 && name.toLowerCase() === "content-type") contentTypes++;
    else if (name.length === 10 && name.toLowerCase() === "user-agent") userAgents++;
  }
  return contentTypes > 1 || userAgents > 1;
}

/** The whole body of a request with a declared length, or `undefined` when the connection ended first. */
function readDeclaredBody(request: IncomingMessage): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.once("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    // The client went away, or the server's request timeout cut a body arriving too slowly.
    request.once("close", () => resolve(undefined));
    request.once("error", () => resolve(undefined));
  });
}

/** The first value of a Node request header (Node gives only `set-cookie` as a list, but its types allow any). */
export function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * One request in the lane: its sessions (the cookies they set are collected for the one
 * `writeHead`), and the writing of its answer. One object per request, with its methods on the
 * prototype: this runs on every request of the seed's API.
 */
class LaneExchange extends RequestSessions<ServerSessionData> {
  /** `Set-Cookie` values, once a cookie is written. */
  #cookies: string[] | undefined;
  readonly #startedMs: number;
  readonly #requestId: string;

  constructor(
    private readonly lane: Lane,
    private readonly route: LaneRoute,
    readonly request: IncomingMessage,
    private readonly response: ServerResponse,
  ) {
    // Plain HTTP: the server's own listener never speaks TLS (a TLS proxy in front says so through
    // SESSION_COOKIE_SECURE=true, as with the Hono app, whose URL is http: too).
    super(lane.sessions, new HeaderRecordRequest("http", request.headers));
    this.#startedMs = lane.recorder.observing ? performance.now() : 0;
    this.#requestId = lane.recorder.idFor(firstValue(request.headers["x-request-id"]));
  }

  protected override writeCookie(setCookie: string): void {
    (this.#cookies ??= []).push(setCookie);
  }

  protected override clientIp(): string | undefined {
    return this.lane.clientIp(this.request);
  }

  /** Answers a read from its lookup. */
  answerLookup(lookup: SessionLookup<ServerSessionData>): void {
    let answer: JsonTextAnswer;
    try {
      answer = profileAnswer(lookup);
    } catch (error) {
      this.answerFailure(error);
      return;
    }
    this.answer(answer);
  }

  answer({ status, text }: JsonTextAnswer): void {
    try {
      this.#write(status, text);
    } catch (error) {
      this.#writeFailed(error);
    }
  }

  /** Answers a handler's error (a store outage: 503), as the Hono app's error handler does. */
  answerFailure(error: unknown): void {
    const { request, route, lane } = this;
    try {
      const failure = answerError(
        error as Error,
        { requestId: this.#requestId, method: request.method ?? "?", url: request.url ?? route },
        { logger: lane.logger, outageLog: lane.outageLog },
      );
      this.#write(failure.status, JSON.stringify(failure.body), failure.headers);
    } catch (writing) {
      this.#writeFailed(writing);
    }
  }

  #write(status: number, text: string, extraHeaders?: Readonly<Record<string, string>>): void {
    const { request, response, route } = this;
    const cookies = this.#cookies;
    let headers: Array<string | string[]>;
    if (cookies === undefined && extraHeaders === undefined) {
      // The common answer (a read): the headers in one copy, nothing appended.
      headers = PLAIN_HEADERS.slice();
      headers[PLAIN_LENGTH_INDEX] = String(Buffer.byteLength(text));
    } else {
      // The Hono app's order: the early headers (request id, static ones), then the answer's own.
      headers = EARLY_HEADERS.slice();
      // One entry holding the list: once anything was set with setHeader (the connection guard's
      // `Connection: close` while draining), Node merges these entries through setHeader, where a
      // repeated name would keep only its last value.
      if (cookies !== undefined) headers.push("Set-Cookie", cookies);
      if (extraHeaders) for (const name in extraHeaders) if (!(name in STATIC_RESPONSE_HEADERS)) headers.push(name, extraHeaders[name]!);
      headers.push("Content-Length", String(Buffer.byteLength(text)));
    }
    headers[1] = this.#requestId;
    // A body still arriving (refused by its headers, or one a logout does not read) would be
    // read to its end by Node, however long: close the connection after the answer instead, as
    // @hono/node-server does past its drain limits.
    if (!request.complete) headers.push("Connection", "close");
    response.writeHead(status, headers);
    response.end(text);
    if (this.lane.recorder.observing) {
      // The status the client got: Node's 408 when the request timeout cut the body.
      this.lane.finishers[route](this.#requestId, request.url ?? route, statusSent(request, status), this.#startedMs);
    }
  }

  /** Not a handler's error (those are answered): writing the answer or recording it failed. */
  #writeFailed(error: unknown): void {
    this.lane.logger.error(`${this.request.method} ${this.route}: ${(error as Error)?.stack ?? String(error)}`);
    if (!this.response.headersSent) this.response.destroy();
  }
}

/** The answer to a read, from its lookup. */
function profileAnswer(lookup: SessionLookup<ServerSessionData>): JsonTextAnswer {
  if (lookup.status === "anonymous") return NO_COOKIE;
  if (lookup.status === "invalid") return NOT_FOUND;
  return { status: 200, text: profileText(lookup.token, lookup.session.userId) };
}
