/**
 * The Lua scripts that keep the per-user index of layout v3 (see `layout.ts`): in each bucket, a
 * hash `<prefix>{<bucket>}:u` with one field per user whose value is that user's session digests,
 * 24 characters each, concatenated. Every script reads and writes the one field of the user it
 * serves, so its cost is O(that user's sessions), whatever the number of sessions in Redis.
 *
 * Each script touches keys of one bucket only (one hash tag, one Cluster slot), except a login
 * that replaces another bucket's session with `crossSlotScripts` on. Keys a script builds itself
 * (`prefix .. digest`) share the bucket's hash tag with the declared keys.
 *
 * Layout v2 kept one hash per bucket keyed by session (`:i`). A script that needs a bucket's
 * index first adopts whatever `:i` still holds into `:u` and deletes it, in the same atomic step,
 * so no operation ever misses a v2 session; `migrateLayout` does the same ahead of time, in
 * bounded chunks.
 */

/** Shared Lua: the list codec, record parsing, and the v2 adoption. `\30` is U+001E. */
const LIB = `
local DIGEST = 24
local function digests(packed)
  local list = {}
  if packed then for i = 1, #packed, DIGEST do list[#list + 1] = string.sub(packed, i, i + DIGEST - 1) end end
  return list
end
local function save(index, user, list)
  if #list == 0 then redis.call('HDEL', index, user) else redis.call('HSET', index, user, table.concat(list)) end
end
-- Created-at and absolute deadline of a record (format 2: '<offset>\\30[2,"<user>",created,absolute,...').
-- Walks the JSON string of the user id by its escapes instead of decoding it: no cjson on the login path.
local function times(value)
  if string.sub(value, 6, 10) ~= '\\30[2,"' then return nil end
  local at = 11
  while true do
    local c = string.find(value, '["\\\\]', at)
    if not c then return nil end
    if string.byte(value, c) == 34 then at = c break end
    at = c + 2
  end
  local created, absolute = string.match(value, '^",(%d+),(%d+),', at)
  return tonumber(created), tonumber(absolute)
end
-- A session's value and created-at time, or nil when it is gone; one past its absolute deadline
-- is deleted here and counts as gone.
local function live_session(key, now)
  local value = redis.call('GET', key)
  if not value then return nil end
  local created, absolute = times(value)
  if absolute and absolute <= now then
    redis.call('DEL', key)
    return nil
  end
  return value, created
end
-- The owner of a record, decoded from its JSON header (only needed when a session is deleted by id).
local function owner(value)
  if string.sub(value, 6, 6) ~= '\\30' then return nil end
  local stop = string.find(value, '\\30', 7, true)
  local ok, header = pcall(cjson.decode, string.sub(value, 7, stop and stop - 1 or #value))
  if ok and type(header) == 'table' and type(header[2]) == 'string' then return header[2] end
  return nil
end
local function forget(index, user, digest)
  local list = digests(redis.call('HGET', index, user))
  for i = 1, #list do
    if list[i] == digest then table.remove(list, i) save(index, user, list) return end
  end
end
-- Deletes a session and its digest from its owner's list; returns the value it held. A session
-- already gone may be one a rotation deleted whose login is still to be undone (its reply came too
-- late): ending it again cancels that undo (its marker, if given), so it never comes back. A
-- rotation passes the new digest (\`rotated_to\`): the marker then names it for \`window\` ms.
local function destroy_session(key, index, digest, marker, rotated_to, window)
  local value = redis.call('GETDEL', key)
  if not value then
    if marker then redis.call('DEL', marker) end
    return value
  end
  local who = owner(value)
  if who then forget(index, who, digest) end
  if rotated_to then redis.call('SET', marker, rotated_to, 'PX', window) end
  return value
end
-- Puts a digest back into its owner's list (the owner read from the session's value), once.
local function remember(index, value, digest)
  local who = owner(value)
  if not who then return end
  local list = digests(redis.call('HGET', index, who))
  for i = 1, #list do
    if list[i] == digest then return end
  end
  list[#list + 1] = digest
  save(index, who, list)
end
-- Extends an existing key's TTL to \`ms\`, never shortens it; a key without one gets it. Always
-- the same two commands (PEXPIRE GT, then NX on failure, would vary with the clock).
local function extend_ttl(key, ms)
  local left = redis.call('PTTL', key)
  if ms > 0 and left ~= -2 then redis.call('PEXPIRE', key, math.max(left, ms)) end
end
-- Adds v2 index entries (digest, '<absolute36>\\30<created36>\\30<user>' pairs) of live sessions to the v3 index.
local function adopt(index, prefix, entries)
  local by_user, adopted = {}, 0
  for i = 1, #entries, 2 do
    local digest, entry = entries[i], entries[i + 1]
    local s1 = string.find(entry, '\\30', 1, true)
    local s2 = s1 and string.find(entry, '\\30', s1 + 1, true)
    if s2 and #digest == DIGEST and redis.call('EXISTS', prefix .. digest) == 1 then
      local who = string.sub(entry, s2 + 1)
      by_user[who] = by_user[who] or {}
      table.insert(by_user[who], digest)
      adopted = adopted + 1
    end
  end
  for who, list in pairs(by_user) do
    local merged, present = digests(redis.call('HGET', index, who)), {}
    for _, digest in ipairs(merged) do present[digest] = true end
    for _, digest in ipairs(list) do
      if not present[digest] then merged[#merged + 1] = digest end
    end
    save(index, who, merged)
  end
  return adopted
end
local function adopt_legacy(legacy, index, prefix)
  if redis.call('EXISTS', legacy) == 0 then return end
  local ttl = redis.call('PTTL', legacy)
  adopt(index, prefix, redis.call('HGETALL', legacy))
  redis.call('DEL', legacy)
  extend_ttl(index, ttl)
end
`;

