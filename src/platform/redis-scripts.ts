// The Lua scripts behind RedisKeyValue (cache.ts): several commands in one round trip, atomic per call.
import type { Redis } from 'ioredis';

// INCRBY each key, setting its TTL when it has none (it was just created); returns value and remaining
// TTL per key. ARGV: the TTLs, then the increments, in the keys' order.
const INCR_SCRIPT = `
local out = {}
local n = #KEYS
for i, k in ipairs(KEYS) do
  local v = redis.call('INCRBY', k, ARGV[n + i])
  local ttl = redis.call('PTTL', k)
  if ttl < 0 then
    redis.call('PEXPIRE', k, ARGV[i])
    ttl = tonumber(ARGV[i])
  end
  out[#out + 1] = v
  out[#out + 1] = ttl
end
return out
`;

// Token bucket on the server's clock: [tokens, last-refill-ms] in a hash, expiring once full again.
const BUCKET_SCRIPT = `
local cap = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = cap
if v[1] then tokens = math.min(cap, tonumber(v[1]) + (now - tonumber(v[2])) * per) end
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.max(1000, math.ceil((cap - tokens) / per)))
local retry = 0
if allowed == 0 then retry = math.ceil((1 - tokens) / per) end
return {allowed, math.floor(tokens), retry}
`;

// listPushMany in one command (a fan-out page: three commands per list were ~150 per post, each
// parsed and answered on its own). A value already among a list's newest `head` entries is not
// pushed again there: a bounded LPOS, where an LREM per list scanned the whole list (up to the cap,
// ~1 ms of Redis per post at 50 followers); a head of 0 looks nowhere. ARGV: the cap, the head, then
// the values in LPUSH order.
const PUSH_MANY_SCRIPT = `
local cap = tonumber(ARGV[1])
local head = tonumber(ARGV[2])
for _, k in ipairs(KEYS) do
  local fresh = {}
  for j = 3, #ARGV do
    if head == 0 or not redis.call('LPOS', k, ARGV[j], 'MAXLEN', head) then fresh[#fresh + 1] = ARGV[j] end
  end
  if #fresh > 0 and redis.call('LPUSH', k, unpack(fresh)) > cap then
    redis.call('LTRIM', k, 0, cap - 1)
  end
end
return #KEYS
`;

// hashSetMany: HSET and PEXPIRE on every key in one command, each key's pair atomic as hashSet's MULTI
// is (a presence refresh for every socket of a gateway was a MULTI per user). ARGV: field, value, ttl ms.
const HASH_SET_MANY_SCRIPT = `
for _, k in ipairs(KEYS) do
  redis.call('HSET', k, ARGV[1], ARGV[2])
  redis.call('PEXPIRE', k, ARGV[3])
end
return #KEYS
`;

// listRangeAround: LPOS finds the value inside Redis, so only the window crosses the wire.
// ARGV: the value, places before it, places after it. Returns {start, length, values} or nil.
const RANGE_AROUND_SCRIPT = `
local at = redis.call('LPOS', KEYS[1], ARGV[1])
if not at then return false end
local start = math.max(0, at - tonumber(ARGV[2]))
return {start, redis.call('LLEN', KEYS[1]), redis.call('LRANGE', KEYS[1], start, at + tonumber(ARGV[3]))}
`;

/** The Lua scripts as ioredis commands: EVALSHA (the body is sent only once, on NOSCRIPT). */
export interface ScriptCommands {
  slRangeAround(numKeys: number, ...args: string[]): Promise<[number, number, string[]] | null>;
  slIncrMany(numKeys: number, ...args: string[]): Promise<number[]>;
  slPushMany(numKeys: number, ...args: string[]): Promise<number>;
  slHashSetMany(numKeys: number, ...args: string[]): Promise<number>;
  slTakeToken(numKeys: number, ...args: string[]): Promise<number[]>;
}

/** Registers the scripts on a connection (idempotent) and returns it typed with their commands. */
export function withScripts(redis: Redis): ScriptCommands {
  redis.defineCommand('slIncrMany', { lua: INCR_SCRIPT });
  redis.defineCommand('slTakeToken', { lua: BUCKET_SCRIPT });
  redis.defineCommand('slPushMany', { lua: PUSH_MANY_SCRIPT });
  redis.defineCommand('slRangeAround', { lua: RANGE_AROUND_SCRIPT });
  redis.defineCommand('slHashSetMany', { lua: HASH_SET_MANY_SCRIPT });
  return redis as unknown as ScriptCommands;
}
