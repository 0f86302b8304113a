import type { IncomingMessage, ServerResponse } from "node:http";

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

/** Writes `payload` as JSON, with the sync token this request earned (see `SyncTokens`). */
export function sendJson(response: ServerResponse, status: number, payload: unknown, syncToken: number, closeConnection = false): void {
  const body = JSON.stringify(payload);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "upstash-sync-token": String(syncToken),
    ...(closeConnection ? { connection: "close" } : {}),
  });
  response.end(body);
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "request body is not valid JSON");
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
