import type { RedisCommand, RedisConnection, RedisReply, SendOptions } from "./connection.js";
import { firstReadyGate, type ReadyEmitter } from "./first-ready.js";
import { turnCoalescer } from "./turn-coalescer.js";

/**
 * The part of an ioredis client (v5 or v6) this driver uses. Structural, so `tessera/redis`'s
 * types load without ioredis installed, and any ioredis major whose methods fit is accepted.
 */
export interface IoredisClient extends ReadyEmitter {
  call(command: string, ...args: Array<string | number>): Promise<unknown>;
  pipeline(commands: unknown[][]): { exec(): Promise<Array<[Error | null, unknown]> | null> };
  readonly status: string;
  /** The client's socket while it has one; corked to coalesce cheap commands (see `SendOptions.coalesce`). */
  readonly stream?: unknown;
  readonly options: {
    host?: string | undefined;
    port?: number | undefined;
    /** Set when the client finds its primary through Sentinel (then `host`/`port` are unused defaults). */
    sentinels?: ReadonlyArray<{ host?: string | undefined; port?: number | undefined }> | null | undefined;
    name?: string | undefined;
  };
  quit(): Promise<unknown>;
  disconnect(): void;
}

/**
 * ioredis options that keep a session store fail-fast. ioredis's defaults queue commands while
 * disconnected and retry each up to 20 times, which turns a Redis outage into requests that hang
 * for seconds; with these, a command fails at once while Redis is away and the client keeps
 * reconnecting in the background (backoff capped at 1 s), so service resumes by itself.
 * ({@link ioredisConnection} still waits for the client's *first* connection, within the store's
 * deadline, so requests that arrive while the app starts are not refused.)
 *
 * No `commandTimeout`: the store enforces its own deadline on every call, and ioredis's arms a
 * timer per command, which cost about 15% of read throughput in `npm run bench`.
 */
export const recommendedIoredisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 1000,
  retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 1000),
};

/**
 * Wraps an ioredis client. Create the client with {@link recommendedIoredisOptions} unless you
 * have reasons not to; the store enforces its own deadline either way.
 *
 * Cheap commands the store marks for it (`SendOptions.coalesce`: the `GETEX` of every
 * authenticated read) are written together once per event-loop turn, so many concurrent reads
 * cost one socket write. Any other command of the store goes at once and takes the held reads
 * with it; commands of your own sent on the same client while reads are held leave with them, at
 * the end of the turn at the latest.
 *
 * @param client a connected or connecting `Redis` instance (not `Cluster`).
 * @param options.ownsClient `close()` quits the client too. @default true
 * @param options.coalesce honour `SendOptions.coalesce`; `false` writes every command at once. @default true
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * const store = createRedisStore({ connection: ioredisConnection(new Redis(url, recommendedIoredisOptions)) });
 * ```
 */
export function ioredisConnection(client: IoredisClient, options: { ownsClient?: boolean | undefined; coalesce?: boolean | undefined } = {}): RedisConnection {
  const ownsClient = options.ownsClient ?? true;
  // Only on a ready client: its socket is the one the commands go to (a client that is
  // reconnecting refuses commands, and its old socket is going away).
  const coalescer = options.coalesce === false ? undefined : turnCoalescer(() => (client.status === "ready" ? client.stream : undefined));
  const { host, port, sentinels, name } = client.options;
  // Under Sentinel, host and port keep ioredis's defaults (localhost:6379): name the group instead.
  const description =
    sentinels && sentinels.length > 0
      ? `ioredis via Sentinel ${name ?? "?"} at ${sentinels.map((sentinel) => `${sentinel.host ?? "?"}:${sentinel.port ?? "?"}`).join(",")}`
      : `ioredis ${host ?? "?"}:${port ?? "?"}`;
  const firstReady = firstReadyGate(client, () => client.status === "ready");
  // Not async, and one `then` for the common single command: this runs on every authenticated
  // request, and each async layer is a promise and a microtask more.
  function sendNow(commands: readonly RedisCommand[]): Promise<Array<RedisReply | Error>> {
    if (commands.length === 1) {
      const [name, ...args] = commands[0]!;
      return client.call(name, ...args).then(
        (reply) => [reply as RedisReply],
        (error: unknown) => {
          // A reply error (WRONGTYPE, OOM…) belongs to the command; anything else to the round trip.
          if ((error as Error)?.name === "ReplyError") return [error as Error];
          throw error;
        },
      );
    }
    // `call` accepts any command name; ioredis's own pipeline entries must name one of its methods.
    return client
      .pipeline(commands.map((command) => ["call", ...command]))
      .exec()
      .then((results) => {
        if (results === null) throw new Error("ioredis pipeline returned no results");
        return results.map(([error, reply]) => (error ? error : (reply as RedisReply)));
      });
  }
  return {
    description,
    send(commands: readonly RedisCommand[], sendOptions?: SendOptions): Promise<Array<RedisReply | Error>> {
      const waiting = firstReady();
      if (waiting !== undefined) return waiting.then(() => sendNow(commands));
      try {
        if (coalescer !== undefined) {
          if (sendOptions?.coalesce === true) coalescer.hold();
          else coalescer.release();
        }
        return sendNow(commands);
      } catch (error) {
        // A connection's `send` rejects, never throws, as an async function would.
        return Promise.reject(error);
      }
    },
    async close() {
      if (!ownsClient || client.status === "end") return;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
