/**
 * Profiles one bench server under load: starts it with `node --cpu-prof` (pinned to core 0), logs
 * in, drives `GET /me` with wrk on core 1, stops it and prints where the CPU time went — self time
 * by function, and inclusive time of Tessera's own functions.
 *
 *   npx tsx bench/http/profile.ts node-tessera.ts [--store memory|sqlite] [--duration 5] [--top 30]
 *
 * It profiles the built package (`packages/tessera/dist`, what users install: run `npm run build`
 * first); `BENCH_SOURCE=1` profiles the TypeScript sources through tsx instead, which adds tsx's
 * own helpers (`__name` on every closure) to the picture.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const file = process.argv[2];
if (!file) throw new Error('usage: profile.ts <server file in bench/http/servers> [--store memory|sqlite]');
const opt = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 ? process.argv[i + 1]! : fallback;
};
const UA = 'Mozilla/5.0 (X11; Linux x86_64) tessera-bench';
const dir = mkdtempSync(join(tmpdir(), 'tessera-prof-'));

const server = spawn(
  'taskset',
  [
    '-c',
    '0',
    process.execPath,
    '--cpu-prof',
    '--cpu-prof-dir',
    dir,
    '--import',
    'tsx',
    ...(process.env.BENCH_SOURCE === '1' ? ['--conditions=tessera-source'] : []),
    join(here, 'servers', file),
  ],
  {
    env: { ...process.env, NODE_ENV: 'production', STORE: opt('store', 'memory') },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const first = await new Promise<string>((resolve) =>
  createInterface({ input: server.stdout! }).once('line', resolve),
);
const { port } = JSON.parse(first) as { port: number };
const base = `http://127.0.0.1:${port}`;
const login = await fetch(`${base}/bench-login`, { headers: { 'user-agent': UA } });
const cookie = login.headers
  .getSetCookie()
  .map((c) => c.split(';')[0])
  .join('; ');
// CLOCK_MONOTONIC in µs, the clock V8 stamps profile samples with: keep only samples under load.
const loadStart = Number(process.hrtime.bigint() / 1000n);
await new Promise<void>((resolve, reject) => {
  const w = spawn(
    'taskset',
    [
      '-c',
      '1',
      'wrk',
      '-t1',
      '-c32',
      `-d${opt('duration', '5')}s`,
      '-H',
      `User-Agent: ${UA}`,
      '-H',
      `Cookie: ${cookie}`,
      `${base}/me`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`wrk exited ${code}`))));
});
const exited = new Promise((r) => server.once('exit', r));
server.kill('SIGTERM');
await exited;

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
const profFile = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!profFile) throw new Error(`no profile written in ${dir}`);
const prof = JSON.parse(readFileSync(join(dir, profFile), 'utf8')) as {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
};
// Count only samples taken while wrk ran (start-up and module loading are not the request path).
const hits = new Map<number, number>();
let t = prof.startTime;
let total = 0;
let idle = 0;
const idleIds = new Set(prof.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
prof.samples.forEach((id, i) => {
  t += prof.timeDeltas[i] ?? 0;
  if (t < loadStart) return;
  if (idleIds.has(id)) {
    idle++;
    return;
  }
  total++;
  hits.set(id, (hits.get(id) ?? 0) + 1);
});
for (const n of prof.nodes) n.hitCount = hits.get(n.id) ?? 0;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const label = (n: Node) => {
  const url = n.callFrame.url.replace('file://', '');
  const where = url ? relative(root, url) : '(native)';
  return `${n.callFrame.functionName || '(anonymous)'}  ${where}:${n.callFrame.lineNumber + 1}`;
};
const self = new Map<string, number>();
for (const n of prof.nodes) self.set(label(n), (self.get(label(n)) ?? 0) + (n.hitCount ?? 0));

// Inclusive time: walk the tree, counting each label once per path (recursion-safe).
const inclusive = new Map<string, number>();
function walk(n: Node, onPath: Set<string>): number {
  let hits = n.hitCount ?? 0;
  const l = label(n);
  const fresh = !onPath.has(l);
  if (fresh) onPath.add(l);
  for (const c of n.children ?? []) hits += walk(byId.get(c)!, onPath);
  if (fresh) {
    onPath.delete(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + hits);
  }
  return hits;
}
walk(prof.nodes[0]!, new Set());

const pct = (h: number) => `${((h / total) * 100).toFixed(1).padStart(5)}%`;
const top = Number(opt('top', '30'));
console.log(
  `\n${file} (STORE=${opt('store', 'memory')}): ${total} busy samples under load (${idle} idle left out), ` +
    `percentages of busy time; profile in ${dir}\n\nself time:`,
);
for (const [l, h] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(h)}  ${l}`);
console.log('\ninclusive time, Tessera and adapter code:');
for (const [l, h] of [...inclusive]
  .filter(([l]) => /packages\/tessera\/(src|dist)\//.test(l) || l.includes('bench/http'))
  .sort((a, b) => b[1] - a[1])
  .slice(0, top))
  console.log(`  ${pct(h)}  ${l}`);
