import type { Cluster, Redis } from 'ioredis';
import { integerOption, rejectUnknownKeys } from '../config-check.ts';
import type { AuditBackend, AuditCheckpoint, AuditEntry, AuditHead } from './types.ts';

/** Options of {@link redisAuditBackend}. */
export interface RedisAuditBackendOptions {
  /** A connected ioredis client (`Redis` or `Cluster`); the caller owns it. */
  client: Redis | Cluster;
  /** Key prefix (default `tessera:`). */
  prefix?: string;
  /** Log name, so one Redis can hold several independent chains (default `sessions`). */
  log?: string;
  /** Attempts of one append when other writers keep winning the race (default 200). */
  maxAttempts?: number;
}

// Compare-and-append: the entries are appended only if the head is still the one they were built on.
const APPEND = `
local head = redis.call('GET', KEYS[2]) or ''
if head ~= ARGV[1] then return 0 end
for i = 3, #ARGV, 2 do redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('SET', KEYS[2], ARGV[2])
return 1`;
const PRUNE = `
redis.call('SET', KEYS[3], ARGV[2])
return redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])`;

/**
 * The audit log in Redis (or Valkey, or a Redis Cluster: the log's keys share one hash tag, so one
 * slot). Entries live in a sorted set scored by sequence number; the head is its own key. An
 * append builds its entries on the head it read and lands through a script only if the head is
 * still that one — otherwise it reads again and retries — so writers on many servers never fork
 * the chain and never lose an entry. Use AOF (`appendfsync everysec` or `always`) if the audit
 * trail must survive a Redis crash.
 *
 * @example
 * const backend = redisAuditBackend({ client: new Redis(process.env.REDIS_URL) });
 */
export function redisAuditBackend(options: RedisAuditBackendOptions): AuditBackend {
  rejectUnknownKeys(options, ['client', 'prefix', 'log', 'maxAttempts'], 'redisAuditBackend');
  const { client } = options;
  const tag = `{${options.prefix ?? 'tessera:'}audit:${options.log ?? 'sessions'}}`;
  const keys = { entries: `${tag}:entries`, head: `${tag}:head`, checkpoint: `${tag}:checkpoint` };
  const maxAttempts = integerOption(options.maxAttempts ?? 200, 'redisAuditBackend.maxAttempts', 1);
  const headOf = (text: string | null): AuditHead | null => {
    if (!text) return null;
    const [seq, hash] = text.split(' ');
    return { seq: Number(seq), hash: hash! };
  };
  return {
    async append(build) {
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        const headText = (await client.get(keys.head)) ?? '';
        const entries = build(headOf(headText));
        if (entries.length === 0) return entries;
        const last = entries[entries.length - 1]!;
        const args: Array<string | number> = [headText, `${last.seq} ${last.hash}`];
        for (const e of entries) args.push(e.seq, JSON.stringify([e.at, e.kind, e.body, e.prevHash, e.hash]));
        const ok = await client.eval(APPEND, 2, keys.entries, keys.head, ...args);
        if (ok === 1) return entries;
        // Lost the race: back off a little (more with each loss) so the winners can finish.
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 + attempt * 2)));
      }
      throw new Error(`audit append lost the race ${maxAttempts} times in a row`);
    },
    async read(fromSeq, limit) {
      const flat = await client.zrangebyscore(keys.entries, fromSeq, '+inf', 'WITHSCORES', 'LIMIT', 0, limit);
      const out: AuditEntry[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const [at, kind, body, prevHash, hash] = JSON.parse(flat[i]!) as [
          number,
          string,
          string,
          string,
          string,
        ];
        out.push({ seq: Number(flat[i + 1]), at, kind, body, prevHash, hash });
      }
      return out;
    },
    async checkpoint() {
      const text = await client.get(keys.checkpoint);
      return text ? (JSON.parse(text) as AuditCheckpoint) : null;
    },
    async prune(cp) {
      return Number(
        await client.eval(PRUNE, 3, keys.entries, keys.head, keys.checkpoint, cp.seq, JSON.stringify(cp)),
      );
    },
  };
}
