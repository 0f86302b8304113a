import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isCommand, mayHaveWritten, refusalOf, toRedisArguments, type CommandArgument } from "./commands.js";
import { HttpError, parseJson, readBody, sendJson } from "./http-messages.js";
import { connectToRedis, createConnectionPool, redisCall, waitUntilReady } from "./redis-connections.js";
import { encodeReply, type JsonReply, type RawReply } from "./reply-encoding.js";
import { createSubscriptionHub } from "./subscriptions.js";
import { SyncTokens } from "./sync-token.js";

/** Options of {@link startUpstashLocal}. */
export interface UpstashLocalOptions {
  /** The Redis to serve, e.g. `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** The bearer token clients must send. */
  token: string;
  /** @default "127.0.0.1" */
  host?: string;
  /** `0` picks a free port. @default 8079 */
  port?: number;
  /**
   * Largest request body accepted, in bytes; larger ones get 413. Upstash documents 10 MB for its
   * Free and Pay-as-you-go plans, so code that works there is not refused here. @default 10485760 (10 MiB)
   */
  maxBodyBytes?: number;
  /** Redis connections reserved for `/multi-exec`, one transaction each at a time. @default 4 */
  transactionConnections?: number;
  /**
   * Event streams (`/subscribe`, `/psubscribe`) open at once, each holding a Redis connection;
   * one more is answered 429. @default 100
   */
  maxSubscribers?: number;
}

/** What the server has done, as Upstash would bill it. */
export interface UpstashLocalStats {
  /** Authenticated requests that carried commands (a subscription counts as one). */
  httpRequests: number;
  /** Commands in those requests (each command of a pipeline or transaction counts once). */
  commands: number;
}

export interface UpstashLocalServer {
  /** Base URL for `UPSTASH_REDIS_REST_URL`. */
  readonly url: string;
  readonly port: number;
  readonly stats: Readonly<UpstashLocalStats>;
  /** Event streams open now (each holds one Redis connection). */
  readonly activeSubscribers: number;
  /** Whether Redis answered when the server started (it keeps answering 503 until Redis is up). */
  readonly redisReadyAtStart: boolean;
  resetStats(): void;
  close(): Promise<void>;
}

/**
 * Starts a server that speaks Upstash's Redis REST protocol in front of a real Redis, so code
 * written for `@upstash/redis` runs offline:
 * - `POST /` with `["SET","k","v"]` → `{"result":…}` (a Redis error → 400 `{"error":…}`);
 * - `POST /pipeline` with `[[…],[…]]` → `[{"result":…}|{"error":…}, …]`, in order, not atomic;
 * - `POST /multi-exec` → the same shape, atomic, on a connection reserved for that transaction;
 * - `POST /set/k/v` (command in the path) like Upstash's URL form;
 * - `POST /subscribe/{channel}` and `/psubscribe/{pattern}` with `Accept: text/event-stream` →
 *   an event stream of `data: subscribe,…` and `data: message,…` lines, as `redis.subscribe()` reads;
 * - `Authorization: Bearer <token>` (or `?_token=`), `Upstash-Encoding: base64`, and an
 *   `upstash-sync-token` header: each write gets the next number once Redis has carried it out.
 *
 * Replies have Upstash's RESP2 shapes whatever the case of the command name.
 */
