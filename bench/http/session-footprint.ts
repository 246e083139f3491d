/**
 * Heap bytes one live session costs in the memory store (realistic workload: Chrome UA, sealed
 * 3-item cart). Run: `node --expose-gc --import tsx --conditions=tessera-source bench/http/session-footprint.ts`.
 */
import { randomBytes } from 'node:crypto';
import { createKeyRing, createSessionManager } from '@tessera-sessions/core';
import { memoryStore } from '@tessera-sessions/core/stores/memory';
import { CART } from './servers/common.ts';

const UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const N = Number(process.env.N ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const manager = createSessionManager({
  store: memoryStore(),
  keys: createKeyRing([{ id: 'bench', key: randomBytes(32) }]),
  creationRateLimit: false,
  loginRateLimit: false,
  maxSessionsPerUser: Number.POSITIVE_INFINITY,
});
const settle = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage();
};
const before = settle();
for (let i = 0; i < N; i++) {
  // Each request brings its own copy of the User-Agent string, as node:http would.
  const ctx = { ip: `10.0.${(i >> 8) & 255}.${i & 255}`, userAgent: `${UA.slice(0, 10)}${UA.slice(10)}` };
  const { session } = await manager.login(null, `seed-${i}`, {}, ctx);
  await manager.setData(session, CART);
}
const after = settle();
const perSession = (k: 'heapUsed' | 'rss' | 'external') => ((after[k] - before[k]) / N).toFixed(0);
console.log(
  `${N} sessions: heap ${perSession('heapUsed')} B/session, external ${perSession('external')} B/session, rss ${perSession('rss')} B/session; total heap +${((after.heapUsed - before.heapUsed) / 2 ** 20).toFixed(1)} MiB`,
);
