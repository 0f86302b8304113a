import { isStoreUnavailable, SessionInputError, StoreUnavailableError } from "./errors.js";

/**
 * How tessera's errors become HTTP responses, framework-free, so every adapter answers the same.
 * A store outage is a 503 with `Retry-After`, never "logged out" and never a 500.
 */

/** Status, headers and JSON body of the response an error calls for. */
export interface SessionErrorResponse {
  status: 503 | 422;
  headers: Readonly<Record<string, string>>;
  body: { detail: string };
}

const UNAVAILABLE_DETAIL = "Session store unavailable, please retry shortly";

/**
 * The response a tessera error calls for, or `undefined` for any other error (leave those to the
 * app): store failures → 503 with `Retry-After` and `Cache-Control: no-store`; refused session
 * input (data too large, not JSON) → 422.
 *
 * @example
 * ```ts
 * const described = describeSessionError(error);
 * if (described) return Response.json(described.body, { status: described.status, headers: described.headers });
 * ```
 */
export function describeSessionError(error: unknown): SessionErrorResponse | undefined {
  if (isStoreUnavailable(error)) {
    return {
      status: 503,
      headers: { "Retry-After": String(error.retryAfterSeconds), "Cache-Control": "no-store" },
      body: { detail: UNAVAILABLE_DETAIL },
    };
  }
  if (error instanceof SessionInputError) return { status: 422, headers: {}, body: { detail: error.message } };
  return undefined;
}

/**
 * A {@link StoreUnavailableError} that also says how to answer it, in the shapes frameworks look
 * for when the app installed no error handler of its own: `getResponse()` (Hono's default handler,
 * as for its `HTTPException`), `status`/`statusCode` with `headers` (Express's finalhandler,
 * Fastify's default handler, http-errors conventions). So an app that forgot to map errors still
 * answers 503 with `Retry-After` instead of 500. It stays a `StoreUnavailableError`: `code`,
 * `retryAfterSeconds` and the original `cause` are kept, and `isStoreUnavailable` is true.
 */
export class StoreUnavailableResponseError extends StoreUnavailableError {
  readonly status = 503;
  readonly statusCode = 503;
  /** http-errors convention: the message is safe to show (it names no secret). */
  readonly expose = true;
  readonly headers: Readonly<Record<string, string>>;

  constructor(error: StoreUnavailableError) {
    super(error.code as "STORE_UNAVAILABLE" | "STORE_TIMEOUT" | "STORE_FULL", error.message, {
      cause: error.cause,
      retryAfterSeconds: error.retryAfterSeconds,
    });
    this.name = "StoreUnavailableError";
    this.headers = { "Retry-After": String(error.retryAfterSeconds), "Cache-Control": "no-store" };
  }

  /** The 503 response, as JSON `{ detail }`. */
  getResponse(): Response {
    return Response.json({ detail: UNAVAILABLE_DETAIL }, { status: 503, headers: this.headers });
  }
}

/**
 * Returns the error to throw in place of `error`: a store failure gains its response (see
 * {@link StoreUnavailableResponseError}); anything else is returned unchanged.
 */
export function withHttpResponse(error: unknown): unknown {
  if (error instanceof StoreUnavailableResponseError || !isStoreUnavailable(error)) return error;
  return new StoreUnavailableResponseError(error);
}