export async function startUpstashLocal(options: UpstashLocalOptions): Promise<UpstashLocalServer> {
  if (!options.token) throw new Error("upstash-local needs a token: pass --token or set UPSTASH_REDIS_REST_TOKEN");
  const expectedAuthorization = Buffer.from(`Bearer ${options.token}`);
  const maxBodyBytes = options.maxBodyBytes ?? 10 << 20;
  const maxSubscribers = options.maxSubscribers ?? 100;
  if (!Number.isInteger(maxSubscribers) || maxSubscribers < 0) throw new Error(`maxSubscribers must be a whole number ≥ 0, got ${maxSubscribers}`);
  const redis = connectToRedis(options.redisUrl);
  const redisReadyAtStart = await waitUntilReady(redis, 2000);
  const transactions = createConnectionPool(options.redisUrl, options.transactionConnections ?? 4);
  const subscriptions = createSubscriptionHub(options.redisUrl, maxSubscribers);
  const stats: UpstashLocalStats = { httpRequests: 0, commands: 0 };
  const syncTokens = new SyncTokens();

  function authorized(request: IncomingMessage, url: URL): boolean {
    const header = request.headers.authorization;
    const presented = Buffer.from(header ?? (url.searchParams.has("_token") ? `Bearer ${url.searchParams.get("_token")}` : ""));
    return presented.length === expectedAuthorization.length && timingSafeEqual(presented, expectedAuthorization);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://localhost");
    // Upstash's own list; Node writes no body for HEAD.
    if (!ALLOWED_METHODS.has(request.method ?? "")) throw new HttpError(405, `method ${request.method} not allowed: use POST (or GET, PUT, HEAD)`);
    if (!authorized(request, url)) throw new HttpError(401, "Unauthorized: send Authorization: Bearer <token>");
    const base64 = String(request.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    const body = await readBody(request, maxBodyBytes);
    const path = url.pathname.replace(/\/+$/, "") || "/";

    if (path === "/pipeline" || path === "/multi-exec") {
      const commands = parseJson(body);
      if (!Array.isArray(commands) || commands.length === 0 || !commands.every(isCommand)) {
        throw new HttpError(400, `${path} expects a non-empty JSON array of commands, e.g. [["SET","k","v"],["GET","k"]]`);
      }
      count(commands);
      const replies = path === "/pipeline" ? await runPipeline(commands) : await runTransaction(commands);
      const payload = replies.map((reply) => (reply instanceof Error ? { error: reply.message } : { result: encodeReply(reply, base64) }));
      sendJson(response, 200, payload, syncTokens.next(commands.some((command, index) => mayHaveWritten(command, replies[index] instanceof Error))));
      return;
    }

    let command: CommandArgument[];
    if (path === "/") {
      const parsed = parseJson(body);
      if (!isCommand(parsed)) throw new HttpError(400, 'expected a JSON array holding one command, e.g. ["SET","k","v"]');
      command = parsed;
    } else {
      // URL form: /set/k/v, a non-empty body as the next argument (its bytes as sent: a binary
      // value survives), then the query's parameters (`/set/k?EX=100` with the value as body).
      command = pathSegments(path);
      const kind = String(command[0]).toLowerCase();
      if (kind === "subscribe" || kind === "psubscribe") {
        if (!String(request.headers.accept ?? "").includes("text/event-stream")) {
          throw new HttpError(400, `/${kind} answers with an event stream: send Accept: text/event-stream`);
        }
        const targets = command.slice(1).map(String);
        if (targets.length === 0) throw new HttpError(400, `name at least one ${kind === "subscribe" ? "channel" : "pattern"}: POST /${kind}/{name}`);
        count([command]);
        await subscriptions.serve(kind, targets, response, syncTokens.current);
        return;
      }
      if (body.length > 0) command.push(body);
      for (const [name, value] of url.searchParams) {
        if (name === "_token") continue;
        command.push(name);
        if (value !== "") command.push(value);
      }
    }
    count([command]);
    const [reply] = await runPipeline([command]);
    const syncToken = syncTokens.next(mayHaveWritten(command, reply instanceof Error));
    if (reply instanceof Error) sendJson(response, 400, { error: reply.message }, syncToken);
    else sendJson(response, 200, { result: encodeReply(reply ?? null, base64) }, syncToken);
  }

  function count(commands: CommandArgument[][]): void {
    stats.httpRequests++;
    stats.commands += commands.length;
  }
  async function runPipeline(commands: CommandArgument[][]): Promise<Array<RawReply | Error>> {
    const runnable = commands.map((command) => refusalOf(command));
    const toRun = commands.filter((_, index) => runnable[index] === undefined);
    const results =
      toRun.length === 0 ? [] : await redisCall(() => redis.pipeline(toRun.map((command) => ["callBuffer", ...toRedisArguments(command)])).exec());
    // ioredis reports a lost connection as an error in every slot rather than a rejection.
    const connectionError = results?.find(([error]) => error && error.name !== "ReplyError")?.[0];
    if (connectionError) throw new HttpError(503, `Redis unavailable: ${connectionError.message}`);
    let next = 0;
    return commands.map((_, index) => {
      const refusal = runnable[index];
      if (refusal !== undefined) return new Error(refusal);
      const [error, reply] = results?.[next++] ?? [new Error("ERR no reply"), null];
      return error ?? (reply as RawReply);
    });
  }

  async function runTransaction(commands: CommandArgument[][]): Promise<Array<RawReply | Error>> {
    const refusal = commands.map(refusalOf).find((reason) => reason !== undefined);
    if (refusal !== undefined) throw new HttpError(400, refusal);
    return transactions.use(async (connection) => {
      const results = await redisCall(() => connection.multi(commands.map((command) => ["callBuffer", ...toRedisArguments(command)])).exec()).catch(
        (error: unknown) => {
          // A command Redis refused while queueing aborts the whole transaction, like Upstash's 400.
          if (error instanceof Error && error.message.startsWith("EXECABORT")) {
            const first = (error as Error & { previousErrors?: Error[] }).previousErrors?.[0];
            throw new HttpError(400, first ? `${error.message} ${first.message}` : error.message);
          }
          throw error;
        },
      );
      if (results === null) throw new HttpError(400, "ERR transaction aborted");
      const connectionError = results.find(([error]) => error && error.name !== "ReplyError")?.[0];
      if (connectionError) throw new HttpError(503, `Redis unavailable: ${connectionError.message}`);
      return results.map(([error, reply]) => error ?? (reply as RawReply));
    });
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const close = error instanceof HttpError && error.closeConnection;
      if (!response.headersSent) sendJson(response, status, { error: error instanceof Error ? error.message : "internal error" }, syncTokens.current, close);
      else response.destroy();
    });
  });
  function disconnectRedis(): void {
    subscriptions.close();
    redis.disconnect();
    transactions.close();
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8079, options.host ?? "127.0.0.1", () => resolve());
  }).catch((error: unknown) => {
    disconnectRedis();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    stats,
    get activeSubscribers() {
      return subscriptions.active;
    },
    redisReadyAtStart,
    resetStats() {
      stats.httpRequests = 0;
      stats.commands = 0;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      disconnectRedis();
    },
  };
}

