/**
 * The Lua side of the Redis store: one script per state change (see keys.ts for the
 * layout). Each script reads its arguments by name from the table `A`, which scripts.ts
 * builds from the same list of names the typed wrapper fills, so no argument order lives
 * in a comment. `P` is the key prefix with its hash tag.
 */

/** How many dead-letter stream entries are kept (approximately); the records stay until redelivered. */
const DEAD_LETTER_STREAM_MAX = 10_000;
/** The bell only needs its newest entry; a few dozen keep it cheap. */
const BELL_MAX = 64;
/** Expired done entries pruned per settle: bounded work per call. */
const PRUNE_BATCH = 100;

/** Helpers every script may use. */
export const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function route_of(member)
  return string.sub(member, 1, string.find(member, ':', 1, true) - 1)
end
local function record(member) return P .. ':e:' .. member end
local function queue_set(member, at)
  redis.call('ZADD', P .. ':q', at, member)
  redis.call('ZADD', P .. ':q:' .. route_of(member), at, member)
end
local function queue_del(member)
  redis.call('ZREM', P .. ':q', member)
  redis.call('ZREM', P .. ':q:' .. route_of(member), member)
end
local function index_del(status, member)
  redis.call('ZREM', P .. ':s:' .. status, member)
  redis.call('ZREM', P .. ':s:' .. status .. ':' .. route_of(member), member)
end
local function index_add(status, member, received_at)
  redis.call('ZADD', P .. ':s:' .. status, received_at, member)
  redis.call('ZADD', P .. ':s:' .. status .. ':' .. route_of(member), received_at, member)
end
local function ring(member)
  redis.call('XADD', P .. ':bell', 'MAXLEN', '~', ${BELL_MAX}, '*', 'm', member)
end
local function bell_id()
  local last = redis.call('XREVRANGE', P .. ':bell', '+', '-', 'COUNT', 1)
  if last[1] then return last[1][1] end
  return '0-0'
end
local function bury(member, err, attempts, now)
  local rec = record(member)
  redis.call('HSET', rec, 'status', 'dead', 'lastError', err, 'hasError', '1', 'lease', '',
    'leaseUntil', 0, 'updatedAtMs', now)
  queue_del(member)
  index_del('pending', member)
  index_add('dead', member, redis.call('HGET', rec, 'receivedAtMs'))
  local did = redis.call('XADD', P .. ':dead-letters', 'MAXLEN', '~', ${DEAD_LETTER_STREAM_MAX},
    '*', 'm', member, 'error', err, 'attempts', attempts)
  redis.call('HSET', rec, 'did', did)
end
local function forget_done(member)
  index_del('done', member)
  redis.call('ZREM', P .. ':done-expiry', member)
end
local function prune_done(now)
  local gone = redis.call('ZRANGEBYSCORE', P .. ':done-expiry', '-inf', now, 'LIMIT', 0,
    ${PRUNE_BATCH})
  for _, member in ipairs(gone) do forget_done(member) end
