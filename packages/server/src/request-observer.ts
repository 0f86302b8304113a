import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { statusSent } from "./connections.js";
import { pathForLog } from "./log-path.js";
import type { Logger } from "./logger.js";
import { routeLabel, type ServerMetrics } from "./metrics.js";
import { REQUEST_ID_HEADER, requestIdGenerator, requestIdOf } from "./request-id.js";
import { setEarlyHeader } from "./security.js";

/** Paths of the probes and the scrape, left out of the access log by default (`ACCESS_LOG_HEALTH`). */
const PROBE_PATHS = new Set(["/healthz", "/readyz", "/metrics", "/healthz/", "/readyz/", "/metrics/"]);

/** Options of {@link observeRequests}. */
export interface RequestObserverOptions {
  /** Counts and times each request. */
  metrics?: ServerMetrics | undefined;
  /** Logs one line per request on this logger (`ACCESS_LOG`). */
  accessLog?: Logger | undefined;
  /** Also logs `/healthz`, `/readyz` and `/metrics` requests. @default false */
  accessLogHealth?: boolean | undefined;
}

/** One request as the recorder sees it once answered. */
export interface AnsweredRequest {
  requestId: string;
  method: string;
  /** The URL as asked (only its path is logged, redacted). */
  url: string;
  /** The route pattern that answered, or `UNMATCHED_ROUTE`. */
  route: string;
  status: number;
  /** Skips the access log for probes unless `accessLogHealth`. */
  isProbe: boolean;
}

/**
 * What the server records about each request, apart from any framework: its id, then its metrics
 * and its access-log line. One per server, shared by the Hono app and the Node lane so that ids
 * stay unique across both.
 */
export class RequestRecorder {
  readonly #metrics: ServerMetrics | undefined;
  readonly #accessLog: Logger | undefined;
  readonly #logProbes: boolean;
  readonly #generate = requestIdGenerator();
  /** Whether {@link finish} does anything: without metrics or an access log, the clock need not be read. */
  readonly observing: boolean;

  constructor(options: RequestObserverOptions) {
    this.#metrics = options.metrics;
    this.#accessLog = options.accessLog;
    this.#logProbes = options.accessLogHealth ?? false;
    this.observing = this.#metrics !== undefined || this.#accessLog !== undefined;
  }

  /** The request's id: its well-formed `X-Request-Id`, else a new one. */
  idFor(incoming: string | undefined): string {
    return requestIdOf(incoming, this.#generate);
  }

  finish(request: AnsweredRequest, startedMs: number): void {
    const elapsedMs = performance.now() - startedMs;
    const { method, route, status } = request;
    this.#metrics?.observeRequest(method, route, status, elapsedMs / 1000);
    this.#log(request, elapsedMs);
  }

  /**
   * {@link finish} for the requests of one method and route that are never probes (the Node lane's):
   * their metric series are found once per status, not per request.
   */
  routeFinisher(method: string, route: string): (requestId: string, url: string, status: number, startedMs: number) => void {
    const observe = this.#metrics?.routeObserver(method, route);
    return (requestId, url, status, startedMs) => {
      const elapsedMs = performance.now() - startedMs;
      observe?.(status, elapsedMs / 1000);
      if (this.#accessLog !== undefined) this.#log({ requestId, method, url, route, status, isProbe: false }, elapsedMs);
    };
  }

  /** The access-log line of an answered request, if there is an access log. */
  #log(request: AnsweredRequest, elapsedMs: number): void {
    if (this.#accessLog === undefined || (!this.#logProbes && request.isProbe)) return;
    const { method, route, status } = request;
    // Path only (a query string could carry anything), with token-like parts redacted: this line
    // must never hold a token. (A decoded path loses the trailing slash; log what was asked.)
    const path = pathForLog(request.url);
    const durationMs = Math.round(elapsedMs * 10) / 10;
    this.#accessLog.info(`${method} ${path} ${status} ${durationMs.toFixed(1)}ms`, {
      requestId: request.requestId,
      method,
      path,
      route,
      status,
      durationMs,
    });
  }
}

/**
 * The status the client got: the response's, unless Node answered the connection itself (a body
 * cut by the request timeout gets Node's 408, and the app's answer to the short body is never sent).
 */
function statusOf(c: Context): number {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming === undefined ? c.res.status : statusSent(incoming, c.res.status);
}

/**
 * Everything the server records about each request, in one middleware (each middleware is a
 * frame and a promise per request on the hottest path): the request id (`c.var.requestId`, sent
 * back as `X-Request-Id`), then, once the response is ready, its metrics and its access-log line.
 * Mount it first, so it sees the final status, error responses included.
 */
export function observeRequests(recorder: RequestRecorder): MiddlewareHandler<{ Variables: { requestId: string } }> {
  const finish = (c: Context<{ Variables: { requestId: string } }>, startedMs: number): void =>
    recorder.finish(
      { requestId: c.var.requestId, method: c.req.method, url: c.req.url, route: routeLabel(c), status: statusOf(c), isProbe: PROBE_PATHS.has(c.req.path) },
      startedMs,
    );
  // Not async: a plain function returning next()'s promise (with one .then when observing).
  return function observeRequest(c, next) {
    const id = recorder.idFor(c.req.header(REQUEST_ID_HEADER));
    c.set("requestId", id);
    // Set before the handler runs and on the Node response itself, like the other static headers:
    // `c.header` here built a `Headers` object per request (~4 µs of a read, measured).
    setEarlyHeader(c, REQUEST_ID_HEADER, id);
    if (!recorder.observing) return next();
    const startedMs = performance.now();
    return next().then(() => finish(c, startedMs));
  };
}
