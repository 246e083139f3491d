/**
 * HTTP benchmark: authenticated `GET /me` under load, one process per variant, all variants in
 * the same run, several interleaved rounds, for two workloads:
 *
 * - realistic (the default table): a browser User-Agent on every request, a 3-item cart sealed in
 *   the session, 50 connections, and 10,000 other logged-in sessions (with carts) live in the
 *   store, so the peak RSS column says what sessions cost in memory;
 * - light (rows marked `[light]`): a short bench User-Agent, no session data, 32 connections,
 *   no other sessions — the workload of the first HTTP sessions, kept for comparison.
 *
 * Each server runs pinned to core 0 (`taskset -c 0`), wrk runs with one thread pinned to core 1,
 * so the server owns one core and the load generator the other. Per round and variant: start the
 * server, log in through its bench-only `GET /bench-login`, warm up, measure, stop. The table shows
 * the median requests/s and p99 over rounds and the ratio to the bare framework; a round is flagged
 * when the server process got less than 90 % of its core (CPU time from /proc/<pid>/stat against
 * wall time), when wrk saw errors or non-2xx answers, or when other processes loaded core 0.
 *
 * The servers import the built package (`packages/tessera/dist`, what users install; the runner
 * builds it first unless `--no-build`); `BENCH_SOURCE=1` runs the TypeScript sources through tsx
 * instead (tsx adds its own helpers, e.g. `__name` on every closure, so that measures more than ships).
 *
 *   npx tsx bench/http/run.ts [--rounds 5] [--duration 5] [--warmup 2]
 *       [--workload realistic|light|both] [--sessions 10000] [--connections N (both workloads)]
 *       [--only <regex>] [--json <file>]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

type Group = 'express' | 'fastify' | 'node:http';

interface Variant {
  name: string;
  group: Group;
  file: string;
  env?: Record<string, string>;
  /** Whether the server needs a session cookie (from /bench-login). */
  session: boolean;
  /** Reference target: minimum share of the bare framework's throughput. */
  target?: number;
  /** Needs the shared Redis server (REDIS_URL), started once for the run. */
  redis?: boolean;
  /** A bare server doing part of a session check's framework-level work: compared to, never the baseline. */
  floor?: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));
const servers = join(here, 'servers');

