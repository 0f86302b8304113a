import { describeSessionError, isStoreUnavailable } from "tessera";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { pathForLog } from "./log-path.js";
import type { Logger } from "./logger.js";
import type { StoreOutageLog } from "./store-outage.js";

/** An error's answer, before a framework writes it. */
export interface ErrorAnswer {
  status: ContentfulStatusCode;
  headers: Readonly<Record<string, string>>;
  body: unknown;
}

/**
 * How the server answers an error thrown while it handled a request, and logs it: a store outage
 * is 503 with `Retry-After` (one log line per outage, not per request), refused session input
 * 422, anything else 500 with its stack in the log. The Hono app's `onError` and the Node lane
 * (`node-lane.ts`) both answer through this.
 */
export function answerError(
  error: Error,
  request: { requestId: string; method: string; url: string },
  log: { logger: Logger; outageLog: StoreOutageLog },
): ErrorAnswer {
  const described = describeSessionError(error);
  const path = pathForLog(request.url);
  const context = { requestId: request.requestId, method: request.method, path };
  if (described) {
    if (isStoreUnavailable(error)) log.outageLog.refused(error, context);
    else log.logger.warn(`${request.method} ${path}: ${error.message}`, context);
    return { status: described.status as ContentfulStatusCode, headers: described.headers, body: described.body };
  }
  log.logger.error(`${request.method} ${path}: ${error.stack ?? error.message}`, context);
  return { status: 500, headers: {}, body: { detail: "Internal Server Error" } };
}
