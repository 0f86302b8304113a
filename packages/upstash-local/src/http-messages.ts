import type { IncomingMessage, ServerResponse } from "node:http";
import { parseExactJson, stringifyExactJson } from "./exact-json.js";

/** A failure that already knows its HTTP status; its message becomes the JSON `error`. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
    /** The request's body was left unread: answer with `Connection: close`, or its bytes would be read as the next request. */
    readonly closeConnection = false,
  ) {
    super(message);
  }
}

/**
 * Writes `payload` as JSON, with the sync token this request earned (see `SyncTokens`). A `bigint`
 * in it (a Redis integer beyond 2^53) is written as its exact digits.
 */
export function sendJson(response: ServerResponse, status: number, payload: unknown, syncToken: number, closeConnection = false): void {
  const body = stringifyJson(payload);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "upstash-sync-token": String(syncToken),
    ...(closeConnection ? { connection: "close" } : {}),
  });
  response.end(body);
}

const LONG_DIGIT_RUN = /[0-9]{16}/;

/** `JSON.stringify`, or the exact writer when the payload holds a `bigint` (which JSON.stringify refuses). */
function stringifyJson(payload: unknown): string {
  try {
    return JSON.stringify(payload);
  } catch (error) {
    if (error instanceof TypeError) return stringifyExactJson(payload);
    throw error;
  }
}

/** The body as JSON, an integer beyond 2^53 as a `bigint` so that Redis gets the digits sent; else a 400. */
export function parseJson(body: Buffer): unknown {
  try {
    const text = body.toString("utf8");
    // Only a run of 16 or more digits can be an integer past 2^53 (9007199254740992 has 16):
    // without one, JSON.parse is exact, and native (the hand-written parser is the slow path).
    return LONG_DIGIT_RUN.test(text) ? parseExactJson(text) : JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `request body is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** The whole body, or a 413 as soon as it passes `limitBytes` (declared or streamed). */
export function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(request.headers["content-length"] ?? 0);
  // Upstash's error text first, then what to change here.
  if (declared > limitBytes) {
    return Promise.reject(new HttpError(413, `ERR max request size exceeded: the body is ${declared} bytes, the limit ${limitBytes} (--max-body-bytes)`, true));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    request.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) {
        reject(new HttpError(413, `ERR max request size exceeded: the body is over the limit of ${limitBytes} bytes (--max-body-bytes)`, true));
        request.pause();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}
