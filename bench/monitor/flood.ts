/**
 * Session flood: how much slower do logged-in users' requests get while a flooder creates
 * anonymous sessions as fast as it can (16 connections, a fresh IPv6 /64 per request, so the
 * per-address creation limit never bites), and does storage stay bounded? The server, the flooder
 * and this measuring client are separate processes. Sequential authenticated `GET /me` requests
 * are timed for a quiet phase, then during the flood; the report gives p50/p90/p99, the slow-down
 * factor, the flood's rate and the store's rows after.
 *
 *   npx tsx --conditions=tessera-source bench/monitor/flood.ts            # PHASE_SECONDS=5 CAP=2000 (CAP=0: no cap)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.PHASE_SECONDS ?? 5);

function start(file: string, args: string[] = []): { child: ChildProcess; line: Promise<string> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=tessera-source', join(here, file), ...args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    },
  );
  const line = new Promise<string>((resolve) =>
    createInterface({ input: child.stdout! }).once('line', resolve),
  );
  return { child, line };
}

async function timeRequests(url: string, cookie: string, seconds: number): Promise<number[]> {
  const times: number[] = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const t = performance.now();
    const r = await fetch(`${url}/me`, { headers: { cookie, 'x-client-ip': '10.9.9.9' } });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`logged-in request failed: ${r.status}`);
    times.push(performance.now() - t);
  }
  return times;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)]!;
const summary = (xs: number[]) =>
  `${xs.length} requests, mean ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2)} ms, p50 ${pct(xs, 0.5).toFixed(2)} ms, p90 ${pct(xs, 0.9).toFixed(2)} ms, p99 ${pct(xs, 0.99).toFixed(2)} ms`;

const server = start('flood-server.ts');
const { port } = JSON.parse(await server.line) as { port: number };
const url = `http://127.0.0.1:${port}`;
try {
  const login = await fetch(`${url}/login`, {
    method: 'POST',
    headers: { origin: url, 'x-client-ip': '10.9.9.9' },
  });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  await timeRequests(url, cookie, 1); // warm-up
  const quiet = await timeRequests(url, cookie, SECONDS);
  const flooder = start('flood-client.ts', [url, String(SECONDS + 1)]);
  await new Promise((r) => setTimeout(r, 500));
  const busy = await timeRequests(url, cookie, SECONDS);
  const flood = JSON.parse(await flooder.line) as { made: number; refused: number };
  await new Promise((r) => setTimeout(r, 3000)); // grace window + a sweep
  const stats = (await (await fetch(`${url}/stats`)).json()) as {
    sessions: number;
    tombstones: number;
    rss: number;
  };
  console.log(`cap: ${process.env.CAP ?? 2000} anonymous sessions; phases of ${SECONDS} s`);
  console.log(`quiet:  ${summary(quiet)}`);
  console.log(`flood:  ${summary(busy)}`);
  console.log(
    `slow-down of logged-in requests: mean ×${(quiet.length / busy.length).toFixed(2)}, p50 ×${(pct(busy, 0.5) / pct(quiet, 0.5)).toFixed(2)}, p99 ×${(pct(busy, 0.99) / pct(quiet, 0.99)).toFixed(2)}`,
  );
  console.log(
    `flood: ${flood.made} sessions created (${Math.round(flood.made / (SECONDS + 1))}/s), ${flood.refused} refused`,
  );
  console.log(
    `store after: ${stats.sessions} live sessions, ${stats.tombstones} tombstones; server RSS ${(stats.rss / 2 ** 20).toFixed(0)} MiB`,
  );
} finally {
  server.child.kill('SIGTERM');
}
