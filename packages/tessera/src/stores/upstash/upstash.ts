import type { Redis as UpstashRedis, RedisConfigNodejs } from "@upstash/redis";
import { ConfigError } from "../../core/errors.js";
import type { SessionStore } from "../../core/store.js";
import type { RedisCommand, RedisConnection, RedisReply } from "../redis/connection.js";
import { createRedisStore, type RedisStoreOptions } from "../redis/redis-store.js";

/** How many store deadlines an Upstash request may take before it is aborted (see {@link recommendedUpstashOptions}). */
const UPSTASH_REQUEST_DEADLINES = 3;

/**
 * `@upstash/redis` options that keep a session store honest and fail-fast:
 * - `automaticDeserialization: false` — otherwise the client JSON-parses replies, turning the
 *   string `"12"` into the number 12 (but `"0012"` stays a string), so values change type;
 * - `retry: { retries: 1 }` — the default retries network errors 5 times over about 4 s, which a
 *   request waiting on its session cannot afford;
 * - `signal: () => AbortSignal.timeout(…)` — a *function*, so each request gets a fresh deadline
 *   and an expired one throws; a static `AbortSignal` silently resolves every later command to
 *   `"Aborted"` / `null` instead. A request is given three times the store's deadline: the store
 *   answers the caller at its own deadline (`commandTimeoutMs`) either way, and a reply that
 *   still arrives lets it undo a login that ran but was reported failed (see `createRedisStore`),
 *   which an aborted request never tells;
 * - `enableTelemetry: false` — no SDK/platform headers on every request.
 *
 * @param timeoutMs the store's `commandTimeoutMs`. @default 1000
 * @example
 * ```ts
 * import { Redis } from "@upstash/redis";
 * const client = new Redis({ url, token, ...recommendedUpstashOptions() });
 * ```
 */
export function recommendedUpstashOptions(timeoutMs = 1000) {
  return {
    automaticDeserialization: false,
    retry: { retries: 1, backoff: () => 50 },
    signal: () => AbortSignal.timeout(timeoutMs * UPSTASH_REQUEST_DEADLINES),
    enableTelemetry: false,
  } satisfies Omit<RedisConfigNodejs, "url" | "token">;
}

type Pipeline = ReturnType<UpstashRedis["pipeline"]>;

/**
 * Round trips of more than one command go through the client's public, typed pipeline API, so
 * each command the store pipelines needs a translation here. (The client has a generic `exec` for
 * single commands, but none for pipelines.) The conformance suite runs every pipeline the store
 * sends, so a missing entry fails a test rather than production.
 */
function addToPipeline(pipeline: Pipeline, [name, ...args]: RedisCommand): void {
  const upper = name.toUpperCase();
  const strings = args.map(String);
  if (upper === "EVALSHA" || upper === "EVAL") {
    const [script, keyCount, ...rest] = strings;
    const keys = rest.slice(0, Number(keyCount));
    const argv = rest.slice(Number(keyCount));
    if (upper === "EVALSHA") pipeline.evalsha(script!, keys, argv);
    else pipeline.eval(script!, keys, argv);
    return;
  }
  const [key, ...rest] = strings;
  if (key === undefined) throw new Error(`cannot pipeline ${upper} without a key`);
  if (upper === "DEL") pipeline.del(key, ...rest);
  else if (upper === "GETDEL" && rest.length === 0) pipeline.getdel(key);
  else if (upper === "HDEL") pipeline.hdel(key, ...rest);
  else if (upper === "GETEX" && rest[0]?.toUpperCase() === "PX" && rest.length === 2) pipeline.getex(key, { px: Number(rest[1]) });
  else if (upper === "PTTL" && rest.length === 0)
    pipeline.pttl(key); // scanLayout
  else if (upper === "HLEN" && rest.length === 0)
    pipeline.hlen(key); // scanLayout
  else throw new Error(`cannot pipeline ${upper} on Upstash yet: add it to addToPipeline in src/stores/upstash/upstash.ts`);
}

