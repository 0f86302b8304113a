import type { DeviceInfo } from "./device.js";

/**
 * What a store keeps per session, and its wire encodings.
 *
 * Session value (what `GETEX` returns on every authenticated request):
 *
 *     <lastSeen offset> RS <header> ( RS <member> )*
 *
 * - `lastSeen offset`: seconds from creation to the last recorded activity, base36, exactly 5
 *   characters, *first* so a store can overwrite it in place (Redis `SETRANGE key 0`) without
 *   reading or re-encoding anything else;
 * - `header`: JSON `[2, userId, createdAtSeconds, absoluteExpiresAtSeconds, userAgentLabel, ip]`;
 * - each `member`: one data entry as a JSON object member, `"key":value`, so a store can replace,
 *   add or delete one key by string operations (a merge in one Lua call) without parsing any JSON
 *   — two requests changing different keys at once both survive;
 * - `RS` is U+001E, which never appears raw in JSON text (control characters are escaped).
 *
 * Index entry (one per session: the memory store's index, and Redis layout v2's bucket index,
 * which layout v3 still reads to adopt it; v3's own index holds bare digests, see
 * `src/stores/redis/layout.ts`):
 *
 *     <absoluteExpiresAt base36> RS <createdAt base36> RS <userId, raw>
 *
 * Deadlines first and in base36 so a Lua script can prune by time with `tonumber(x, 36)`; the user
 * id last and unescaped, so it may hold any character and a script compares it whole. The entry
 * stays short on purpose: Redis keeps a hash compact (a listpack) only while every value is at
 * most 64 bytes, and one longer entry makes the whole bucket several times larger. The device
 * (read only by listings) lives in the session value instead.
 */

/** Data kept in a session: a JSON-serializable object (Dates become strings, like `JSON.stringify`). */
export type SessionData = object;

/** One stored session. Times are unix seconds. */
export interface SessionRecord<Data extends SessionData = SessionData> {
  /** Whom the session belongs to. */
  userId: string;
  /** The device that logged in (a short user-agent label and the IP). */
  device: DeviceInfo;
  /** When the session was created (login). */
  createdAtSeconds: number;
  /** When the session ends regardless of activity. */
  absoluteExpiresAtSeconds: number;
  /** Last recorded activity (updated at most once per touch interval). */
  lastSeenAtSeconds: number;
  /** Application data. */
  data: Data;
}

/**
 * A change to session data: keys to set (any JSON value) and keys to delete. `clear` drops every
 * other key first. Typed by the manager's `Data`: a misspelt key or a value of the wrong type is a
 * compile error (`{ set: { theem: "dark" } }`); with untyped data (`object`) any key goes.
 */
export interface DataPatch<Data extends SessionData = Record<string, unknown>> {
  /** `undefined` values are skipped (as JSON drops them), so a maybe-undefined value may be passed. */
  set?: { [Key in keyof Data]?: Data[Key] | undefined };
  delete?: ReadonlyArray<DataKey<Data>>;
  clear?: boolean;
}

/**
 * The keys of `Data` a patch may name: those of every member when `Data` is a union, and any
 * string when `Data` has no known keys (`object`) or an index signature.
 */
export type DataKey<Data extends SessionData> = Data extends unknown ? KeysOf<Data> : never;
type KeysOf<Data> = [keyof Data] extends [never] ? string : string extends keyof Data ? string : keyof Data & string;

/** A patch encoded for a store: the member strings to write and the JSON-encoded keys to remove. */
export interface EncodedPatch {
  /** `"key":value` members, one per key set. */
  members: string[];
  /** Keys (JSON-encoded, with quotes) whose members are removed before `members` are added. */
  removeKeys: string[];
  clear: boolean;
}

export const RECORD_SEPARATOR = "\u001e";
const FORMAT_VERSION = 2;
/** Width of the last-seen offset: 36^5 s ≈ 700 days, past the longest allowed lifetime (400 days). */
export const LAST_SEEN_OFFSET_WIDTH = 5;

/** The fixed-width last-seen prefix of a session value. */
export function encodeLastSeenOffset(createdAtSeconds: number, lastSeenAtSeconds: number): string {
  const offset = Math.max(0, Math.min(36 ** LAST_SEEN_OFFSET_WIDTH - 1, lastSeenAtSeconds - createdAtSeconds));
  return offset.toString(36).padStart(LAST_SEEN_OFFSET_WIDTH, "0");
}

function encodeMember(key: string, value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`the value of ${JSON.stringify(key)} is not JSON-serializable`);
  return `${JSON.stringify(key)}:${json}`;
}