const VARIANTS: Variant[] = [
  { name: 'express (bare)', group: 'express', file: 'express-bare.ts', session: false },
  {
    name: 'express (floor: two layers)',
    group: 'express',
    file: 'express-floor.ts',
    session: false,
    floor: true,
  },
  {
    name: 'express + tessera (memory)',
    group: 'express',
    file: 'express-tessera.ts',
    env: { STORE: 'memory' },
    session: true,
    target: 0.9,
  },
  {
    name: 'express + tessera (sqlite)',
    group: 'express',
    file: 'express-tessera.ts',
    env: { STORE: 'sqlite' },
    session: true,
    target: 0.75,
  },
  {
    name: 'express + tessera (sqlite, exclusive)',
    group: 'express',
    file: 'express-tessera.ts',
    env: { STORE: 'sqlite-exclusive' },
    session: true,
    target: 0.75,
  },
  { name: 'express + express-session', group: 'express', file: 'express-session.mjs', session: true },
  { name: 'fastify (bare)', group: 'fastify', file: 'fastify-bare.ts', session: false },
  {
    name: 'fastify + tessera (memory)',
    group: 'fastify',
    file: 'fastify-tessera.ts',
    env: { STORE: 'memory' },
    session: true,
    target: 0.9,
  },
  {
    name: 'fastify + tessera (sqlite)',
    group: 'fastify',
    file: 'fastify-tessera.ts',
    env: { STORE: 'sqlite' },
    session: true,
    target: 0.75,
  },
  {
    name: 'fastify + tessera (sqlite, exclusive)',
    group: 'fastify',
    file: 'fastify-tessera.ts',
    env: { STORE: 'sqlite-exclusive' },
    session: true,
    target: 0.75,
  },
  { name: 'fastify + @fastify/session', group: 'fastify', file: 'fastify-session.mjs', session: true },
  // Shared-store comparison: every session server on one Redis server (issue 10). The workload
  // (cart, User-Agent, seeded sessions) is the same as for every other variant.
  ...(['express', 'fastify'] as const).flatMap((g): Variant[] => [
    {
      name: `${g} + tessera (redis)`,
      group: g,
      file: `${g}-tessera.ts`,
      env: { STORE: 'redis' },
      session: true,
      redis: true,
    },
    {
      name: `${g} + tessera (redis + near-cache)`,
      group: g,
      file: `${g}-tessera.ts`,
      env: { STORE: 'redis-near' },
      session: true,
      redis: true,
    },
    {
      name:
        g === 'express'
          ? 'express + express-session + connect-redis'
          : 'fastify + @fastify/session + connect-redis',
      group: g,
      file: `${g}-session.mjs`,
      env: { SESSION_STORE: 'redis' },
      session: true,
      redis: true,
    },
  ]),
  { name: 'node:http (bare)', group: 'node:http', file: 'node-bare.ts', session: false },
  // What a session check implies at the framework level, without Tessera (see node-floor.ts).
  ...['headers', 'headers,nostore', 'headers,nostore,hash,async'].map(
    (floor): Variant => ({
      name: `node:http (floor: ${floor.replaceAll(',', '+')})`,
      group: 'node:http',
      file: 'node-floor.ts',
      env: { FLOOR: floor },
      session: false,
      floor: true,
    }),
  ),
  {
    name: 'node:http + tessera (memory)',
    group: 'node:http',
    file: 'node-tessera.ts',
    env: { STORE: 'memory' },
    session: true,
    target: 0.85,
  },
  {
    name: 'node:http + tessera (memory, monitoring on)',
    group: 'node:http',
    file: 'node-tessera.ts',
    env: { STORE: 'memory', MONITOR: '1' },
    session: true,
    target: 0.85,
  },
  {
    name: 'node:http + tessera (sqlite)',
    group: 'node:http',
    file: 'node-tessera.ts',
    env: { STORE: 'sqlite' },
    session: true,
    target: 0.75,
  },
  {
    name: 'node:http + tessera (sqlite, exclusive)',
    group: 'node:http',
    file: 'node-tessera.ts',
    env: { STORE: 'sqlite-exclusive' },
    session: true,
    target: 0.75,
  },
];

type Workload = 'realistic' | 'light';