/**
 * Login. KEYS: index, new session, the bucket's v2 index, and when rotating in this script the
 * old session, its bucket's index and its undo marker. ARGV: digest, value, ttlMs, index TTL
 * (ms), now (s), user id, max sessions per user (0 = no limit), bucket prefix, old digest, users
 * to sample for clean-up, digests checked per sampled user, a random HSCAN cursor (the sampling of
 * a large index), how long a late reply may still undo the rotation (ms).
 *
 * Order matters for a full Redis (`maxmemory` + `noeviction`): Redis refuses only a script's
 * *first* write that may grow memory, and once a script has written it lets it finish. So the
 * `SET` of the new session is the first write: a refusal aborts the script with nothing changed
 * (the old session stays valid), and once it has passed the rest is sure to run. Being one
 * script, nobody ever sees the old and the new session valid together.
 *
 * Then: deletes the replaced session (and its digest from its owner's list); checks each of the
 * user's sessions, dropping those gone and deleting those past their absolute deadline; evicts the
 * oldest beyond the limit. Last, a bounded clean-up of users who never came back (nothing else
 * would ever remove their field): a few random users of the bucket, a few digests each.
 * Returns { evicted digests, expired digest/user pairs, 1 if the old session existed else 0, the
 * old session's value if it existed }, or a bare 0 when the lists are empty and nothing was
 * replaced (most logins). The old value is what `RESTORE_SCRIPT` needs to undo the rotation, should
 * its reply come too late for the login to succeed; the marker (`<old session key>:r`, holding the
 * new digest, for the undo window) is what allows that undo, and whoever ends the old session in
 * the meantime deletes it (see `destroy_session`).
 */
