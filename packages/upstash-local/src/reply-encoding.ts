/** A reply as ioredis's `callBuffer` gives it on RESP2, for an upper-case command name. */
export type RawReply = Buffer | string | number | null | Error | RawReply[];
/** A reply as JSON in a REST response. */
export type JsonReply = string | number | null | JsonReply[];

/**
 * Converts a Redis reply to JSON the way Upstash does. With `base64`, every string at every depth
 * is base64 (integers and nil stay as they are): `@upstash/redis` decodes every string inside an
 * array unconditionally, so a plain `"OK"` nested in a reply would come out corrupted.
 */
export function encodeReply(reply: RawReply, base64: boolean): JsonReply {
  if (reply === null || typeof reply === "number") return reply;
  if (Buffer.isBuffer(reply)) return base64 ? reply.toString("base64") : reply.toString("utf8");
  if (typeof reply === "string") return base64 ? Buffer.from(reply, "utf8").toString("base64") : reply;
  if (Array.isArray(reply)) return reply.map((item) => encodeReply(item, base64));
  // An error nested inside an array reply (a script's `redis.error_reply` in a table): its text,
  // encoded like every other string, since the client decodes every string of an array.
  return base64 ? Buffer.from(reply.message, "utf8").toString("base64") : reply.message;
}
