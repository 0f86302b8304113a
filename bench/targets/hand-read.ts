import { createHash, randomBytes } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import { Redis } from "ioredis";
import { HeaderRecordRequest } from "tessera";
import { announce, PORT, sessionCookie } from "./common.js";
import { benchSessionManager } from "./tessera-manager.js";

/**
 * A yardstick for the profile's "tessera's own code" share: the reference server's authenticated
 * read written by hand, in the fewest lines that do the same work, on raw node:http. It reads the
 * sessions tessera writes (a login goes through tessera's manager and Redis store, so the record
 * and key are the real ones), and every read is hand-written:
 * - the cookie's token, checked for shape, hashed (SHA-256) into the session's key;
 * - one `GETEX` that slides the expiry, written with the other reads of the event-loop turn in one
 *   socket write (the socket corked for the turn), as tessera's Redis store does;
 * - the stored value's header parsed, the absolute deadline checked;
 * - the answer with the reference server's headers (request id, `nosniff`, `no-store`) and JSON;
 * - the request's duration counted in a histogram, as the server's metrics do.
 *
 * What it leaves out, so it does less than the server: no deadline on the Redis call, no
 * store-call metrics, no `lastSeen` touch, no session object handed to a handler, no error
 * classes. Its own code (this file) is what a hand-rolled session read costs; the bench profiles
 * it beside the reference server (`bench/lib/profile.ts`).
 */
const manager = benchSessionManager();
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { enableOfflineQueue: false, maxRetriesPerRequest: 1 });

const KEY_PREFIX = "ts:";
const IDLE_MS = 900_000;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{45}$/;
const RECORD_SEPARATOR = "\u001e";
/** The stored value: a 5-character base36 offset, the separator, then the JSON header `[2, userId, createdAt, absoluteExpiresAt, …]`. */
const HEADER_START = 6;

const requestIdPrefix = randomBytes(4).toString("hex");
let requestCount = 0;

const BUCKET_BOUNDS_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1];
/** What the server's request histogram keeps per series: a count per bucket, and the sum. */
const durations = { buckets: new Array<number>(BUCKET_BOUNDS_SECONDS.length + 1).fill(0), sumSeconds: 0 };

let corked = false;
const uncork = () => {
  corked = false;
  (redis.stream as { uncork?: () => void } | undefined)?.uncork?.();
};

function answer(response: ServerResponse, requestId: string, startedMs: number, status: number, text: string): void {
  response.writeHead(status, [
    "X-Request-Id",
    requestId,
    "X-Content-Type-Options",
    "nosniff",
    "Cache-Control",
    "no-store",
    "Content-Type",
    "application/json",
    "Content-Length",
    String(Buffer.byteLength(text)),
  ]);
  response.end(text);
  const seconds = (performance.now() - startedMs) / 1000;
  let bucket = 0;
  while (bucket < BUCKET_BOUNDS_SECONDS.length && seconds > BUCKET_BOUNDS_SECONDS[bucket]!) bucket++;
  durations.buckets[bucket]!++;
  durations.sumSeconds += seconds;
}

const NO_COOKIE = JSON.stringify({ detail: "No session cookie found" });
const NOT_FOUND = JSON.stringify({ detail: "Session not found or expired" });
const UNAVAILABLE = JSON.stringify({ detail: "Session store unavailable" });

const server = createServer((request, response) => {
  const startedMs = performance.now();
  const requestId = `${requestIdPrefix}-${(++requestCount).toString(36)}`;
  const path = request.url === "/" ? "/" : (request.url ?? "/").replace(/\/$/, "");
  if (request.method === "POST" && path === "/login") {
    // Not measured: the login writes a real session through tessera, for the reads to find.
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk));
    request.on("end", () => {
      const { username } = JSON.parse(body) as { username: string };
      manager.login(new HeaderRecordRequest("http", request.headers), { userId: username }).then(
        ({ token, setCookie }) => {
          response.setHeader("Set-Cookie", setCookie);
          answer(response, requestId, startedMs, 200, JSON.stringify({ message: "Logged in successfully", session_id: token }));
        },
        () => answer(response, requestId, startedMs, 503, UNAVAILABLE),
      );
    });
    return;
  }
  if (request.method !== "GET" || path !== "/profile") return answer(response, requestId, startedMs, 404, JSON.stringify({ detail: "Not Found" }));

  const token = sessionCookie(request.headers.cookie);
  if (token === undefined) return answer(response, requestId, startedMs, 403, NO_COOKIE);
  if (!TOKEN_SHAPE.test(token)) return answer(response, requestId, startedMs, 404, NOT_FOUND);
  const digest = createHash("sha256").update(token).digest().subarray(0, 18).toString("base64url");
  if (!corked && redis.status === "ready") {
    corked = true;
    (redis.stream as { cork?: () => void } | undefined)?.cork?.();
    setImmediate(uncork);
  }
  redis.getex(`${KEY_PREFIX}{${token.slice(0, 2)}}${digest}`, "PX", IDLE_MS).then(
    (value) => {
      if (value === null || value.charAt(HEADER_START - 1) !== RECORD_SEPARATOR) return answer(response, requestId, startedMs, 404, NOT_FOUND);
      const headerEnd = value.indexOf(RECORD_SEPARATOR, HEADER_START);
      const header = JSON.parse(value.slice(HEADER_START, headerEnd === -1 ? value.length : headerEnd)) as unknown[];
      const userId = header[1];
      const absoluteExpiresAtSeconds = header[3];
      if (typeof userId !== "string" || typeof absoluteExpiresAtSeconds !== "number" || Date.now() >= absoluteExpiresAtSeconds * 1000) {
        return answer(response, requestId, startedMs, 404, NOT_FOUND);
      }
      answer(response, requestId, startedMs, 200, `{"session_id":"${token}","session_data":{"user":${JSON.stringify(userId)},"status":"active"}}`);
    },
    () => answer(response, requestId, startedMs, 503, UNAVAILABLE),
  );
});
server.listen(PORT, "127.0.0.1", () => announce("hand-read"));
