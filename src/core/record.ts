/**
 * What a store keeps per session, and its wire encoding.
 *
 * The encoding is a JSON array, `[1, userId, createdAtSeconds, absoluteExpiresAtSeconds, data?]`:
 * positional (no repeated field names) because every byte is paid per session in Redis, and
 * versioned by its first element so a later layout can be read beside this one. Times are whole
 * unix seconds; `data` is left out when empty.
 */

/** Data kept in a session: a JSON-serializable object (Dates become strings, like `JSON.stringify`). */
export type SessionData = object;

/** One stored session. Times are unix seconds. */
export interface SessionRecord<Data extends SessionData = SessionData> {
  /** Whom the session belongs to. */
  userId: string;
  /** When the session was created (login), unix seconds. */
  createdAtSeconds: number;
  /** When the session ends regardless of activity, unix seconds. */
  absoluteExpiresAtSeconds: number;
  /** Application data. */
  data: Data;
}

const FORMAT_VERSION = 1;

/** Encodes a record for a store. Throws `TypeError` if `data` is not JSON-serializable. */
export function encodeSessionRecord(record: SessionRecord): string {
  const hasData = Object.keys(record.data).length > 0;
  const tuple: unknown[] = [FORMAT_VERSION, record.userId, record.createdAtSeconds, record.absoluteExpiresAtSeconds];
  if (hasData) tuple.push(record.data);
  return JSON.stringify(tuple);
}

/**
 * Decodes a stored value; `null` for anything that is not a record this version wrote (a foreign
 * key, a truncated value), so a corrupt entry reads as "no session" instead of crashing a request.
 */
export function decodeSessionRecord<Data extends SessionData = SessionData>(encoded: string): SessionRecord<Data> | null {
  let tuple: unknown;
  try {
    tuple = JSON.parse(encoded);
  } catch {
    return null;
  }
  if (!Array.isArray(tuple) || tuple.length < 4 || tuple.length > 5 || tuple[0] !== FORMAT_VERSION) return null;
  const [, userId, createdAtSeconds, absoluteExpiresAtSeconds, data = {}] = tuple as unknown[];
  if (
    typeof userId !== "string" ||
    !Number.isSafeInteger(createdAtSeconds) ||
    !Number.isSafeInteger(absoluteExpiresAtSeconds) ||
    typeof data !== "object" ||
    data === null ||
    Array.isArray(data)
  ) {
    return null;
  }
  return {
    userId,
    createdAtSeconds: createdAtSeconds as number,
    absoluteExpiresAtSeconds: absoluteExpiresAtSeconds as number,
    data: data as Data,
  };
}