const ALLOWED_METHODS = new Set(["POST", "GET", "PUT", "HEAD"]);

/**
 * The command of the URL form, `/set/k/v` → `["set", "k", "v"]`, each segment percent-decoded:
 * as text when the escapes spell UTF-8, else as the bytes they name (`/set/k/%FF%00`).
 */
function pathSegments(path: string): CommandArgument[] {
  return path
    .slice(1)
    .split("/")
    .map((segment, index) => {
      if (!segment.includes("%")) return segment;
      try {
        return decodeURIComponent(segment);
      } catch {
        const bytes = percentDecodedBytes(segment);
        if (bytes === undefined) throw new HttpError(400, `the path ${JSON.stringify(path)} has a malformed percent-escape: encode "%" as %25`);
        // The command's name must be text.
        return index === 0 ? bytes.toString("utf8") : bytes;
      }
    });
}

/** The bytes a percent-encoded segment names, or `undefined` when a `%` is not followed by two hex digits. */
function percentDecodedBytes(segment: string): Buffer | undefined {
  const bytes: number[] = [];
  for (let index = 0; index < segment.length; index++) {
    const char = segment[index]!;
    if (char !== "%") {
      bytes.push(...Buffer.from(char, "utf8"));
      continue;
    }
    const hex = segment.slice(index + 1, index + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
    bytes.push(Number.parseInt(hex, 16));
    index += 2;
  }
  return Buffer.from(bytes);
}

export type { JsonReply };
