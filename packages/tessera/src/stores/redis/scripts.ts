/**
 * The Lua scripts of the Redis store that touch one session key only (the index scripts are in
 * `index-scripts.ts`). Each runs atomically and never parses JSON: records are laid out so that
 * every field a script needs sits at a fixed position or between U+001E separators (see
 * `src/core/record.ts`). `\30` below is that separator in Lua's decimal escape.
 */

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