/** Encodes a record as a session value. Throws `TypeError` if `data` is not JSON-serializable. */
export function encodeSessionRecord(record: SessionRecord): string {
  let out = encodeLastSeenOffset(record.createdAtSeconds, record.lastSeenAtSeconds);
  out +=
    RECORD_SEPARATOR +
    JSON.stringify([FORMAT_VERSION, record.userId, record.createdAtSeconds, record.absoluteExpiresAtSeconds, record.device.userAgent, record.device.ip]);
  for (const [key, value] of Object.entries(record.data)) {
    if (value !== undefined) out += RECORD_SEPARATOR + encodeMember(key, value);
  }
  return out;
}

/**
 * Decodes a session value; `null` for anything this version did not write (a foreign key, a
 * truncated value), so a corrupt entry reads as "no session" instead of crashing a request.
 */
export function decodeSessionRecord<Data extends SessionData = SessionData>(encoded: string): SessionRecord<Data> | null {
  if (encoded.charAt(LAST_SEEN_OFFSET_WIDTH) !== RECORD_SEPARATOR) return null;
  const offset = Number.parseInt(encoded.slice(0, LAST_SEEN_OFFSET_WIDTH), 36);
  // Runs on every authenticated read: a session without data (the common case) skips the second
  // JSON.parse, and the header is cut out rather than split off with the members.
  const headerEnd = encoded.indexOf(RECORD_SEPARATOR, LAST_SEEN_OFFSET_WIDTH + 1);
  let header: unknown;
  let data: unknown;
  try {
    header = JSON.parse(encoded.slice(LAST_SEEN_OFFSET_WIDTH + 1, headerEnd === -1 ? encoded.length : headerEnd));
    data =
      headerEnd === -1
        ? {}
        : JSON.parse(
            `{${encoded
              .slice(headerEnd + 1)
              .split(RECORD_SEPARATOR)
              .join(",")}}`,
          );
  } catch {
    return null;
  }
  if (!Array.isArray(header) || header.length !== 6 || header[0] !== FORMAT_VERSION) return null;
  const [, userId, createdAtSeconds, absoluteExpiresAtSeconds, userAgent, ip] = header as unknown[];
  if (
    typeof userId !== "string" ||
    typeof userAgent !== "string" ||
    typeof ip !== "string" ||
    !Number.isSafeInteger(createdAtSeconds) ||
    !Number.isSafeInteger(absoluteExpiresAtSeconds) ||
    !Number.isSafeInteger(offset)
  ) {
    return null;
  }
  return {
    userId,
    device: { userAgent, ip },
    createdAtSeconds: createdAtSeconds as number,
    absoluteExpiresAtSeconds: absoluteExpiresAtSeconds as number,
    lastSeenAtSeconds: (createdAtSeconds as number) + offset,
    data: data as Data,
  };
}

/** Encodes a data patch for a store. Throws `TypeError` for a value that is not JSON-serializable. */
export function encodeDataPatch(patch: DataPatch<SessionData>): EncodedPatch {
  const set = Object.entries(patch.set ?? {}).filter(([, value]) => value !== undefined);
  const removed = new Set([...(patch.delete ?? []), ...set.map(([key]) => key)]);
  return {
    members: set.map(([key, value]) => encodeMember(key, value)),
    removeKeys: [...removed].map((key) => JSON.stringify(key)),
    clear: patch.clear ?? false,
  };
}

/**
 * Applies an encoded patch to a session value, by the same string rules the Redis script uses, so
 * the memory store and Redis cannot disagree about a merge.
 */
export function applyEncodedPatch(encoded: string, patch: EncodedPatch): string {
  const [lastSeen, header, ...members] = encoded.split(RECORD_SEPARATOR);
  const kept = patch.clear ? [] : members.filter((member) => !patch.removeKeys.some((key) => member.startsWith(`${key}:`)));
  return [lastSeen, header, ...kept, ...patch.members].join(RECORD_SEPARATOR);
}

/** One session's entry in its user's index. */
export interface IndexEntry {
  userId: string;
  createdAtSeconds: number;
  absoluteExpiresAtSeconds: number;
}

export function encodeIndexEntry(entry: IndexEntry): string {
  return [entry.absoluteExpiresAtSeconds.toString(36), entry.createdAtSeconds.toString(36), entry.userId].join(RECORD_SEPARATOR);
}

export function decodeIndexEntry(encoded: string): IndexEntry | null {
  const first = encoded.indexOf(RECORD_SEPARATOR);
  const second = first === -1 ? -1 : encoded.indexOf(RECORD_SEPARATOR, first + 1);
  if (second === -1) return null;
  const absoluteExpiresAtSeconds = Number.parseInt(encoded.slice(0, first), 36);
  const createdAtSeconds = Number.parseInt(encoded.slice(first + 1, second), 36);
  if (!Number.isSafeInteger(absoluteExpiresAtSeconds) || !Number.isSafeInteger(createdAtSeconds)) return null;
  return { userId: encoded.slice(second + 1), createdAtSeconds, absoluteExpiresAtSeconds };
}