/** What each workload sends: User-Agent, connections, whether the login stores a cart, sessions seeded. */
interface WorkloadSpec {
  ua: string;
  connections: number;
  cart: boolean;
  seed: number;
  suffix: string;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const ROUNDS = Number(arg('rounds', '5'));
const DURATION = Number(arg('duration', '5'));
const WARMUP = Number(arg('warmup', '2'));
const CONNECTIONS = arg('connections', '');
const WORKLOADS: Workload[] =
  arg('workload', 'both') === 'both' ? ['realistic', 'light'] : [arg('workload', 'both') as Workload];
const SPECS: Record<Workload, WorkloadSpec> = {
  realistic: {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    connections: Number(CONNECTIONS || 50),
    cart: true,
    seed: Number(arg('sessions', '10000')),
    suffix: '',
  },
  light: {
    ua: 'Mozilla/5.0 (X11; Linux x86_64) tessera-bench',
    connections: Number(CONNECTIONS || 32),
    cart: false,
    seed: 0,
    suffix: ' [light]',
  },
};
const ONLY = new RegExp(arg('only', '.'));
const JSON_OUT = arg('json', '');
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface Round {
  rps: number;
  /** Server CPU time per request, in microseconds (robust to a shared core; lower is better). */
  cpuUs: number;
  p99Ms: number;
  /** CPU seconds the server used per wall second while measured (1.0 = a whole core). */
  cpuShare: number;
  /** Core 0 busy time not spent by the server, per wall second. */
  foreignLoad: number;
  /** The server's peak resident set (VmHWM) at the end of the round, in MiB. */
  peakRssMiB: number;
  errors: string[];
}

/** Busy clock ticks of each CPU from /proc/stat. */
function cpuBusy(): number[] {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((l) => /^cpu\d+ /.test(l))
    .map((l) => {
      const f = l.trim().split(/\s+/).slice(1).map(Number);
      // user nice system idle iowait irq softirq steal
      return f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!;
    });
}

/** utime + stime of a process (all its threads), in clock ticks. */
function processTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Peak resident set size of a process (VmHWM), in MiB. */
function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

interface Started {
  child: ChildProcess;
  port: number;
  pid: number;
  /** The last lines the server wrote to stderr (for error messages). */
  stderr(): string;
}

async function startServer(v: Variant): Promise<Started> {
  const file = join(servers, v.file);
  const nodeArgs = v.file.endsWith('.ts')
    ? ['--import', 'tsx', ...(process.env.BENCH_SOURCE === '1' ? ['--conditions=tessera-source'] : []), file]
    : [file];
  const child = spawn('taskset', ['-c', '0', process.execPath, ...nodeArgs], {
    env: { ...process.env, NODE_ENV: 'production', ...v.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const stderr = () =>
    err
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /Error|error/.test(l))
      .slice(0, 2)
      .join(' / ');
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${stderr()}`)));
  });
  const { port, pid } = JSON.parse(first) as { port: number; pid: number };
  return { child, port, pid, stderr };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function login(base: string, w: WorkloadSpec): Promise<string> {
  const res = await fetch(`${base}/bench-login${w.cart ? '?cart=1' : ''}`, {
    headers: { 'user-agent': w.ua },
  });
  if (res.status >= 400) throw new Error(`bench-login answered ${res.status}`);
  const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
  if (cookies.length === 0) throw new Error('bench-login set no cookie');
  return cookies.join('; ');
}

function wrk(url: string, cookie: string, seconds: number, w: WorkloadSpec): Promise<string> {
  const args = [
    '-c',
    '1',
    'wrk',
    '-t1',
    `-c${w.connections}`,
    `-d${seconds}s`,
    '--latency',
    '-H',
    `User-Agent: ${w.ua}`,
  ];
  if (cookie) args.push('-H', `Cookie: ${cookie}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const p = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited ${code}: ${out}`))));
  });
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function parseWrk(out: string): { rps: number; requests: number; p99Ms: number; errors: string[] } {
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? Number.NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const p = /^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(out);
  const p99Ms = p ? Number(p[1]) * UNIT_MS[p[2]!]! : Number.NaN;
  const errors: string[] = [];
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  if (non2xx) errors.push(`${non2xx[1]} non-2xx`);
  const sock = /Socket errors:(.*)/.exec(out);
  if (sock) errors.push(`socket errors:${sock[1]}`);
  return { rps, requests, p99Ms, errors };
}

async function runOnce(v: Variant, w: WorkloadSpec): Promise<Round> {
  const { child, port, pid, stderr } = await startServer(v);
  try {
    return await measure(v, w, port, pid);
  } catch (err) {
    const tail = stderr();
    throw new Error(`${err instanceof Error ? err.message : String(err)}${tail ? ` (server: ${tail})` : ''}`);
  } finally {
    await stopServer(child);
  }
}

async function measure(v: Variant, w: WorkloadSpec, port: number, pid: number): Promise<Round> {
  const base = `http://127.0.0.1:${port}`;
  const UA = w.ua;
  // Bare servers get a session-shaped cookie they ignore: a browser sends it either way, and the same
  // request bytes keep header parsing out of the comparison.
  const cookie = v.session ? await login(base, w) : `__Host-sid=${'A'.repeat(43)}`;
  if (v.session && w.seed > 0) {
    const seeded = await fetch(`${base}/bench-seed?n=${w.seed}`, { headers: { 'user-agent': UA } });
    await seeded.arrayBuffer();
    if (seeded.status >= 400) throw new Error(`${v.name}: bench-seed answered ${seeded.status}`);
  }
  const check = await fetch(`${base}/me`, { headers: { 'user-agent': UA, cookie } });
  if (check.status !== 200) throw new Error(`${v.name}: GET /me answered ${check.status} before the run`);
  await check.arrayBuffer();
  await wrk(`${base}/me`, cookie, WARMUP, w);
  const busy0 = cpuBusy();
  const ticks0 = processTicks(pid);
  const t0 = process.hrtime.bigint();
  const out = await wrk(`${base}/me`, cookie, DURATION, w);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const ticks1 = processTicks(pid);
  const busy1 = cpuBusy();
  const serverSeconds = (ticks1 - ticks0) / CLK_TCK;
  const core0Seconds = (busy1[0]! - busy0[0]!) / CLK_TCK;
  const parsed = parseWrk(out);
  const after = await fetch(`${base}/me`, { headers: { 'user-agent': UA, cookie } });
  await after.arrayBuffer();
  if (after.status !== 200) parsed.errors.push(`GET /me answered ${after.status} after the run`);
  return {
    rps: parsed.rps,
    p99Ms: parsed.p99Ms,
    cpuUs: (serverSeconds / parsed.requests) * 1e6,
    cpuShare: serverSeconds / wall,
    foreignLoad: Math.max(0, core0Seconds - serverSeconds) / wall,
    peakRssMiB: peakRss(pid),
    errors: parsed.errors,
  };
}

function median(xs: number[]): number {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function flagsOf(r: Round): string[] {
  const f: string[] = [];
  if (r.cpuShare < 0.9) f.push(`server got ${(r.cpuShare * 100).toFixed(0)}% of its core`);
  if (r.foreignLoad > 0.1) f.push(`other load on core 0: ${(r.foreignLoad * 100).toFixed(0)}%`);
  f.push(...r.errors);
  return f;
}

interface Job extends Variant {
  workload: WorkloadSpec;
  /** Bare-framework key: the framework and the workload. */
  key: string;
}

async function main(): Promise<void> {
  if (process.env.BENCH_SOURCE !== '1' && !process.argv.includes('--no-build')) {
    process.stderr.write('building the packages (what users install) …\n');
    execFileSync(process.execPath, [join(here, '..', '..', 'scripts', 'build.mjs')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const variants: Job[] = WORKLOADS.flatMap((wl) =>
    VARIANTS.filter((v) => ONLY.test(v.name)).map((v) => ({
      ...v,
      name: `${v.name}${SPECS[wl].suffix}`,
      workload: SPECS[wl],
      key: `${v.group}|${wl}`,
    })),
  );
  if (variants.some((v) => v.redis)) {
    const { startRedis } = await import('../../packages/tessera/test/servers/index.ts');
    const redis = await startRedis();
    process.env.REDIS_URL = redis.url;
    process.on('exit', () => void redis.destroy());
  }
  const results = new Map<string, Round[]>(variants.map((v) => [v.name, []]));
  console.log(
    `bench/http: ${variants.length} variants × ${ROUNDS} rounds × ${DURATION}s (warm-up ${WARMUP}s), ` +
      `workloads ${WORKLOADS.join(', ')}, wrk -t1 on core 1, servers on core 0, node ${process.version}`,
  );
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order every round so no variant always runs first (or right after another).
    const order = variants.map((_, i) => variants[(i + round * 3) % variants.length]!);
    for (const v of order) {
      let r: Round;
      try {
        r = await runOnce(v, v.workload);
      } catch (err) {
        // One broken variant must not sink the whole run: record it and go on.
        const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
        r = {
          rps: Number.NaN,
          cpuUs: Number.NaN,
          p99Ms: Number.NaN,
          cpuShare: 0,
          foreignLoad: 0,
          peakRssMiB: Number.NaN,
          errors: [`failed: ${message}`],
        };
      }
      results.get(v.name)!.push(r);
      const flags = flagsOf(r);
      console.log(
        `  round ${round + 1}  ${v.name.padEnd(44)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${r.p99Ms.toFixed(2).padStart(6)} ms` +
          `  ${r.cpuUs.toFixed(1).padStart(6)} µs cpu/req` +
          `  cpu ${(r.cpuShare * 100).toFixed(0).padStart(3)}%  rss ${r.peakRssMiB.toFixed(0)} MiB${flags.length ? `  ⚠ ${flags.join('; ')}` : ''}`,
      );
    }
  }

  const bare = new Map<string, number>();
  const bareCpu = new Map<string, number>();
  const bareRss = new Map<string, number>();
  const bareP99 = new Map<string, number>();
  const bareRounds = new Map<string, Round[]>();
  for (const v of variants) {
    if (v.session || v.floor) continue;
    const rounds = results.get(v.name)!;
    bareRounds.set(v.key, rounds);
    bare.set(v.key, median(rounds.map((r) => r.rps)));
    bareCpu.set(v.key, median(rounds.map((r) => r.cpuUs)));
    bareRss.set(v.key, median(rounds.map((r) => r.peakRssMiB)));
    bareP99.set(v.key, median(rounds.map((r) => r.p99Ms)));
  }
  const rows = variants.map((v) => {
    const rounds = results.get(v.name)!;
    const clean = rounds.filter((r) => flagsOf(r).length === 0);
    const rps = median(rounds.map((r) => r.rps));
    const base = bare.get(v.key);
    const ratio = base ? rps / base : Number.NaN;
    const cpuUs = median(rounds.map((r) => r.cpuUs));
    const baseCpu = bareCpu.get(v.key);
    // Throughput the variant would keep if CPU per request were all that mattered: bare cost / own cost.
    const cpuRatio = baseCpu ? baseCpu / cpuUs : Number.NaN;
    // Paired: each round's req/s against the bare framework's in the same round (drift cancels).
    const bareByRound = bareRounds.get(v.key);
    const paired = bareByRound
      ? median(rounds.map((r, i) => r.rps / (bareByRound[i]?.rps ?? Number.NaN)))
      : Number.NaN;
    const p99Ms = median(rounds.map((r) => r.p99Ms));
    const peakRssMiB = median(rounds.map((r) => r.peakRssMiB));
    return {
      variant: v.name,
      group: v.group,
      p99VsBare: p99Ms / (bareP99.get(v.key) ?? Number.NaN),
      peakRssMiB,
      rssOverBare: peakRssMiB - (bareRss.get(v.key) ?? Number.NaN),
      rps,
      min: Math.min(...rounds.map((r) => r.rps).filter(Number.isFinite)),
      max: Math.max(...rounds.map((r) => r.rps).filter(Number.isFinite)),
      p99Ms,
      ratio,
      paired,
      cpuUs,
      cpuRatio,
      target: v.target,
      flagged: rounds.length - clean.length,
      rounds,
    };
  });

  const header = [
    'variant',
    'req/s (median)',
    'min–max',
    'p99 ms',
    'p99 vs bare',
    'vs bare',
    'vs bare (paired)',
    'target',
    'cpu µs/req',
    'vs bare (cpu)',
    'peak RSS MiB',
    'RSS over bare',
    'flagged rounds',
  ];
  const table = rows.map((r) => [
    r.variant,
    r.rps.toFixed(0),
    `${r.min.toFixed(0)}–${r.max.toFixed(0)}`,
    r.p99Ms.toFixed(2),
    Number.isFinite(r.p99VsBare) ? `${r.p99VsBare.toFixed(2)}×` : '–',
    Number.isFinite(r.ratio) ? `${(r.ratio * 100).toFixed(1)}%` : '–',
    Number.isFinite(r.paired) ? `${(r.paired * 100).toFixed(1)}%` : '–',
    r.target === undefined ? '' : `≥${r.target * 100}% ${r.ratio >= r.target ? 'ok' : 'MISS'}`,
    r.cpuUs.toFixed(1),
    Number.isFinite(r.cpuRatio) ? `${(r.cpuRatio * 100).toFixed(1)}%` : '–',
    r.peakRssMiB.toFixed(1),
    Number.isFinite(r.rssOverBare) ? `${r.rssOverBare >= 0 ? '+' : ''}${r.rssOverBare.toFixed(1)}` : '–',
    `${r.flagged}/${r.rounds.length}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}`);
  for (const row of table) console.log(line(row));
  if (JSON_OUT)
    writeFileSync(
      JSON_OUT,
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`,
    );
}

await main();
// The shared Redis helper keeps handles open; everything is written (stdout is synchronous on Linux).
process.exit(0);
