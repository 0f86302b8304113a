/**
 * The one thing the Redis store needs from a client: send some commands in one round trip.
 * Drivers for ioredis and node-redis live beside this file; the Upstash REST driver fits the same
 * shape. Keeping the client behind this seam is what lets one store implementation (key layout,
 * encoding, command choice) serve every client, so the clients cannot drift apart.
 */

export type RedisArgument = string | number;
/** A command as sent on the wire, e.g. `["GETEX", "ts:{AB}abc…", "PX", 900000]`. */
export type RedisCommand = readonly [name: string, ...args: RedisArgument[]];
/** A decoded reply: bulk strings as strings, integers as numbers, nil as null. */
export type RedisReply = string | number | null | RedisReply[];

/** How a round trip may be sent. */
export interface SendOptions {
  /**
   * The commands cost Redis next to nothing (a read of one key: `GETEX`), so the driver may hold
   * their write until the end of the current event-loop turn and send every such command of the
   * turn in one socket write. Under load that is one system call, and one wake-up of Redis, for
   * many requests instead of one each; the cost is the rest of the turn's work in latency. Only
   * for cheap commands: a batch of scripts would make the first one's reply wait for the others'
   * run time. A driver may ignore it. @default false
   */
  readonly coalesce?: boolean;
}

/** What the store gives {@link RedisConnection.sendOne}: the {@link SendOptions}, and the call's deadline. */
export interface SendOneOptions extends SendOptions {
  /**
   * The driver rejects the call with a {@link commandTimedOut} error when Redis has not answered
   * within this many milliseconds of it (the store's `commandTimeoutMs`). Why the driver: it can
   * arm the deadline on its own command (ioredis: `Command#setTimeout`), where the store would wrap
   * every read in a promise of its own, with its own reaction.
   */
  readonly timeoutMs: number;
}

/** The message of the error a {@link RedisConnection.sendOne} rejects with past its deadline: ioredis's own, which its `commandTimeout` option raises too. */
export const COMMAND_TIMED_OUT = "Command timed out";

/** The error for a command past its deadline (see {@link SendOneOptions.timeoutMs}). */
export const commandTimedOut = (): Error => new Error(COMMAND_TIMED_OUT);

/** Whether `error` says a command ran past its deadline ({@link COMMAND_TIMED_OUT}), not that it failed. */
export function isCommandTimeout(error: unknown): boolean {
  return (error as Error | null)?.message === COMMAND_TIMED_OUT;
}

/** Sends commands to Redis. */
export interface RedisConnection {
  /** For logs, e.g. `"ioredis 127.0.0.1:6379"`. Must never contain a password or token. */
  readonly description: string;
  /**
   * Sends `commands` in order in **one** round trip (a pipeline, not a transaction) and resolves
   * with one entry per command: its reply, or an `Error` when Redis answered that command with an
   * error. Rejects when the round trip itself failed (connection lost, client closed).
   */
  send(commands: readonly RedisCommand[], options?: SendOptions): Promise<Array<RedisReply | Error>>;
  /**
   * Optional: sends one command and resolves with its reply, as `send([command], options)` does
   * without the list around it, and enforces the call's deadline itself
   * ({@link SendOneOptions.timeoutMs}). The store sends the `GETEX` of every authenticated read
   * through it when it is there: two promises and a reaction less per read. Rejects when the
   * round trip failed; when Redis answered with an error reply, with an `Error` named
   * `"ReplyError"` (ioredis's own; see {@link isReplyError}); and past the deadline, with a
   * {@link commandTimedOut} error: the store tells the three apart. A wrapper of a connection that
   * changes `send` (`{ ...connection, send: traced }`) must change or drop `sendOne` too, or the
   * reads will not go through its `send`.
   */
  sendOne?(command: RedisCommand, options: SendOneOptions): Promise<RedisReply>;
  /** Closes the client if the connection owns it. */
  close(): Promise<void>;
  /**
   * Optional: a connection to each master node, for commands that must run on every node —
   * `SCAN`, in the admin functions `scanLayout` and `migrateLayout`. The cluster drivers implement
   * it; a connection without it is scanned as one node. The connections share the driver's
   * clients: closing them closes nothing.
   */
  scanNodes?(): Promise<RedisConnection[]>;
}

/** Whether `error` is Redis's answer to a command (`WRONGTYPE …`, `OOM …`) as a driver reports it, not a failed round trip. */
export function isReplyError(error: unknown): error is Error {
  return (error as Error | null)?.name === "ReplyError";
}

/** Removes `user:password@` from a Redis URL so it can be logged. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const credentials = parsed.username || parsed.password ? "***@" : "";
    return `${parsed.protocol}//${credentials}${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
  } catch {
    return "(unparseable URL)";
  }
}