/** Redis answers a failed command with an upper-case code (ERR, WRONGTYPE, NOSCRIPT…); transport failures do not. */
const isCommandError = (error: Error) => /^[A-Z]{2,}[A-Z_]*\b/.test(error.message);

/**
 * The client's errors quote the whole command ("…, command was: [...]"), values included, and
 * values hold user ids. Keep the reason only, and drop the original as `cause`: loggers print
 * cause chains.
 */
function withoutCommandEcho(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  const reason = message.replace(/,? command was: [\s\S]*$/, "");
  return Object.assign(new Error(reason || "Upstash request failed"), { name: error instanceof Error ? error.name : "Error" });
}

/**
 * Wraps an `@upstash/redis` client as a {@link RedisConnection}: a single command is one HTTP
 * request to `/` (via the client's `exec`), several are one request to `/pipeline`.
 *
 * @param options.description what logs show for this connection. Never put the token here.
 */
export function upstashConnection(client: UpstashRedis, options: { description?: string } = {}): RedisConnection {
  const clientOptions = (client as unknown as { opts?: { automaticDeserialization?: boolean } }).opts;
  if (clientOptions?.automaticDeserialization !== false) {
    throw new ConfigError(
      'create the @upstash/redis client with automaticDeserialization: false (see recommendedUpstashOptions()): with it on, stored strings such as "12" come back as numbers',
    );
  }
  return {
    description: options.description ?? "upstash",
    async send(commands) {
      try {
        if (commands.length === 1) {
          const [name, ...args] = commands[0]!;
          try {
            return [await client.exec<RedisReply>([name, ...args])];
          } catch (error) {
            // A Redis error belongs to its command (the store retries a NOSCRIPT with EVAL).
            const clean = withoutCommandEcho(error);
            if (isCommandError(clean)) return [clean];
            throw clean;
          }
        }
        const pipeline = client.pipeline();
        for (const command of commands) addToPipeline(pipeline, command);
        const replies = (await pipeline.exec({ keepErrors: true })) as Array<{ result: unknown; error?: string }>;
        return replies.map(({ result, error }) => (error ? new Error(error) : (result as RedisReply)));
      } catch (error) {
        throw withoutCommandEcho(error);
      }
    },
    async close() {
      // HTTP: nothing to close.
    },
  };
}

/** Options of {@link createUpstashStore}. */
export interface UpstashStoreOptions extends Omit<RedisStoreOptions, "connection"> {
  /** `UPSTASH_REDIS_REST_URL`. */
  url: string;
  /** `UPSTASH_REDIS_REST_TOKEN`. Never logged. */
  token: string;
}

/**
 * A session store on Upstash over REST: the Redis store's layout and commands, each round trip
 * one HTTP request. An authenticated read is one request carrying one billed command (`GETEX`).
 *
 * @example
 * ```ts
 * import { createUpstashStore } from "tessera/upstash";
 * const store = await createUpstashStore({ url: process.env.UPSTASH_REDIS_REST_URL!, token: process.env.UPSTASH_REDIS_REST_TOKEN! });
 * ```
 */
export async function createUpstashStore(options: UpstashStoreOptions): Promise<SessionStore> {
  const { url, token, ...storeOptions } = options;
  if (!/^https?:\/\//.test(url ?? ""))
    throw new ConfigError(`the Upstash URL must start with https:// (or http:// for a local server), got ${JSON.stringify(url)}`);
  if (!token) throw new ConfigError("the Upstash token is empty: set UPSTASH_REDIS_REST_TOKEN");
  const { Redis } = await import("@upstash/redis");
  const timeoutMs = storeOptions.commandTimeoutMs ?? 1000;
  const client = new Redis({ url, token, ...recommendedUpstashOptions(timeoutMs) });
  return createRedisStore({ ...storeOptions, connection: upstashConnection(client, { description: `upstash ${new URL(url).host}` }) });
}