end
`;

/** Gate 3: the claim and the inbox entry in one step. → 1 accepted, 0 duplicate. */
export const ACCEPT = `
local rec = record(A.member)
local status = redis.call('HGET', rec, 'status')
if status and status ~= 'done' then return 0 end
local aliases = {}
for alias in string.gmatch(A.aliases, '[^\\n]+') do aliases[#aliases + 1] = P .. ':a:' .. alias end
for _, alias in ipairs(aliases) do
  if redis.call('EXISTS', alias) == 1 then return 0 end
end
if not redis.call('SET', P .. ':c:' .. A.member, '1', 'NX', 'PX', A.retentionMs) then return 0 end
if status then
  redis.call('DEL', rec)
  forget_done(A.member)
end
local now = now_ms()
redis.call('HSET', rec, 'route', A.route, 'key', A.key, 'id', A.id, 'hasId', A.hasId,
  'payload', A.payload, 'receivedAtMs', A.receivedAtMs, 'retentionMs', A.retentionMs,
  'attempt', 0, 'status', 'pending', 'lastError', '', 'hasError', '0', 'lease', '',
  'leaseUntil', 0, 'updatedAtMs', now, 'did', '')
for _, alias in ipairs(aliases) do redis.call('SET', alias, '1', 'PX', A.retentionMs) end
index_add('pending', A.member, A.receivedAtMs)
queue_set(A.member, now)
ring(A.member)
return 1`;

/**
 * Leases the first due event of a queue (all routes, or one). An event whose earlier
 * attempts all started and never reported back (their holders were lost) is buried
 * instead when \`maxAttempts\` is set.
 * → {1, expiresAtMs, HGETALL of the record} | {0, nextDueMs or -1, now, bell id}
 */
export const LEASE = `
local queue = P .. ':q'
if A.route ~= '' then queue = queue .. ':' .. A.route end
local max_attempts = tonumber(A.maxAttempts)
local now = now_ms()
for _ = 1, 32 do
  local first = redis.call('ZRANGE', queue, 0, 0, 'WITHSCORES')
  if not first[1] then return {0, -1, now, bell_id()} end
  local member, at = first[1], tonumber(first[2])
  if at > now then return {0, at, now, bell_id()} end
  local rec = record(member)
  local f = redis.call('HMGET', rec, 'status', 'attempt')
  local attempt = tonumber(f[2]) or 0
  if f[1] ~= 'pending' then
    queue_del(member)
  elseif max_attempts > 0 and attempt >= max_attempts then
    bury(member, 'attempt ' .. attempt .. ' never reported back (its worker was lost)', attempt,
      now)
  else
    local expires = now + tonumber(A.leaseMs)
    redis.call('HSET', rec, 'attempt', attempt + 1, 'lease', A.leaseId, 'leaseUntil', expires,
      'updatedAtMs', now)
    queue_set(member, expires)
    return {1, expires, redis.call('HGETALL', rec)}
  end
end
return {0, now, now, bell_id()}`;

/**
 * Ends a lease with its verdict (\`ok\`, \`retry\` or \`dead\`). A lease that ran out, or is
 * no longer the event's (taken over, redelivered), is \`lost\`: nothing changes, and the event
 * is handed out again.
 * → 'done' | 'retrying' | 'dead' | 'lost'
 */
export const SETTLE = `
local rec = record(A.member)
local f = redis.call('HMGET', rec, 'status', 'lease', 'attempt', 'retentionMs', 'receivedAtMs',
  'leaseUntil')
if f[1] ~= 'pending' or f[2] ~= A.leaseId then return 'lost' end
local now = now_ms()
if tonumber(f[6]) < now then return 'lost' end
if A.verdict == 'ok' then
  redis.call('HSET', rec, 'status', 'done', 'lastError', '', 'hasError', '0', 'lease', '',
    'leaseUntil', 0, 'updatedAtMs', now)
  redis.call('PEXPIRE', rec, f[4])
  queue_del(A.member)
  index_del('pending', A.member)
  prune_done(now)
  index_add('done', A.member, f[5])
  redis.call('ZADD', P .. ':done-expiry', now + tonumber(f[4]), A.member)
  return 'done'
end
local attempt = tonumber(f[3])
if A.verdict == 'dead' or attempt >= tonumber(A.maxAttempts) then
  bury(A.member, A.error, attempt, now)
  return 'dead'
end
redis.call('HSET', rec, 'lastError', A.error, 'hasError', '1', 'lease', '', 'leaseUntil', 0,
  'updatedAtMs', now)
queue_set(A.member, now + tonumber(A.delayMs))
return 'retrying'`;

/** Keeps a lease while its handler runs. → 1, or 0 when the lease is no longer the event's. */
export const EXTEND = `
local rec = record(A.member)
local f = redis.call('HMGET', rec, 'status', 'lease')
if f[1] ~= 'pending' or f[2] ~= A.leaseId then return 0 end
local expires = now_ms() + tonumber(A.leaseMs)
redis.call('HSET', rec, 'leaseUntil', expires)
queue_set(A.member, expires)
return 1`;

/**
 * Gives a lease back unsettled (its hand-off was stopped by a shutdown): the event is due
 * again at once and the stopped attempt does not count. → 1, or 0 when it was not ours.
 */
export const RELEASE = `
local rec = record(A.member)
local f = redis.call('HMGET', rec, 'status', 'lease', 'attempt')
if f[1] ~= 'pending' or f[2] ~= A.leaseId then return 0 end
local now = now_ms()
redis.call('HSET', rec, 'attempt', math.max(0, tonumber(f[3]) - 1), 'lease', '',
  'leaseUntil', 0, 'updatedAtMs', now)
queue_set(A.member, now)
ring(A.member)
return 1`;

/** Makes a done or dead event pending again, attempts starting over. → 1, 0 when unknown, 2 when pending. */
export const REDELIVER = `
local rec = record(A.member)
local f = redis.call('HMGET', rec, 'status', 'did', 'receivedAtMs')
if not f[1] then return 0 end
if f[1] == 'pending' then return 2 end
local now = now_ms()
redis.call('HSET', rec, 'status', 'pending', 'attempt', 0, 'lastError', '', 'hasError', '0',
  'lease', '', 'leaseUntil', 0, 'updatedAtMs', now, 'did', '')
redis.call('PERSIST', rec)
forget_done(A.member)
index_del('dead', A.member)
index_add('pending', A.member, f[3])
if f[2] and f[2] ~= '' then redis.call('XDEL', P .. ':dead-letters', f[2]) end
queue_set(A.member, now)
ring(A.member)
return 1`;

/**
 * Takes over what the previous layout left (an inbox stream with a consumer group, a retry
 * set, status indexes without per-route twins): its pending events join the queue, due at
 * once, and the indexes gain their per-route twins. Runs once, when that stream exists.
 * → how many pending events were taken over
 */
export const ADOPT = `
local inbox = P .. ':inbox'
if redis.call('TYPE', inbox)['ok'] ~= 'stream' then return 0 end
local now = now_ms()
local adopted = 0
for _, member in ipairs(redis.call('ZRANGE', P .. ':s:pending', 0, -1)) do
  local f = redis.call('HMGET', record(member), 'status', 'receivedAtMs')
  if f[1] == 'pending' then
    redis.call('HSET', record(member), 'lease', '', 'leaseUntil', 0)
    index_add('pending', member, f[2])
    queue_set(member, now)
    adopted = adopted + 1
  else
    redis.call('ZREM', P .. ':s:pending', member)
  end
end
for _, member in ipairs(redis.call('ZRANGE', P .. ':s:dead', 0, -1)) do
  local received_at = redis.call('HGET', record(member), 'receivedAtMs')
  if received_at then index_add('dead', member, received_at)
  else redis.call('ZREM', P .. ':s:dead', member) end
end
-- The done index was scored by expiry: that score moves to the expiry set.
local done = redis.call('ZRANGE', P .. ':s:done', 0, -1, 'WITHSCORES')
for i = 1, #done, 2 do
  local received_at = redis.call('HGET', record(done[i]), 'receivedAtMs')
  if received_at then
    redis.call('ZADD', P .. ':done-expiry', done[i + 1], done[i])
    index_add('done', done[i], received_at)
  else
    redis.call('ZREM', P .. ':s:done', done[i])
  end
end
redis.call('DEL', inbox, P .. ':retry')
if adopted > 0 then ring('') end
return adopted`;
