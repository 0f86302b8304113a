/**
 * Which commands the local REST server refuses, and which count as reads.
 *
 * Refused: commands that change the state of the shared connection (a `SELECT` or `SUBSCRIBE`
 * would leak into every later request) or block it (a `BLPOP` would stall every other client),
 * and `MULTI`/`EXEC`, which go through `/multi-exec` instead. Upstash refuses these over REST too.
 */
const REFUSED = new Set([
  "multi",
  "exec",
  "discard",
  "watch",
  "unwatch",
  "select",
  "swapdb",
  "subscribe",
  "psubscribe",
  "ssubscribe",
  "unsubscribe",
  "punsubscribe",
  "sunsubscribe",
  "monitor",
  "quit",
  "reset",
  "hello",
  "auth",
  "client",
  "sync",
  "psync",
  "replicaof",
  "slaveof",
  "shutdown",
  "debug",
  "blpop",
  "brpop",
  "brpoplpush",
  "blmove",
  "blmpop",
  "bzpopmin",
  "bzpopmax",
  "bzmpop",
  "wait",
  "waitaof",
  "failover",
]);

/** Commands that never write; anything else advances the `upstash-sync-token`. */
const READS = new Set([
  "get",
  "mget",
  "getrange",
  "strlen",
  "exists",
  "ttl",
  "pttl",
  "expiretime",
  "pexpiretime",
  "type",
  "keys",
  "scan",
  "hget",
  "hgetall",
  "hmget",
  "hkeys",
  "hvals",
  "hlen",
  "hexists",
  "hscan",
  "hstrlen",
  "hrandfield",
  "lrange",
  "llen",
  "lindex",
  "lpos",
  "smembers",
  "sismember",
  "smismember",
  "scard",
  "srandmember",
  "sscan",
  "sinter",
  "sunion",
  "sdiff",
  "sintercard",
  "zrange",
  "zrangebyscore",
  "zrevrange",
  "zrevrangebyscore",
  "zrangebylex",
  "zrevrangebylex",
  "zscore",
  "zmscore",
  "zrank",
  "zrevrank",
  "zcard",
  "zcount",
  "zlexcount",
  "zscan",
  "zrandmember",
  "zinter",
  "zunion",
  "zdiff",
  "xrange",
  "xrevrange",
  "xlen",
  "xread",
  "xinfo",
  "dbsize",
  "ping",
  "echo",
  "time",
  "info",
  "dump",
  "randomkey",
  "bitcount",
  "bitpos",
  "getbit",
  "pfcount",
  "geopos",
  "geodist",
  "geohash",
  "geosearch",
  "georadius_ro",
  "georadiusbymember_ro",
  "object",
  "memory",
  "lcs",
  "touch",
  "evalsha_ro",
  "eval_ro",
  "fcall_ro",
  "script",
]);

/**
 * An argument as received: JSON scalars (an integer beyond 2^53 as a `bigint`, see
 * `exact-json.ts`), or raw bytes (a request body in the URL form).
 */
export type CommandArgument = string | number | bigint | boolean | Buffer;

/** Why a command cannot run here, or `undefined` when it can. */
export function refusalOf(command: readonly CommandArgument[]): string | undefined {
  const name = String(command[0]).toLowerCase();
  if ((name === "xread" || name === "xreadgroup") && blocks(command, name === "xreadgroup" ? 4 : 1)) {
    return `ERR ${name.toUpperCase()} with BLOCK is not supported over REST (it would stall every other client on the shared connection): read without BLOCK and poll`;
  }
  // The Lua debugger takes over the connection it is turned on for: every later command of every
  // client would go to the debugger. `SCRIPT DEBUG NO` is harmless.
  if (name === "script" && lower(command[1]) === "debug" && lower(command[2]) !== "no") {
    return "ERR SCRIPT DEBUG is not supported over REST (it would change the shared connection)";
  }
  if (REFUSED.has(name)) {
    if (name === "multi" || name === "exec") return `ERR ${name.toUpperCase()} is not supported as a command: send the transaction to /multi-exec`;
    if (name === "subscribe" || name === "psubscribe") {
      return `ERR ${name.toUpperCase()} is not supported as a command: POST /${name}/{name} with Accept: text/event-stream`;
    }
    return `ERR ${name.toUpperCase()} is not supported over REST (it would block or change the shared connection)`;
  }
  return undefined;
}

/** An argument as Redis reads a keyword, lower-cased: a body in the URL form arrives as bytes ("BLOCK" sent as the body is still BLOCK). */
const lower = (argument: CommandArgument | undefined) =>
  typeof argument === "string" ? argument.toLowerCase() : Buffer.isBuffer(argument) ? argument.toString("latin1").toLowerCase() : undefined;

/**
 * Whether an `XREAD` or `XREADGROUP` asks to block: a `BLOCK` among its options, which come
 * before `STREAMS` (after it, every argument is a key or an id, and may be named "block").
 * `from` skips `GROUP group consumer` of an `XREADGROUP`.
 */
function blocks(command: readonly CommandArgument[], from: number): boolean {
  for (let index = from; index < command.length; index++) {
    const option = lower(command[index]);
    if (option === "streams") return false;
    if (option === "block") return true;
    if (option === "count") index++; // its value, which could be spelt "block" only by mistake
  }
  return false;
}

export function isWrite(command: readonly CommandArgument[]): boolean {
  return !READS.has(String(command[0]).toLowerCase());
}

/** Scripts and functions, which can write and then fail: Redis keeps what they did before the error. */
const WRITE_THEN_FAIL = new Set(["eval", "evalsha", "fcall"]);

/**
 * Whether a command may have changed the data, given whether Redis answered it with an error.
 * Any other command Redis refuses (`WRONGTYPE`, a syntax error, a value out of range) fails
 * before it changes anything, so it earns no new `upstash-sync-token`.
 */
export function mayHaveWritten(command: readonly CommandArgument[], failed: boolean): boolean {
  if (!isWrite(command)) return false;
  return !failed || WRITE_THEN_FAIL.has(String(command[0]).toLowerCase());
}

/** A command as received: a non-empty array of strings, numbers (`bigint`s too) and booleans, the first a string. */
export function isCommand(value: unknown): value is CommandArgument[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    typeof value[0] === "string" &&
    value.every((part) => typeof part === "string" || typeof part === "number" || typeof part === "bigint" || typeof part === "boolean")
  );
}

/**
 * Redis takes every argument as a string; JSON numbers (an integer beyond 2^53 arrives as a
 * `bigint`, its digits intact) and booleans are sent as their text, and raw bytes as they are.
 *
 * The name goes to ioredis upper-cased: ioredis reshapes the replies of some commands it knows
 * by their lower-case name (`hgetall` becomes an object, which sorts integer-like fields first
 * and mangles `__proto__`), while Upstash answers the same for every spelling.
 */
export function toRedisArguments(command: readonly CommandArgument[]): Array<string | Buffer> {
  return command.map((part, index) => (index === 0 ? String(part).toUpperCase() : Buffer.isBuffer(part) ? part : String(part)));
}
