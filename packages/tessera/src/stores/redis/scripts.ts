/**
 * The Lua scripts of the Redis store. Each touches only keys of ONE hash slot (a record and its
 * tombstone share the tag `{id}`; an index is one key), so every script runs atomically on a
 * single Redis and on Redis Cluster alike.
 *
 * Record hash fields: b = record JSON as last written in full, v = version, u = JSON of userId,
 * f = family, a = absoluteExpiresAt, ls / ie / ip = lastSeenAt / idleExpiresAt / JSON of lastIp
 * (a touch rewrites only these three; they override the values inside b), o = JSON of the
 * federated identity or '' (so a write or delete can name the federated index entries it made
 * stale; records written before this field existed have none, and are indexed from their next write).
 */
import { createHash } from 'node:crypto';

/** A Lua script and its SHA-1 (for EVALSHA). */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

function lua(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** KEYS: record. ARGV: b v u f a ls ie ip o expireAt. 1 if created, 0 if the id exists. */
export const CREATE = lua(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'b', ARGV[1], 'v', ARGV[2], 'u', ARGV[3], 'f', ARGV[4], 'a', ARGV[5],
  'ls', ARGV[6], 'ie', ARGV[7], 'ip', ARGV[8], 'o', ARGV[9])
redis.call('PEXPIREAT', KEYS[1], ARGV[10])
return 1
`);

/**
 * KEYS: record. ARGV: expectedVersion b v u f a ls ie ip o expireAt. Compare-and-set on version; on
 * success {previous u (JSON userId), previous o or nil}, nil if the record is gone or its version differs.
 */
export const UPDATE = lua(`
local cur = redis.call('HMGET', KEYS[1], 'v', 'u', 'o')
if not cur[1] or cur[1] ~= ARGV[1] then return false end
redis.call('HSET', KEYS[1], 'b', ARGV[2], 'v', ARGV[3], 'u', ARGV[4], 'f', ARGV[5], 'a', ARGV[6],
  'ls', ARGV[7], 'ie', ARGV[8], 'ip', ARGV[9], 'o', ARGV[10])
redis.call('PEXPIREAT', KEYS[1], ARGV[11])
return { cur[2], cur[3] }
`);

/** KEYS: record. ARGV: ls ie ip graceMs. Never creates; the TTL follows the nearer deadline. */
export const TOUCH = lua(`
local a = redis.call('HGET', KEYS[1], 'a')
if not a then return 0 end
redis.call('HSET', KEYS[1], 'ls', ARGV[1], 'ie', ARGV[2], 'ip', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', math.min(tonumber(a), tonumber(ARGV[2])) + tonumber(ARGV[4])))
return 1
`);

/**
 * KEYS: record, tombstone. ARGV: tombstone JSON, its expireAt. Returns {deleted 0|1, u, o, v}
 * (the deleted record's fields, nil when there was none).
 */
export const DELETE = lua(`
redis.call('SET', KEYS[2], ARGV[1])
redis.call('PEXPIREAT', KEYS[2], ARGV[2])
local h = redis.call('HMGET', KEYS[1], 'u', 'o', 'v')
return { redis.call('DEL', KEYS[1]), h[1], h[2], h[3] }
`);

/**
 * KEYS: old record, its tombstone. ARGV: expectedVersion, tombstone JSON, its expireAt. Deletes the
 * old record and writes its tombstone iff the version matches: {1, old o or nil}, else {0}
 * (nothing changed).
 */
export const ROTATE_OUT = lua(`
local h = redis.call('HMGET', KEYS[1], 'v', 'o')
if not h[1] or h[1] ~= ARGV[1] then return { 0 } end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('PEXPIREAT', KEYS[2], ARGV[3])
return { 1, h[2] }
`);

/**
 * KEYS: record, tombstone. ARGV: field (u or f), expected value, id, reason, createdAt, keepUntil,
 * extendMs, graceMs. Deletes the record iff its field still has the expected value, writing the
 * tombstone made by the TombstoneTemplate formula. {1, o, v} deleted (the record's o and version),
 * {0} no record, {-1} belongs elsewhere now.
 */
export const DELETE_IF = lua(`
local h = redis.call('HMGET', KEYS[1], ARGV[1], 'u', 'f', 'a', 'o', 'v')
if not h[1] then return { 0 } end
if h[1] ~= ARGV[2] then return { -1 } end
local expires = math.max(tonumber(h[4]), tonumber(ARGV[6])) + tonumber(ARGV[7])
local e = string.format('%.0f', expires)
local t = '{"id":' .. cjson.encode(ARGV[3]) .. ',"family":' .. cjson.encode(h[3]) .. ',"userId":' .. h[2] ..
  ',"reason":' .. cjson.encode(ARGV[4]) .. ',"successorId":null,"createdAt":' .. ARGV[5] .. ',"expiresAt":' .. e .. '}'
redis.call('SET', KEYS[2], t)
redis.call('PEXPIREAT', KEYS[2], string.format('%.0f', expires + tonumber(ARGV[8])))
redis.call('DEL', KEYS[1])
return { 1, h[5], h[6] }
`);

/**
 * KEYS: index (sorted set). ARGV: score (the member's expiry), member. Adds the member; the index
 * key itself expires with its longest-lived member.
 */
export const INDEX_ADD = lua(`
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PEXPIRETIME', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) end
return 1
`);
