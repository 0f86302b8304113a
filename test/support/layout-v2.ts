import type { RedisCommand, RedisConnection } from "tessera/redis";
import { encodeSessionRecord, type SessionRecord } from "tessera";

/**
 * A writer of Redis layout v2 (one index hash per bucket, `<prefix>{<bucket>}:i`, field = session
 * digest, value = `<absolute36> RS <created36> RS <userId>`), kept so that tests can produce data
 * exactly as the v2 store did and prove that v3 reads, lists, revokes and migrates it. The script
 * below is v2's login script as it shipped (commit 80217c3, `src/stores/redis/scripts.ts`): do
 * not "fix" it, it is a fixture.
 */
const PARSE_ENTRY = `
local function parse_entry(entry)
  local s1 = string.find(entry, '\\30', 1, true)
  local s2 = s1 and string.find(entry, '\\30', s1 + 1, true)
  if not s2 then return nil end
  return tonumber(string.sub(entry, 1, s1 - 1), 36), tonumber(string.sub(entry, s1 + 1, s2 - 1), 36), string.sub(entry, s2 + 1)
end
`;

const V2_CREATE_SCRIPT = `${PARSE_ENTRY}
local index, now, user, max, prefix, old_field = KEYS[1], tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8]), ARGV[9], ARGV[10]
local entries = redis.call('HGETALL', index)
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('HSET', index, ARGV[1], ARGV[4])
local replaced = 0
if KEYS[3] then
  replaced = redis.call('DEL', KEYS[3])
  redis.call('HDEL', KEYS[4], old_field)
end
local pruned, mine, evicted = {}, {}, {}
for i = 1, #entries, 2 do
  local field = entries[i]
  local absolute, created, owner = parse_entry(entries[i + 1])
  if KEYS[4] == index and field == old_field then
    -- the replaced session, deleted above
  elseif not absolute or absolute <= now then
    redis.call('DEL', prefix .. field)
    redis.call('HDEL', index, field)
    pruned[#pruned + 1] = field
    pruned[#pruned + 1] = entries[i + 1]
  elseif owner == user then
    mine[#mine + 1] = { created, field }
  end
end
if max > 0 and #mine >= max then
  table.sort(mine, function(a, b) if a[1] ~= b[1] then return a[1] < b[1] end return a[2] < b[2] end)
  for i = 1, #mine - max + 1 do
    redis.call('DEL', prefix .. mine[i][2])
    redis.call('HDEL', index, mine[i][2])
    evicted[#evicted + 1] = mine[i][2]
  end
end
-- Extend the index's TTL, never shorten it (GT); a brand-new index has none, so GT fails and NX sets it.
if redis.call('EXPIRE', index, ARGV[5], 'GT') == 0 then redis.call('EXPIRE', index, ARGV[5], 'NX') end
return { evicted, pruned, replaced }
`;

/** v2's index entry encoding (`encodeIndexEntry` of v2's `core/record.ts`). */
export function encodeV2IndexEntry(record: Pick<SessionRecord, "userId" | "createdAtSeconds" | "absoluteExpiresAtSeconds">): string {
  return [record.absoluteExpiresAtSeconds.toString(36), record.createdAtSeconds.toString(36), record.userId].join("\u001e");
}

/** The command v2's `create` sent for a login without rotation, with v2's arguments. */
export function v2CreateCommand(
  sessionId: string,
  record: SessionRecord,
  options: { ttlMs: number; indexTtlMs: number; nowSeconds: number; maxSessionsPerUser?: number; keyPrefix?: string },
): RedisCommand {
  const prefix = `${options.keyPrefix ?? "ts:"}{${sessionId.slice(0, 2)}}`;
  return [
    "EVAL",
    V2_CREATE_SCRIPT,
    2,
    `${prefix}:i`,
    prefix + sessionId.slice(2),
    sessionId.slice(2),
    encodeSessionRecord(record),
    options.ttlMs,
    encodeV2IndexEntry(record),
    Math.ceil(options.indexTtlMs / 1000),
    options.nowSeconds,
    record.userId,
    options.maxSessionsPerUser ?? 0,
    prefix,
    "",
  ];
}

/** Logs a session in as the v2 store did. */
export async function writeV2Session(
  connection: RedisConnection,
  sessionId: string,
  record: SessionRecord,
  options: Parameters<typeof v2CreateCommand>[2],
): Promise<void> {
  const [reply] = await connection.send([v2CreateCommand(sessionId, record, options)]);
  if (reply instanceof Error) throw reply;
}
