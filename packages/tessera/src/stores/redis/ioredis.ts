import { ConfigError } from "../../core/errors.js";
import {
  isReplyError,
  type RedisArgument,
  type RedisCommand,
  type RedisConnection,
  type RedisReply,
  type SendOneOptions,
  type SendOptions,
} from "./connection.js";
import { commandWithin } from "./deadlines.js";
import { firstReadyGate, type ReadyEmitter } from "./first-ready.js";
import { DEFAULT_KEY_PREFIX } from "./layout.js";
import { turnCoalescer } from "./turn-coalescer.js";
import { type DeadlineCommand, turnDeadline } from "./turn-deadline.js";

/**
 * The part of an ioredis client (v5 or v6) this driver uses. Structural, so `tessera/redis`'s
 * types load without ioredis installed, and any ioredis major whose methods fit is accepted.
 */
export interface IoredisClient extends ReadyEmitter, CommandSendingClient {
  pipeline(commands: unknown[][]): { exec(): Promise<Array<[Error | null, unknown]> | null> };
  readonly status: string;
  /** The client's socket while it has one; corked to coalesce cheap commands (see `SendOptions.coalesce`). */
  readonly stream?: unknown;
  readonly options: SendingOptions & {
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
 * No `commandTimeout`: the store enforces its own deadline on every call (`commandTimeoutMs`), on
 * a read's command through ioredis's own timer (see `sendOne` below), on other calls with one of
 * its own; the client's would arm a second timer per command. A `commandTimeout` of the client
 * that is shorter than the store's still applies to reads.
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
 * @param client a connected or connecting `Redis` instance (not `Cluster`), without ioredis's
 *   own `keyPrefix` option (give the store the whole prefix instead: see {@link refuseClientKeyPrefix}).
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
  refuseClientKeyPrefix("the ioredis client", client.options.keyPrefix);
  const direct = directSender(client);
  const sendCommand = direct ?? callSender(client);
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
      return sendCommand(commands[0]!).then(
        (reply) => [reply as RedisReply],
        (error: unknown) => {
          // A reply error (WRONGTYPE, OOM…) belongs to the command; anything else to the round trip.
          if (isReplyError(error)) return [error];
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
  /** Holds or releases the socket for a command about to be written (see `SendOptions.coalesce`). */
  const beforeWrite = (sendOptions: SendOptions | undefined) => {
    if (coalescer === undefined) return;
    if (sendOptions?.coalesce === true) coalescer.hold();
    else coalescer.release();
  };
  const connection: RedisConnection = {
    description,
    send(commands: readonly RedisCommand[], sendOptions?: SendOptions): Promise<Array<RedisReply | Error>> {
      const waiting = firstReady();
      if (waiting !== undefined) return waiting.then(() => sendNow(commands));
      try {
        beforeWrite(sendOptions);
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
  // Only where the command is built here: its deadline is armed on it (see `SendOneOptions`).
  if (direct !== undefined) {
    // The client's own `commandTimeout`, when shorter, still applies (ioredis arms it only on a
    // command that has no deadline yet).
    const clientTimeoutMs = client.options.commandTimeout ?? Number.POSITIVE_INFINITY;
    // The reads a turn coalesces share one deadline (one socket, answered in order).
    const deadline = turnDeadline();
    // ioredis rejects a command answered with an error with its `ReplyError`: what `sendOne` promises.
    connection.sendOne = (command: RedisCommand, sendOptions: SendOneOptions): Promise<RedisReply> => {
      const waiting = firstReady();
      // The deadline counts from the call, the wait for the first connection included.
      if (waiting !== undefined)
        return commandWithin(
          waiting.then(() => direct(command) as Promise<RedisReply>),
          Math.min(sendOptions.timeoutMs, clientTimeoutMs),
        );
      try {
        beforeWrite(sendOptions);
        // A client's own shorter `commandTimeout` is armed by ioredis on each command.
        if (sendOptions.coalesce === true && sendOptions.timeoutMs <= clientTimeoutMs)
          return direct(command, deadline, sendOptions.timeoutMs) as Promise<RedisReply>;
        return direct(command, undefined, Math.min(sendOptions.timeoutMs, clientTimeoutMs)) as Promise<RedisReply>;
      } catch (error) {
        return Promise.reject(error);
      }
    };
  }
  return connection;
}

/**
 * ioredis's own `keyPrefix` (an option, or `?keyPrefix=` in the URL) prefixes the keys the store
 * names in a command, but not those its scripts build from them: a user's device list missed
 * their sessions (it listed none of two). The same keys come from the store's own prefix, which
 * goes before the `{bucket}` tag: the client's prefix followed by the store's (`ts:` by default).
 */
export function refuseClientKeyPrefix(what: string, keyPrefix: string | undefined): void {
  if (!keyPrefix) return;
  const same = JSON.stringify(`${keyPrefix}${DEFAULT_KEY_PREFIX}`);
  throw new ConfigError(
    `${what} has ioredis's keyPrefix ${JSON.stringify(keyPrefix)}, which the store's scripts cannot see: create the client without it and give the store the whole prefix instead, e.g. createRedisStore({ keyPrefix: ${same} }) keeps the keys it used with the default store prefix`,
  );
}

/** The part of ioredis's `Command` this driver uses: its arguments, set after construction. */
interface IoredisCommand extends DeadlineCommand {
  args: RedisArgument[];
  /** Rejects the command with `Error("Command timed out")` unless it settles within `ms` (what ioredis's `commandTimeout` option does). */
  setTimeout(ms: number): void;
}

/** ioredis's `Command` class (v5 and v6). */
type IoredisCommandClass = new (name: string, args: RedisArgument[], options: { replyEncoding: "utf8" }) => IoredisCommand;

const NO_ARGS: RedisArgument[] = [];
const TEXT_REPLIES = { replyEncoding: "utf8" } as const;

/** The ioredis options that change how a command is sent (see {@link commandSender} and {@link refuseClientKeyPrefix}). */
export interface SendingOptions {
  /** Refused. In a `Cluster`, ioredis copies `redisOptions.keyPrefix` here. */
  readonly keyPrefix?: string | undefined;
  readonly enableAutoPipelining?: boolean | undefined;
  readonly showFriendlyErrorStack?: boolean | undefined;
  /** ioredis's own deadline per command, in ms; {@link ioredisConnection}'s reads keep the shorter of it and the store's. */
  readonly commandTimeout?: number | undefined;
}

/** What {@link commandSender} needs of a client: an ioredis `Redis` or `Cluster` (v5 or v6). */
export interface CommandSendingClient {
  call(command: string, ...args: RedisArgument[]): Promise<unknown>;
  /** Sends a built `Command`; typed as returning `unknown`, it returns the command's promise. */
  sendCommand?(command: never): unknown;
  readonly options?: SendingOptions | undefined;
}

/** How a driver sends one command: built by {@link directSender} when it can, else through `call`. */
export function commandSender(client: CommandSendingClient): (command: RedisCommand) => Promise<unknown> {
  return directSender(client) ?? callSender(client);
}

function callSender(client: CommandSendingClient): (command: RedisCommand) => Promise<unknown> {
  return (command) => {
    const [name, ...args] = command;
    return client.call(name, ...args);
  };
}

/**
 * Sends one command as `client.call` would, for less CPU. Why: `call` takes its arguments as a
 * rest list, shifts the name off it, and the `Command` constructor copies them through
 * `Array.prototype.flat`, which V8 runs element by element in a slow builtin; a login's script has
 * 15 arguments. Built with no arguments and given them afterwards, a command skips all that, and
 * numbers become strings here, once, as ioredis would make them. Measured by hand (process CPU
 * per command, 32 in flight, real Redis): a login's `EVALSHA` about 9.4 → 6.6 µs, a read's
 * `GETEX` about 5.5 → 4.8 µs.
 *
 * `undefined` (so `call` is used) when the client lacks either part, or when `call` would do more
 * than send: auto-pipelining batches it, and `showFriendlyErrorStack` records a stack per command.
 * A `Cluster` works the same way: its `sendCommand` routes the command by its keys, read from
 * `args` when it is sent.
 */
function directSender(
  client: CommandSendingClient,
): ((command: RedisCommand, deadline?: ReturnType<typeof turnDeadline>, timeoutMs?: number) => Promise<unknown>) | undefined {
  if (typeof client.sendCommand !== "function" || client.options?.enableAutoPipelining || client.options?.showFriendlyErrorStack) return undefined;
  const Command = commandClassOf(client);
  if (Command === undefined) return undefined;
  return (command, deadline, timeoutMs) => {
    const built = new Command(command[0], NO_ARGS, TEXT_REPLIES);
    const args: RedisArgument[] = new Array(command.length - 1);
    for (let index = 1; index < command.length; index++) {
      const arg = command[index]!;
      args[index - 1] = typeof arg === "string" ? arg : String(arg);
    }
    built.args = args;
    // The turn's deadline, else the command's own, armed before `sendCommand`, which would arm the
    // client's own `commandTimeout` otherwise. ioredis clears that timer when the command settles;
    // both reject with `COMMAND_TIMED_OUT`.
    const shared = deadline !== undefined && timeoutMs !== undefined && deadline.add(built, timeoutMs);
    if (!shared && timeoutMs !== undefined) built.setTimeout(timeoutMs);
    // ioredis's `sendCommand` returns the command's promise (typed `unknown`).
    return client.sendCommand!(built as never) as Promise<unknown>;
  };
}

/**
 * The `Command` class of the client's own copy of ioredis (importing ioredis here could load
 * another copy, or none). A client's `constructor` does not lead to it (ioredis's mixins overwrite
 * it), so `call` builds one command on an object that inherits from the client and whose
 * `sendCommand` only keeps the command's class: nothing is sent, and the client is not changed.
 */
function commandClassOf(client: CommandSendingClient): IoredisCommandClass | undefined {
  let found: unknown;
  const probe = Object.create(client) as CommandSendingClient & { sendCommand(command: { constructor: unknown }): Promise<unknown> };
  probe.sendCommand = (command) => {
    found = command.constructor;
    return Promise.resolve(null);
  };
  try {
    void probe.call("PING").catch(() => {});
  } catch {
    return undefined;
  }
  return typeof found === "function" ? (found as IoredisCommandClass) : undefined;
}
