/**
 * The Lua scripts of the Redis store. Each runs atomically, touches only keys of one bucket (one
 * hash tag, so one Cluster slot), and never parses JSON: records are laid out so that every
 * field a script needs sits at a fixed position or between U+001E separators (see
 * `src/core/record.ts`). `\30` below is that separator in Lua's decimal escape.
 *
 * Keys a script builds itself (`ARGV` prefix .. field) share the bucket's hash tag with the
 * declared keys, so they live in the same slot.
 */

/** Splits an index entry into absolute deadline, created-at, and the user id (the rest, raw). */
const PARSE_ENTRY = `
local function parse_entry(entry)
  local s1 = string.find(entry, '\\30', 1, true)
  local s2 = s1 and string.find(entry, '\\30', s1 + 1, true)
  if not s2 then return nil end
  return tonumber(string.sub(entry, 1, s1 - 1), 36), tonumber(string.sub(entry, s1 + 1, s2 - 1), 36), string.sub(entry, s2 + 1)
end
`;

/**
 * Login. KEYS: index, new session, and when rotating the old session and its index (which may be
 * another bucket's: then the script spans two slots, see `crossSlotScripts`). ARGV: field, value,
 * ttlMs, index entry, index TTL (s), now (s), user id, max sessions per user (0 = no limit),
 * session key prefix of the bucket, old session's field ('' when not rotating).
 *
 * Order matters for a full Redis (`maxmemory` + `noeviction`): Redis refuses only a script's
 * *first* write that may grow memory, and once a script has written it lets it finish. So the
 * `SET` of the new session comes before any delete: a refusal aborts the script with nothing
 * changed — the old session stays valid — and once the `SET` has passed, the rest is sure to run.
 * Being one script, nobody ever sees the old and the new session valid together.
 *
 * Then it deletes the replaced session, prunes index entries past their absolute deadline
 * (deleting any key that outlived it), and evicts the user's oldest sessions beyond the limit.
 * Returns { evicted fields, pruned field/entry pairs, 1 if the old session existed else 0 }.
 */
export const CREATE_SCRIPT = `${PARSE_ENTRY}
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

/**
 * Activity. KEYS: session. ARGV: the 5-character last-seen offset. Overwrites the value's first
 * bytes in place (the TTL stays), but only if the session still exists: a bare SETRANGE would
 * recreate a revoked session.
 */
export const TOUCH_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SETRANGE', KEYS[1], 0, ARGV[1])
return 1
`;

/**
 * Data merge. KEYS: session. ARGV: max bytes, clear (1/0), n, then n JSON keys to remove, then
 * the members to add. Reads, merges and writes in one atomic step, so concurrent patches of
 * different keys all survive; a session that is gone stays gone. Returns the merged value, 0
 * (missing) or -1 (the result would exceed max bytes; nothing written).
 */
export const PATCH_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local parts, start = {}, 1
while true do
  local s = string.find(value, '\\30', start, true)
  if not s then parts[#parts + 1] = string.sub(value, start) break end
  parts[#parts + 1] = string.sub(value, start, s - 1)
  start = s + 1
end
local out, removes = { parts[1], parts[2] }, tonumber(ARGV[3])
if ARGV[2] ~= '1' then
  for i = 3, #parts do
    local keep = true
    for r = 1, removes do
      local prefix = ARGV[3 + r] .. ':'
      if string.sub(parts[i], 1, #prefix) == prefix then keep = false break end
    end
    if keep then out[#out + 1] = parts[i] end
  end
end
for i = 4 + removes, #ARGV do out[#out + 1] = ARGV[i] end
local merged = table.concat(out, '\\30')
if #merged > tonumber(ARGV[1]) then return -1 end
redis.call('SET', KEYS[1], merged, 'KEEPTTL')
return merged
`;

/**
 * Listing. KEYS: index. ARGV: user id, now (s), session key prefix of the bucket.
 * Returns { { field, value up to its data, PTTL }... } and the fields pruned because their
 * session is gone or past its absolute deadline.
 */
export const LIST_SCRIPT = `${PARSE_ENTRY}
local index, user, now, prefix = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3]
local entries = redis.call('HGETALL', index)
local sessions, pruned = {}, {}
for i = 1, #entries, 2 do
  local field, entry = entries[i], entries[i + 1]
  local absolute, _, owner = parse_entry(entry)
  if owner == user then
    local value = absolute and absolute > now and redis.call('GET', prefix .. field)
    if value then
      local first = string.find(value, '\\30', 1, true)
      local second = first and string.find(value, '\\30', first + 1, true)
      sessions[#sessions + 1] = { field, second and string.sub(value, 1, second - 1) or value, redis.call('PTTL', prefix .. field) }
    else
      redis.call('DEL', prefix .. field)
      redis.call('HDEL', index, field)
      pruned[#pruned + 1] = field
    end
  end
end
return { sessions, pruned }
`;

/**
 * Revocation. KEYS: index. ARGV: user id, session key prefix of the bucket, mode (`only`,
 * `except` or `all`), the field the mode names. Deletes the matching sessions of that user,
 * atomically. `only` matches one field exactly and an empty one matches nothing: no argument
 * may ever widen a single revocation into "every session".
 */
export const DESTROY_FOR_USER_SCRIPT = `${PARSE_ENTRY}
local index, user, prefix, mode, target = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if mode ~= 'only' and mode ~= 'except' and mode ~= 'all' then return redis.error_reply('ERR unknown revocation mode') end
if mode == 'only' and target == '' then return {} end
local entries = redis.call('HGETALL', index)
local destroyed = {}
for i = 1, #entries, 2 do
  local field = entries[i]
  local _, _, owner = parse_entry(entries[i + 1])
  local wanted = mode == 'all' or (mode == 'only' and field == target) or (mode == 'except' and field ~= target)
  if owner == user and wanted then
    redis.call('DEL', prefix .. field)
    redis.call('HDEL', index, field)
    destroyed[#destroyed + 1] = field
  end
end
return destroyed
`;
