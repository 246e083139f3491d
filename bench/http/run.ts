/**
 * HTTP benchmark: authenticated `GET /me` under load, one process per variant, all variants in
 * the same run, several interleaved rounds.
 *
 * Each server runs pinned to core 0 (`taskset -c 0`), wrk runs with one thread pinned to core 1,
 * so the server owns one core and the load generator the other. Per round and variant: start the
 * server, log in through its bench-only `GET /bench-login`, warm up, measure, stop. The table shows
 * the median requests/s and p99 over rounds and the ratio to the bare framework; a round is flagged
 * when the server process got less than 90 % of its core (CPU time from /proc/<pid>/stat against
 * wall time), when wrk saw errors or non-2xx answers, or when other processes loaded core 0.
 *
 *   npx tsx --conditions=tessera-source bench/http/run.ts [--rounds 3] [--duration 5] [--warmup 2] [--connections 32]
 *                             [--only <regex>] [--json <file>]
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
}

const here = dirname(fileURLToPath(import.meta.url));
const servers = join(here, 'servers');

const VARIANTS: Variant[] = [
  { name: 'express (bare)', group: 'express', file: 'express-bare.ts', session: false },
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
  { name: 'node:http (bare)', group: 'node:http', file: 'node-bare.ts', session: false },
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

const UA = 'Mozilla/5.0 (X11; Linux x86_64) tessera-bench';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const ROUNDS = Number(arg('rounds', '3'));
const DURATION = Number(arg('duration', '5'));
const WARMUP = Number(arg('warmup', '2'));
const CONNECTIONS = Number(arg('connections', '32'));
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

interface Started {
  child: ChildProcess;
  port: number;
  pid: number;
  /** The last lines the server wrote to stderr (for error messages). */
  stderr(): string;
}

