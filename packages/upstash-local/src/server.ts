import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { recommendedIoredisOptions } from "tessera/redis";
import { isCommand, isWrite, refusalOf, toRedisArguments, type CommandArgument } from "./commands.js";
import { encodeReply, type JsonReply, type RawReply } from "./reply-encoding.js";

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
  /** Largest request body accepted, in bytes; larger ones get 413. @default 1048576 (1 MiB) */
  maxBodyBytes?: number;
  /** Redis connections reserved for `/multi-exec`, one transaction each at a time. @default 4 */
  transactionConnections?: number;
}

/** What the server has done, as Upstash would bill it. */
export interface UpstashLocalStats {
  /** Authenticated requests that carried commands. */
  httpRequests: number;
  /** Commands in those requests (each command of a pipeline or transaction counts once). */
  commands: number;
}

export interface UpstashLocalServer {
  /** Base URL for `UPSTASH_REDIS_REST_URL`. */
  readonly url: string;
  readonly port: number;
  readonly stats: Readonly<UpstashLocalStats>;
  resetStats(): void;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Starts a server that speaks Upstash's Redis REST protocol in front of a real Redis, so code
 * written for `@upstash/redis` runs offline:
 * - `POST /` with `["SET","k","v"]` → `{"result":…}` (a Redis error → 400 `{"error":…}`);
 * - `POST /pipeline` with `[[…],[…]]` → `[{"result":…}|{"error":…}, …]`, in order, not atomic;
 * - `POST /multi-exec` → the same shape, atomic, on a connection reserved for that transaction;
 * - `POST /set/k/v` (command in the path) like Upstash's URL form;
 * - `Authorization: Bearer <token>` (or `?_token=`), `Upstash-Encoding: base64`, and an
 *   `upstash-sync-token` header that advances with every write.
 */
export async function startUpstashLocal(options: UpstashLocalOptions): Promise<UpstashLocalServer> {
  if (!options.token) throw new Error("upstash-local needs a token: pass --token or set UPSTASH_REDIS_REST_TOKEN");
  const expectedAuthorization = Buffer.from(`Bearer ${options.token}`);
  const maxBodyBytes = options.maxBodyBytes ?? 1 << 20;
  const redis = new Redis(options.redisUrl, recommendedIoredisOptions);
  redis.on("error", () => undefined); // surfaced per request as 503; ioredis keeps reconnecting
  await waitUntilReady(redis, 2000); // if Redis is not up yet, requests answer 503 until it is
  const transactions = createConnectionPool(options.redisUrl, options.transactionConnections ?? 4);
  const stats: UpstashLocalStats = { httpRequests: 0, commands: 0 };
  let writes = 0;

  function authorized(request: IncomingMessage, url: URL): boolean {
    const header = request.headers.authorization;
    const presented = Buffer.from(header ?? (url.searchParams.has("_token") ? `Bearer ${url.searchParams.get("_token")}` : ""));
    return presented.length === expectedAuthorization.length && timingSafeEqual(presented, expectedAuthorization);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (request.method !== "POST" && request.method !== "GET") throw new HttpError(405, `method ${request.method} not allowed: use POST`);
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
      send(response, 200, replies.map((reply) => (reply instanceof Error ? { error: reply.message } : { result: encodeReply(reply, base64) })));
      return;
    }

    let command: CommandArgument[];
    if (path === "/") {
      const parsed = parseJson(body);
      if (!isCommand(parsed)) throw new HttpError(400, 'expected a JSON array holding one command, e.g. ["SET","k","v"]');
      command = parsed;
    } else {
      // URL form: /set/k/v, with a non-empty body as the last argument.
      command = path.slice(1).split("/").map(decodeURIComponent);
      if (body.length > 0) command.push(body.toString("utf8"));
    }
    count([command]);
    const [reply] = await runPipeline([command]);
    if (reply instanceof Error) throw new HttpError(400, reply.message);
    send(response, 200, { result: encodeReply(reply ?? null, base64) });
  }

