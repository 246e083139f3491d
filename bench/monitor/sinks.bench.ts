/**
 * What monitoring costs the hot path: `validate` on 10,000 logged-in sessions (memory store, the
 * quiet path: nothing to write) with every sink off, and with every sink on — Prometheus (which
 * times each validation), pino structured logs, the detector (with its throttle check in front of
 * validation) and the audit sink. Rounds alternate; each figure is CPU time per call, which is
 * steadier than wall-clock on a shared machine.
 *
 *   npx tsx --conditions=tessera-source bench/monitor/sinks.bench.ts          # BENCH_LOOP=200000 BENCH_ROUNDS=5
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { createKeyRing, createSessionManager, type SessionManager } from '@tessera-sessions/core';
import { createAuditLog, memoryAuditBackend } from '@tessera-sessions/core/audit-log';
import { auditSink, createDetector, logSink } from '@tessera-sessions/core/monitor';
import { prometheusSink } from '@tessera-sessions/core/monitor/prometheus';
import { memoryStore } from '@tessera-sessions/core/stores/memory';
import pino from 'pino';

const LOOP = Number(process.env.BENCH_LOOP ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SESSIONS = 10_000;
const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

async function setup(
  monitoring: boolean,
): Promise<{ manager: SessionManager; tokens: string[]; ips: string[] }> {
  const manager = createSessionManager({
    store: memoryStore(),
    keys: createKeyRing([{ id: 'b', key: randomBytes(32) }]),
    creationRateLimit: false,
    clock: { now: () => 1_800_000_000_000 },
  });
  if (monitoring) {
    const detector = createDetector(manager);
    prometheusSink(manager, { detector });
    logSink(manager, pino(createWriteStream('/dev/null')));
    auditSink(manager, createAuditLog({ backend: memoryAuditBackend() }));
  }
  const tokens: string[] = [];
  const ips: string[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const ip = `10.${(i >> 8) & 255}.${i & 255}.1`;
    tokens.push((await manager.login(null, `u${i}`, {}, { ip, userAgent: UA })).token);
    ips.push(ip);
  }
  return { manager, tokens, ips };
}

function cpuNsPerCall(m: { manager: SessionManager; tokens: string[]; ips: string[] }): Promise<number> {
  return (async () => {
    const start = process.cpuUsage();
    for (let i = 0; i < LOOP; i++) {
      const k = i % SESSIONS;
      const r = m.manager.validate(m.tokens[k], { ip: m.ips[k], userAgent: UA });
      if (i % 1000 === 0) await r;
    }
    const used = process.cpuUsage(start);
    return ((used.user + used.system) * 1000) / LOOP;
  })();
}

const off = await setup(false);
const on = await setup(true);
const results = { off: [] as number[], on: [] as number[] };
await cpuNsPerCall(off);
await cpuNsPerCall(on);
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, m] of (r % 2
    ? [
        ['on', on],
        ['off', off],
      ]
    : [
        ['off', off],
        ['on', on],
      ]) as Array<['on' | 'off', typeof on]>)
    results[name].push(await cpuNsPerCall(m));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const offNs = median(results.off);
const onNs = median(results.on);
console.log(`validate, ${LOOP} calls × ${ROUNDS} rounds, median CPU time per call`);
console.log(
  `  monitoring off: ${(offNs / 1000).toFixed(2)} µs  (${Math.round(1e9 / offNs).toLocaleString('en')} ops/CPU-s)`,
);
console.log(
  `  monitoring on:  ${(onNs / 1000).toFixed(2)} µs  (${Math.round(1e9 / onNs).toLocaleString('en')} ops/CPU-s)`,
);
console.log(
  `  cost of monitoring: +${((onNs - offNs) / 1000).toFixed(2)} µs per validation (×${(onNs / offNs).toFixed(2)})`,
);