export const CREATE_SCRIPT = `${LIB}
local index, now, user, max, prefix = KEYS[1], tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7]), ARGV[8]
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
local replaced, old = 0, nil
if KEYS[4] then
  old = destroy_session(KEYS[4], KEYS[5], ARGV[9], KEYS[6], ARGV[1], ARGV[13])
  if old then replaced = 1 end
end
adopt_legacy(KEYS[3], index, prefix)
local expired = {}
-- The user's own sessions: the live ones stay, with {created, digest, position} for the eviction below.
local kept, mine = {}, {}
for i, digest in ipairs(digests(redis.call('HGET', index, user))) do
  if digest ~= ARGV[1] then
    local value, created = live_session(prefix .. digest, now)
    if value then
      kept[#kept + 1] = digest
      mine[#mine + 1] = { created or 0, digest, i }
    else
      expired[#expired + 1] = digest
      expired[#expired + 1] = user
    end
  end
end
local evicted = {}
if max > 0 and #mine >= max then
  -- Oldest first; of the same second, the earlier login (lists are kept in login order).
  table.sort(mine, function(a, b) if a[1] ~= b[1] then return a[1] < b[1] end return a[3] < b[3] end)
  local gone = {}
  for i = 1, #mine - max + 1 do
    redis.call('DEL', prefix .. mine[i][2])
    gone[mine[i][2]] = true
    evicted[#evicted + 1] = mine[i][2]
  end
  local left = {}
  for _, digest in ipairs(kept) do if not gone[digest] then left[#left + 1] = digest end end
  kept = left
end
kept[#kept + 1] = ARGV[1]
save(index, user, kept)
-- Sampling. A small hash (at most 512 fields: Redis's default listpack limit) is one block of
-- memory, and HRANDFIELD walks it cheaply; a negative count may repeat a user but needs no
-- de-duplication, and WITHVALUES saves an HGET. A large hash is a hashtable, where HRANDFIELD
-- reads 15 random entries for each one it returns: at 10 million sessions those are cache misses,
-- ~40 µs a login. There, HSCAN from a random cursor (ARGV[12]) reads the one or two table slots it
-- lands on. (HSCAN of a listpack would return the whole hash, hence the switch on HLEN.)
local wanted = tonumber(ARGV[10])
local sample = {}
if wanted > 0 then
  if redis.call('HLEN', index) <= 512 then
    sample = redis.call('HRANDFIELD', index, -wanted, 'WITHVALUES')
  else
    sample = redis.call('HSCAN', index, ARGV[12], 'COUNT', wanted)[2]
  end
end
-- EXISTS, not GET: a key past its absolute deadline still ends within one idle period, and its
-- own user's next login or listing deletes it sooner.
local seen = { [user] = true }
for s = 1, math.min(#sample, 2 * wanted), 2 do
  local who = sample[s]
  if not seen[who] then
    seen[who] = true
    local list, left = digests(sample[s + 1]), {}
    for i, digest in ipairs(list) do
      if i > tonumber(ARGV[11]) or redis.call('EXISTS', prefix .. digest) == 1 then
        left[#left + 1] = digest
      else
        expired[#expired + 1] = digest
        expired[#expired + 1] = who
      end
    end
    if #left ~= #list then save(index, who, left) end
  end
end
extend_ttl(index, tonumber(ARGV[4]))
-- Most logins evict and expire nothing and replace no session: then a bare 0, which a client
-- parses for far less than nested arrays.
if #evicted == 0 and #expired == 0 and replaced == 0 then return 0 end
return { evicted, expired, replaced, old or nil }
`;

/**
 * Logout. KEYS: session, its bucket's index, its undo marker. ARGV: digest, and for the second step
 * of a rotation across slots the new session's digest and the undo window (ms), which leave a
 * marker as `CREATE_SCRIPT` does. Deletes the session and its digest from its owner's list (the
 * owner is read from the deleted value). Returns the value, or nil. A v2 index entry of the
 * session, if any, is left to the adoption, which skips dead sessions.
 */
export const DESTROY_SCRIPT = `${LIB}
return destroy_session(KEYS[1], KEYS[2], ARGV[1], KEYS[3], ARGV[2], ARGV[3])
`;

/**
 * Undoes a login whose reply came too late: writes back the session its rotation deleted. KEYS:
 * that session, its bucket's index, its undo marker, and (when one script may name both) the new
 * session and its bucket's index. ARGV: old digest, the value `destroy_session` returned, idle TTL
 * (ms), index TTL (ms), new digest. Nothing is restored unless the marker still names this login
 * (nobody ended the old session since, and the window has not passed) and, when given, the new
 * session still existed (nobody revoked it, say by "sign out everywhere") — it is deleted here.
 * The value goes back only if its key is free, and its digest back into its owner's list.
 * Returns 1 if restored, else 0.
 */
