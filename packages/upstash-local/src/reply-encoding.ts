/**
 * A reply as ioredis's `callBuffer` gives it on RESP2 with `stringNumbers`, for an upper-case
 * command name: text (bulk and status replies alike) as a `Buffer`, an integer as a string of its
 * digits, an error inside an array as an `Error`.
 */
export type RawReply = Buffer | string | number | null | Error | RawReply[];
/** A reply as JSON in a REST response; a `bigint` is an integer beyond 2^53, written as its digits. */
export type JsonReply = string | number | bigint | null | JsonReply[];

/**
 * Converts a Redis reply to JSON the way Upstash does: an integer as a JSON number with all its
 * digits (64-bit counters pass 2^53), text as a string.
 *
 * With `base64`, every string at every depth is base64 (integers and nil stay as they are), except
 * a whole reply of `OK`, which Upstash documents as sent as it is: `@upstash/redis` and the Python
 * client pass a top-level `"OK"` through and decode anything else. A string inside an array is
 * always encoded, as `@upstash/redis` decodes every string of an array unconditionally (a plain
 * `"OK"` there would come out as `"8"`). ioredis hands status and bulk replies over as the same
 * bytes, so a `GET` of the value `OK` is sent plain too; both clients read it as `OK` either way.
 */
export function encodeReply(reply: RawReply, base64: boolean): JsonReply {
  if (base64 && Buffer.isBuffer(reply) && reply.length === 2 && reply.toString("latin1") === "OK") return "OK";
  return encodeValue(reply, base64);
}

function encodeValue(reply: RawReply, base64: boolean): JsonReply {
  if (reply === null || typeof reply === "number") return reply;
  if (Buffer.isBuffer(reply)) return base64 ? reply.toString("base64") : reply.toString("utf8");
  if (typeof reply === "string") return INTEGER.test(reply) ? exactInteger(reply) : base64 ? Buffer.from(reply, "utf8").toString("base64") : reply;
  if (Array.isArray(reply)) return reply.map((item) => encodeValue(item, base64));
  // An error nested inside an array reply (a script's `redis.error_reply` in a table): its text,
  // encoded like every other string, since the client decodes every string of an array.
  return base64 ? Buffer.from(reply.message, "utf8").toString("base64") : reply.message;
}

const INTEGER = /^-?[0-9]+$/;

/** A JavaScript number while that is exact, else a `bigint` with the same digits. */
function exactInteger(digits: string): number | bigint {
  const value = Number(digits);
  return Number.isSafeInteger(value) ? value : BigInt(digits);
}