async function startServer(v: Variant): Promise<Started> {
  const file = join(servers, v.file);
  const nodeArgs = v.file.endsWith('.ts') ? ['--import', 'tsx', '--conditions=tessera-source', file] : [file];
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

async function login(base: string): Promise<string> {
  const res = await fetch(`${base}/bench-login`, { headers: { 'user-agent': UA } });
  if (res.status >= 400) throw new Error(`bench-login answered ${res.status}`);
  const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
  if (cookies.length === 0) throw new Error('bench-login set no cookie');
  return cookies.join('; ');
}

function wrk(url: string, cookie: string, seconds: number): Promise<string> {
  const args = [
    '-c',
    '1',
    'wrk',
    '-t1',
    `-c${CONNECTIONS}`,
    `-d${seconds}s`,
    '--latency',
    '-H',
    `User-Agent: ${UA}`,
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

async function runOnce(v: Variant): Promise<Round> {
  const { child, port, pid, stderr } = await startServer(v);
  try {
    return await measure(v, port, pid);
  } catch (err) {
    const tail = stderr();
    throw new Error(`${err instanceof Error ? err.message : String(err)}${tail ? ` (server: ${tail})` : ''}`);
  } finally {
    await stopServer(child);
  }
}

async function measure(v: Variant, port: number, pid: number): Promise<Round> {
  const base = `http://127.0.0.1:${port}`;
  // Bare servers get a session-shaped cookie they ignore: a browser sends it either way, and the same
  // request bytes keep header parsing out of the comparison.
  const cookie = v.session ? await login(base) : `__Host-sid=${'A'.repeat(43)}`;
  const check = await fetch(`${base}/me`, { headers: { 'user-agent': UA, cookie } });
  if (check.status !== 200) throw new Error(`${v.name}: GET /me answered ${check.status} before the run`);
  await check.arrayBuffer();
  await wrk(`${base}/me`, cookie, WARMUP);
  const busy0 = cpuBusy();
  const ticks0 = processTicks(pid);
  const t0 = process.hrtime.bigint();
  const out = await wrk(`${base}/me`, cookie, DURATION);
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

async function main(): Promise<void> {
  const variants = VARIANTS.filter((v) => ONLY.test(v.name));
  const results = new Map<string, Round[]>(variants.map((v) => [v.name, []]));
  console.log(
    `bench/http: ${variants.length} variants × ${ROUNDS} rounds × ${DURATION}s (warm-up ${WARMUP}s), ` +
      `wrk -t1 -c${CONNECTIONS} on core 1, servers on core 0, node ${process.version}`,
  );
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order every round so no variant always runs first (or right after another).
    const order = variants.map((_, i) => variants[(i + round * 3) % variants.length]!);
    for (const v of order) {
      let r: Round;
      try {
        r = await runOnce(v);
      } catch (err) {
        // One broken variant must not sink the whole run: record it and go on.
        const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
        r = {
          rps: Number.NaN,
          cpuUs: Number.NaN,
          p99Ms: Number.NaN,
          cpuShare: 0,
          foreignLoad: 0,
          errors: [`failed: ${message}`],
        };
      }
      results.get(v.name)!.push(r);
      const flags = flagsOf(r);
      console.log(
        `  round ${round + 1}  ${v.name.padEnd(30)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${r.p99Ms.toFixed(2).padStart(6)} ms` +
          `  ${r.cpuUs.toFixed(1).padStart(6)} µs cpu/req` +
          `  cpu ${(r.cpuShare * 100).toFixed(0).padStart(3)}%${flags.length ? `  ⚠ ${flags.join('; ')}` : ''}`,
      );
    }
  }

  const bare = new Map<Group, number>();
  const bareCpu = new Map<Group, number>();
  const bareRounds = new Map<Group, Round[]>();
  for (const v of variants) {
    if (v.session) continue;
    bareRounds.set(v.group, results.get(v.name)!);
    bare.set(v.group, median(results.get(v.name)!.map((r) => r.rps)));
    bareCpu.set(v.group, median(results.get(v.name)!.map((r) => r.cpuUs)));
  }
  const rows = variants.map((v) => {
    const rounds = results.get(v.name)!;
    const clean = rounds.filter((r) => flagsOf(r).length === 0);
    const rps = median(rounds.map((r) => r.rps));
    const base = bare.get(v.group);
    const ratio = base ? rps / base : Number.NaN;
    const cpuUs = median(rounds.map((r) => r.cpuUs));
    const baseCpu = bareCpu.get(v.group);
    // Throughput the variant would keep if CPU per request were all that mattered: bare cost / own cost.
    const cpuRatio = baseCpu ? baseCpu / cpuUs : Number.NaN;
    // Paired: each round's req/s against the bare framework's in the same round (drift cancels).
    const bareByRound = bareRounds.get(v.group);
    const paired = bareByRound
      ? median(rounds.map((r, i) => r.rps / (bareByRound[i]?.rps ?? Number.NaN)))
      : Number.NaN;
    return {
      variant: v.name,
      group: v.group,
      rps,
      min: Math.min(...rounds.map((r) => r.rps).filter(Number.isFinite)),
      max: Math.max(...rounds.map((r) => r.rps).filter(Number.isFinite)),
      p99Ms: median(rounds.map((r) => r.p99Ms)),
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
    'vs bare',
    'vs bare (paired)',
    'target',
    'cpu µs/req',
    'vs bare (cpu)',
    'flagged rounds',
  ];
  const table = rows.map((r) => [
    r.variant,
    r.rps.toFixed(0),
    `${r.min.toFixed(0)}–${r.max.toFixed(0)}`,
    r.p99Ms.toFixed(2),
    Number.isFinite(r.ratio) ? `${(r.ratio * 100).toFixed(1)}%` : '–',
    Number.isFinite(r.paired) ? `${(r.paired * 100).toFixed(1)}%` : '–',
    r.target === undefined ? '' : `≥${r.target * 100}% ${r.ratio >= r.target ? 'ok' : 'MISS'}`,
    r.cpuUs.toFixed(1),
    Number.isFinite(r.cpuRatio) ? `${(r.cpuRatio * 100).toFixed(1)}%` : '–',
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
