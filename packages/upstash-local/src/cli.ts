import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import type { UpstashLocalOptions, UpstashLocalServer } from "./server.js";

const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = 8079;

/** The text of `upstash-local --help`. */
export const UPSTASH_LOCAL_USAGE = `Usage: upstash-local [options]

Serves Upstash's Redis REST API in front of a local Redis, so code written for
@upstash/redis runs offline. Needs the ioredis package (npm install ioredis).

Options:
  --redis <url>             Redis to serve (default: $REDIS_URL, else ${DEFAULT_REDIS_URL})
  --token <token>           Bearer token clients must send (default: $UPSTASH_REDIS_REST_TOKEN,
                            else a random one, printed once)
  --host <host>             Interface to listen on (default ${DEFAULT_HOST})
  --port <port>             Port to listen on (default ${DEFAULT_PORT})
  --max-body-bytes <n>      Largest request body in bytes (default 10485760, as Upstash's 10 MB)
  --max-subscribers <n>     Event streams (/subscribe, /psubscribe) open at once (default 100)
  -h, --help                Print this help and exit

With no options it serves ${DEFAULT_REDIS_URL} at http://${DEFAULT_HOST}:${DEFAULT_PORT} with a
generated token, and prints each default it used. It keeps serving (503s) while Redis is away.

Then point @upstash/redis at it:
  UPSTASH_REDIS_REST_URL=http://${DEFAULT_HOST}:${DEFAULT_PORT} UPSTASH_REDIS_REST_TOKEN=<token>`;

/** A mistake in the command line: the process exits 2 and points at `--help`. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Runs `upstash-local` with `args` (the words after the command): prints usage for `--help`,
 * otherwise serves until SIGINT or SIGTERM. ioredis is imported only when serving, so `--help`
 * works where it is not installed.
 *
 * @example
 * await runUpstashLocalCli(["--redis", "redis://127.0.0.1:6380", "--port", "8080"]);
 */
export async function runUpstashLocalCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const values = parseCommandLine(args);
  if (values.help) {
    console.log(UPSTASH_LOCAL_USAGE);
    return;
  }
  const defaults: string[] = [];
  const usingDefault = <Value>(flag: string, value: Value): Value => {
    defaults.push(`${flag} ${String(value)}`);
    return value;
  };
  const redisUrl = values.redis ?? env.REDIS_URL ?? usingDefault("--redis", DEFAULT_REDIS_URL);
  const host = values.host ?? DEFAULT_HOST;
  const port = values.port === undefined ? usingDefault("--port", DEFAULT_PORT) : wholeNumber("--port", values.port, 0, 65_535);
  const maxBodyBytes = values["max-body-bytes"] === undefined ? undefined : wholeNumber("--max-body-bytes", values["max-body-bytes"], 1);
  const maxSubscribers = values["max-subscribers"] === undefined ? undefined : wholeNumber("--max-subscribers", values["max-subscribers"], 0);
  const givenToken = values.token ?? env.UPSTASH_REDIS_REST_TOKEN;
  const token = givenToken || randomBytes(24).toString("base64url");
  if (defaults.length > 0) console.log(`upstash-local: using the defaults ${defaults.join(" ")} (see --help for options)`);

  const options: UpstashLocalOptions = { redisUrl, token, host, port };
  if (maxBodyBytes !== undefined) options.maxBodyBytes = maxBodyBytes;
  if (maxSubscribers !== undefined) options.maxSubscribers = maxSubscribers;
  const server = await start(options);
  // Before the "serving" line: whoever reads it may stop the server at once, and a signal that
  // came before these handlers would end the process without closing it (and not with code 0).
  const stop = async () => {
    const { httpRequests, commands } = server.stats;
    await server.close();
    console.log(`upstash-local: stopped after ${httpRequests} requests carrying ${commands} commands`);
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  console.log(`upstash-local: serving ${redactRedisUrl(redisUrl)} at ${server.url}`);
  if (!givenToken) console.log(`upstash-local: no token given, generated one: UPSTASH_REDIS_REST_TOKEN=${token}`);
  if (!server.redisReadyAtStart) {
    console.error(
      `upstash-local: Redis at ${redactRedisUrl(redisUrl)} does not answer; requests get 503 until it does (start redis-server, or pass --redis <url>)`,
    );
  }
}

/** What an entry point does with a failure: the message (and a pointer to --help for usage mistakes), then exit. */
export function exitWithError(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError) {
    console.error(`upstash-local: ${message}\nRun upstash-local --help for the options.`);
    process.exit(2);
  }
  console.error(`upstash-local: ${message}`);
  process.exit(1);
}

function parseCommandLine(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      options: {
        redis: { type: "string" },
        token: { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
        "max-body-bytes": { type: "string" },
        "max-subscribers": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function wholeNumber(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new UsageError(`${flag} ${text} is not a whole number from ${min} to ${max}`);
  return value;
}

/** Imports the server (and with it ioredis) only now, and says what to install when it is missing. */
async function start(options: UpstashLocalOptions): Promise<UpstashLocalServer> {
  let startUpstashLocal: typeof import("./server.js").startUpstashLocal;
  try {
    ({ startUpstashLocal } = await import("./server.js"));
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && String((error as Error).message).includes("ioredis")) {
      throw new Error("upstash-local needs the ioredis package to talk to Redis: npm install ioredis");
    }
    throw error;
  }
  try {
    return await startUpstashLocal(options);
  } catch (error) {
    if ((error as { code?: string }).code === "EADDRINUSE") {
      throw new Error(`port ${options.port} on ${options.host} is in use: stop what holds it, or pass --port <port> (0 picks a free one)`);
    }
    throw error;
  }
}

/** The URL without its password, fit for a log line. */
function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(unparseable Redis URL)";
  }
}