export const RESTORE_SCRIPT = `${LIB}
if KEYS[4] and not destroy_session(KEYS[4], KEYS[5], ARGV[5]) then return 0 end
if redis.call('GET', KEYS[3]) ~= ARGV[5] then return 0 end
redis.call('DEL', KEYS[3])
if not redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3], 'NX') then return 0 end
remember(KEYS[2], ARGV[2], ARGV[1])
extend_ttl(KEYS[2], tonumber(ARGV[4]))
return 1
`;

/**
 * Listing. KEYS: index, the bucket's v2 index. ARGV: user id, now (s), bucket prefix.
 * Returns { { digest, value up to its data, PTTL }... } and the digests dropped because their
 * session is gone or past its absolute deadline.
 */
export const LIST_SCRIPT = `${LIB}
local index, user, now, prefix = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3]
adopt_legacy(KEYS[2], index, prefix)
local list = digests(redis.call('HGET', index, user))
local kept, sessions, pruned = {}, {}, {}
for _, digest in ipairs(list) do
  local value = live_session(prefix .. digest, now)
  if value then
    kept[#kept + 1] = digest
    local first = string.find(value, '\\30', 1, true)
    local second = first and string.find(value, '\\30', first + 1, true)
    sessions[#sessions + 1] = { digest, second and string.sub(value, 1, second - 1) or value, redis.call('PTTL', prefix .. digest) }
  else
    pruned[#pruned + 1] = digest
  end
end
if #kept ~= #list then save(index, user, kept) end
return { sessions, pruned }
`;

/**
 * Revocation. KEYS: index, the bucket's v2 index, and for `only` the undo marker of the session it
 * names. ARGV: user id, bucket prefix, mode (`only`, `except` or `all`), the digest the mode names.
 * Deletes the matching sessions of that user, atomically, and returns the digests of those that
 * existed. `only` matches one digest exactly and an empty one matches nothing: no argument may
 * ever widen a single revocation into "every session". `only` also cancels a pending undo of a
 * rotation that deleted that session (see `destroy_session`): revoked by handle from a device list
 * shown before the rotation, it must stay ended.
 */
export const DESTROY_FOR_USER_SCRIPT = `${LIB}
local index, user, prefix, mode, target = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if mode ~= 'only' and mode ~= 'except' and mode ~= 'all' then return redis.error_reply('ERR unknown revocation mode') end
if mode == 'only' and target == '' then return {} end
if mode == 'only' and KEYS[3] then redis.call('DEL', KEYS[3]) end
adopt_legacy(KEYS[2], index, prefix)
local list = digests(redis.call('HGET', index, user))
local kept, destroyed = {}, {}
for _, digest in ipairs(list) do
  local wanted = mode == 'all' or (mode == 'only' and digest == target) or (mode == 'except' and digest ~= target)
  if wanted then
    if redis.call('DEL', prefix .. digest) == 1 then destroyed[#destroyed + 1] = digest end
  else
    kept[#kept + 1] = digest
  end
end
if #kept ~= #list then save(index, user, kept) end
return destroyed
`;

/**
 * Migration step. KEYS: the bucket's v2 index, its v3 index. ARGV: bucket prefix, HSCAN cursor,
 * HSCAN COUNT. Adopts one HSCAN page of v2 entries (live sessions only) and deletes them from the
 * v2 index. Returns { next cursor, entries read, sessions adopted }; a gone v2 index returns
 * { "0", 0, 0 }. Deleting what a page returned keeps HSCAN's guarantee for the rest.
 */
export const MIGRATE_CHUNK_SCRIPT = `${LIB}
if redis.call('EXISTS', KEYS[1]) == 0 then return { '0', 0, 0 } end
local ttl = redis.call('PTTL', KEYS[1])
local page = redis.call('HSCAN', KEYS[1], ARGV[2], 'COUNT', tonumber(ARGV[3]))
local entries = page[2]
local adopted = adopt(KEYS[2], ARGV[1], entries)
for i = 1, #entries, 2 do redis.call('HDEL', KEYS[1], entries[i]) end
extend_ttl(KEYS[2], ttl)
return { page[1], #entries / 2, adopted }
`;