  function count(commands: CommandArgument[][]): void {
    stats.httpRequests++;
    stats.commands += commands.length;
    if (commands.some(isWrite)) writes++;
  }

  async function runPipeline(commands: CommandArgument[][]): Promise<Array<RawReply | Error>> {
    const runnable = commands.map((command) => refusalOf(command));
    const toRun = commands.filter((_, index) => runnable[index] === undefined);
    const results = toRun.length === 0 ? [] : await redisCall(() => redis.pipeline(toRun.map((command) => ["callBuffer", ...toRedisArguments(command)])).exec());
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
      const results = await redisCall(() =>
        connection.multi(commands.map((command) => ["callBuffer", ...toRedisArguments(command)])).exec(),
      ).catch((error: unknown) => {
        // A command Redis refused while queueing aborts the whole transaction, like Upstash's 400.
        if (error instanceof Error && error.message.startsWith("EXECABORT")) {
          const first = (error as Error & { previousErrors?: Error[] }).previousErrors?.[0];
          throw new HttpError(400, first ? `${error.message} ${first.message}` : error.message);
        }
        throw error;
      });
      if (results === null) throw new HttpError(400, "ERR transaction aborted");
      const connectionError = results.find(([error]) => error && error.name !== "ReplyError")?.[0];
      if (connectionError) throw new HttpError(503, `Redis unavailable: ${connectionError.message}`);
      return results.map(([error, reply]) => error ?? (reply as RawReply));
    });
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (!response.headersSent) send(response, status, { error: error instanceof Error ? error.message : "internal error" });
      else response.destroy();
    });
  });
  function send(response: ServerResponse, status: number, payload: unknown): void {
    const body = JSON.stringify(payload);
    response.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      "upstash-sync-token": String(writes),
    });
    response.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8079, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    stats,
    resetStats() {
      stats.httpRequests = 0;
      stats.commands = 0;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      redis.disconnect();
      transactions.close();
    },
  };
}

/** Runs a Redis call; a connection-level failure becomes a 503 (the client's cue that Redis is away). */
async function redisCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Error && (error.name === "ReplyError" || error.message.startsWith("EXECABORT"))) throw error;
    throw new HttpError(503, `Redis unavailable: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Resolves when the client is ready or after `timeoutMs`, whichever comes first. */
function waitUntilReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    client.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "request body is not valid JSON");
  }
}

function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > limitBytes) {
    request.resume();
    return Promise.reject(new HttpError(413, `request body is ${declared} bytes, limit is ${limitBytes}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    request.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) {
        reject(new HttpError(413, `request body is over the limit of ${limitBytes} bytes`));
        request.pause();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/**
 * A fixed set of connections, each lent to one transaction at a time: a `MULTI … EXEC` on a
 * shared connection could have another request's commands queued inside it.
 */
function createConnectionPool(redisUrl: string, size: number) {
  const idle: Redis[] = [];
  const waiting: Array<(connection: Redis) => void> = [];
  let created = 0;
  const all: Redis[] = [];
  async function acquire(): Promise<Redis> {
    const ready = idle.pop();
    if (ready) return ready;
    if (created < size) {
      created++;
      const connection = new Redis(redisUrl, recommendedIoredisOptions);
      connection.on("error", () => undefined);
      all.push(connection);
      return connection;
    }
    return new Promise((resolve) => waiting.push(resolve));
  }
  function release(connection: Redis): void {
    const next = waiting.shift();
    if (next) next(connection);
    else idle.push(connection);
  }
  return {
    async use<T>(work: (connection: Redis) => Promise<T>): Promise<T> {
      const connection = await acquire();
      // A connection that has not connected yet fails fast (no offline queue); wait briefly for it.
      await waitUntilReady(connection, 1000);
      try {
        return await work(connection);
      } finally {
        release(connection);
      }
    },
    close() {
      for (const connection of all) connection.disconnect();
    },
  };
}

export type { JsonReply };
