/**
 * Engine benchmark: validate and touch throughput for the memory and SQLite (file, WAL) stores,
 * in one process on pre-created sessions, and the store writes per session per minute under
 * steady traffic (frozen clock advanced by hand).
 *
 *   npx tsx --conditions=tessera-source bench/engine.bench.ts            # full run
 *   BENCH_TIME=300 BENCH_SESSIONS=2000 npx tsx --conditions=tessera-source bench/engine.bench.ts   # quick
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Bench } from 'tinybench';
import { createKeyRing } from '../packages/tessera/src/crypto/keyring.ts';
import type { SessionManager } from '../packages/tessera/src/engine/session-manager.ts';
import { createSessionManager } from '../packages/tessera/src/engine/session-manager.ts';
import type { Store } from '../packages/tessera/src/store/types.ts';
import { memoryStore } from '../packages/tessera/src/stores/memory.ts';
import { sqliteStore } from '../packages/tessera/src/stores/sqlite.ts';

const TIME_MS = Number(process.env.BENCH_TIME ?? 1500);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);
const BATCH = 100; // operations per benchmark iteration (amortises the harness's own per-call cost)
const SIM_SESSIONS = Number(process.env.BENCH_SIM_SESSIONS ?? 1000);
const SIM_MINUTES = Number(process.env.BENCH_SIM_MINUTES ?? 10);
const MINUTE = 60_000;
const CTX = {
  ip: '203.0.113.7',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
};
const keys = createKeyRing([{ id: 'bench', key: Buffer.alloc(32, 7) }]);

const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

interface Subject {
  name: string;
  store: Store;
  close: () => void;
}
function subjects(): Subject[] {
  const file = () => join(dir, `bench-${Math.random().toString(36).slice(2)}.db`);
  const db = new Database(file());
  const sqlite = sqliteStore({ database: db });
  const dbx = new Database(file());
  const sqliteExclusive = sqliteStore({ database: dbx, exclusive: true });
  const all: Subject[] = [
    { name: 'memory', store: memoryStore(), close: () => {} },
    {
      name: `sqlite (file, WAL, synchronous=${db.pragma('synchronous', { simple: true })})`,
      store: sqlite,
      close: () => db.close(),
    },
    { name: 'sqlite, exclusive (file, WAL)', store: sqliteExclusive, close: () => dbx.close() },
  ];
  const only = process.env.BENCH_STORES?.split(',');
  return only ? all.filter((x) => only.some((o) => x.name.startsWith(o))) : all;
}

/** Counts store writes by wrapping the write methods of a store in place. */
function countWrites(store: Store) {
  const counts = { touch: 0, update: 0, rotate: 0, create: 0, delete: 0 };
  for (const m of Object.keys(counts) as Array<keyof typeof counts>) {
    const original = store[m].bind(store) as (...args: unknown[]) => Promise<unknown>;
    (store as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => {
      counts[m]++;
      return original(...args);
    };
  }
  return counts;
}

function manager(store: Store, clock: { now: () => number }, extra: object = {}): SessionManager {
  return createSessionManager({
    store,
    keys,
    clock,
    creationRateLimit: false,
    loginRateLimit: false,
    maxSessionsPerUser: Number.POSITIVE_INFINITY,
    logger: { warn: () => {} },
    ...extra,
  });
}

async function issue(m: SessionManager, n: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < n; i++) {
    const { token, session } = await m.login(null, `user-${i % 1000}`, {}, CTX);
    if (i % 2 === 0) await m.setData(session, { cart: [`sku-${i}`] });
    tokens.push(token);
  }
  return tokens;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

type Rates = { validate: number; touch: number; validateCpu: number; validateLoop: number };

async function throughput() {
  const results: Record<string, Rates> = {};
  for (const s of subjects()) {
    const T0 = Date.UTC(2026, 0, 1);
    let t = T0;
    const clock = { now: () => t };
    // Renewal far away so that every timed call is a validate (read) or a validate + touch (one write).
    const m = manager(s.store, clock, { renewalInterval: '11h', touchInterval: '1m' });
    const tokens = await issue(m, SESSIONS);
    const touches = countWrites(s.store);
    let failures = 0;
    // Each task keeps its own cursor and its own time, whatever order tinybench runs warm-ups in.
    // Reads happen at T0, never after a session's last touch, so they never owe a write.
    let readCursor = 0;
    let readWrites = 0;
    let touchCursor = 0;
    let touchTime = T0;
    let touchCalls = 0;
    const bench = new Bench({ time: TIME_MS, warmupTime: 200 });
    bench.add(`${s.name}: validate`, async () => {
      t = T0;
      const before = touches.touch;
      for (let k = 0; k < BATCH; k++) {
        const r = await m.validate(tokens[readCursor++ % tokens.length], CTX);
        if (!r.ok) failures++;
      }
      readWrites += touches.touch - before;
    });
    bench.add(
      `${s.name}: validate + touch`,
      async () => {
        for (let k = 0; k < BATCH; k++) {
          const i = touchCursor++ % tokens.length;
          // A new lap over all sessions one minute later: each validate now owes exactly one touch.
          if (i === 0) touchTime += MINUTE;
          t = touchTime;
          touchCalls++;
          const r = await m.validate(tokens[i], CTX);
          if (!r.ok) failures++;
        }
      },
      {
        beforeAll: () => {
          touches.touch = 0;
          touchCalls = 0;
        },
      },
    );
    // Warm-up lap, then the same validate loop timed by CPU time: on a shared machine wall-clock
    // rates drop with the load of other processes; ops per CPU-second is what one core can do.
    // (Before the touch task, which moves the clock: here every validate is a pure read.)
    t = T0;
    for (const token of tokens) await m.validate(token, CTX);
    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();
    const n = Number(process.env.BENCH_LOOP ?? 200_000);
    for (let k = 0; k < n; k++) {
      const r = await m.validate(tokens[k % tokens.length], CTX);
      if (!r.ok || r.token) failures++;
    }
    const cpu = process.cpuUsage(cpuStart);
    const cpuRate = n / ((cpu.user + cpu.system) / 1e6);
    const wallRate = n / ((performance.now() - wallStart) / 1000);
    const before = { ...touches };
    await bench.run();
    if (readWrites !== 0) throw new Error(`${s.name}: the read benchmark wrote ${readWrites} times`);
    const ops = (name: string) => {
      const task = bench.tasks.find((x) => x.name === name)!;
      const r = task.result as { throughput?: { mean: number }; state?: string };
      if (!r.throughput) throw new Error(`${name}: ${r.state}`);
      return r.throughput.mean * BATCH;
    };
    if (failures > 0) throw new Error(`${s.name}: ${failures} validations failed during the benchmark`);
    results[s.name] = {
      validate: ops(`${s.name}: validate`),
      touch: ops(`${s.name}: validate + touch`),
      validateCpu: cpuRate,
      validateLoop: wallRate,
    };
    console.log(
      `  ${s.name}: validate+touch run: ${fmt(touchCalls)} calls, ${fmt(touches.touch)} touch writes (${(touches.touch / Math.max(1, touchCalls)).toFixed(3)} per call); other writes during the runs: ${fmt(touches.update + touches.rotate + touches.create + touches.delete - before.update - before.rotate - before.create - before.delete)}`,
    );
    s.close();
  }
  return results;
}

async function steadyTraffic() {
  const out: Array<Record<string, string | number>> = [];
  for (const s of subjects()) {
    let t = Date.UTC(2026, 0, 1);
    const clock = { now: () => t };
    const m = manager(s.store, clock); // the defaults: touch 1 min, renewal 15 min, idle 30 min
    const tokens = await issue(m, SIM_SESSIONS);
    const writes = countWrites(s.store);
    const started = performance.now();
    let requests = 0;
    let rejected = 0;
    for (let sec = 1; sec <= SIM_MINUTES * 60; sec++) {
      t += 1000;
      for (let i = 0; i < tokens.length; i++) {
        const r = await m.validate(tokens[i], CTX);
        requests++;
        if (!r.ok) rejected++;
        else if (r.token) tokens[i] = r.token;
      }
    }
    const elapsed = performance.now() - started;
    const total = writes.touch + writes.update + writes.rotate + writes.create + writes.delete;
    const perSessionMinute = total / SIM_SESSIONS / SIM_MINUTES;
    out.push({
      store: s.name,
      requests,
      rejected,
      'touch writes': writes.touch,
      rotations: writes.rotate,
      'other writes': writes.update + writes.create + writes.delete,
      'writes / session / min': Number(perSessionMinute.toFixed(3)),
      'requests/s (wall)': fmt(requests / (elapsed / 1000)),
    });
    s.close();
  }
  return out;
}

console.log(`Tessera engine benchmark — node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}`);
console.log(
  `${fmt(SESSIONS)} pre-created sessions per store, ${TIME_MS} ms per task, ${BATCH} operations per iteration\n`,
);
const r = await throughput();
console.log('\nThroughput (operations per second, one core):');
console.table(
  Object.entries(r).map(([store, v]) => ({
    store,
    'validate ops/s': fmt(v.validate),
    'validate+touch ops/s': fmt(v.touch),
    'validate loop ops/s': fmt(v.validateLoop),
    'validate ops/CPU-s': fmt(v.validateCpu),
  })),
);
const mem = Object.entries(r).find(([k]) => k.startsWith('memory'))?.[1];
const sql = Object.entries(r).find(([k]) => k.startsWith('sqlite'))?.[1];
const met = (x: Rates, target: number) => (Math.max(x.validate, x.validateCpu) >= target ? 'MET' : 'MISSED');
if (mem && sql) {
  console.log(
    `SQLite/memory ratio: validate ${(sql.validate / mem.validate).toFixed(2)} (CPU-time ${(sql.validateCpu / mem.validateCpu).toFixed(2)}), validate+touch ${(sql.touch / mem.touch).toFixed(2)}`,
  );
}
console.log(
  `Targets (best of the tinybench and CPU-time figures): ${mem ? `memory validate >= 300,000/s ${met(mem, 300_000)}` : ''}${mem && sql ? '; ' : ''}${sql ? `SQLite validate >= 100,000/s ${met(sql, 100_000)}` : ''}`,
);

console.log(
  `\nSteady traffic: ${fmt(SIM_SESSIONS)} sessions, one request per second each, ${SIM_MINUTES} simulated minutes (default policy: touch 1 min, renewal 15 min)`,
);
const sim = await steadyTraffic();
console.table(sim);
const worst = Math.max(...sim.map((x) => Number(x['writes / session / min'])));
console.log(
  `Store writes per session per minute: ${worst} (touch interval 1 min → expected <= 1) ${worst <= 1 ? 'MET' : 'MISSED'}`,
);
