/**
 * In-process cost of one `GET /me` through node:http's request and response objects, without
 * sockets or HTTP parsing: a real `IncomingMessage` (headers as the parser leaves them) and
 * `ServerResponse` (its output is buffered, never written), and the handler of a bench server —
 * bare (`writeHead` + `end`) or Tessera's node adapter (`getSession`, `requireAuth`, then the same).
 * The difference between the two is what Tessera adds per request, independent of machine load
 * when counted in instructions:
 *
 *   npx tsx --conditions=tessera-source bench/http/begin.micro.ts                 # ns/request (CPU time)
 *   VARIANT=bare|tessera STORE=memory|sqlite|sqlite-exclusive WORKLOAD=realistic|light N=… ROUNDS=… WARMUP=… SEED=… READ_CACHE=…
 *   # instructions per request: run under callgrind with two loop lengths and divide the difference
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p node --import tsx --conditions=tessera-source bench/http/begin.micro.ts
 *
 * `realistic`: a browser User-Agent and a 3-item cart sealed in the session, 10,000 other live
 * sessions in the store (SEED); `light`: a short User-Agent, no data, no other sessions.
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyRing, createSessionManager } from '@tessera-sessions/core';
import { nodeSessions } from '@tessera-sessions/core/node';
import { memoryStore } from '@tessera-sessions/core/stores/memory';
import { sqliteStore } from '@tessera-sessions/core/stores/sqlite';
import Database from 'better-sqlite3';
import { CART, seedSessions, USER } from './servers/common.ts';

const VARIANT = process.env.VARIANT ?? 'tessera';
const STORE = process.env.STORE ?? 'memory';
const REALISTIC = (process.env.WORKLOAD ?? 'realistic') === 'realistic';
const N = Number(process.env.N ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const WARMUP = Number(process.env.WARMUP ?? 20_000);
const SEED = Number(process.env.SEED ?? (REALISTIC ? 10_000 : 0));
const UA = REALISTIC
  ? 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
  : 'Mozilla/5.0 (X11; Linux x86_64) tessera-bench';

const store = STORE.startsWith('sqlite')
  ? sqliteStore({
      database: new Database(join(mkdtempSync(join(tmpdir(), 'tessera-micro-')), 'sessions.db')),
      exclusive: STORE === 'sqlite-exclusive',
      ...(process.env.READ_CACHE ? { readCacheSize: Number(process.env.READ_CACHE) } : {}),
    })
  : memoryStore();
const manager = createSessionManager({
  store,
  keys: createKeyRing([{ id: 'b', key: randomBytes(32) }]),
  creationRateLimit: false,
  // The seeding logs 10,000 users in from one address: no login limits, no session cap.
  loginRateLimit: false,
  maxSessionsPerUser: Number.POSITIVE_INFINITY,
});
const sessions = nodeSessions(manager);
const ctx = { ip: '127.0.0.1', userAgent: UA };
const issued = await manager.login(null, USER, {}, ctx);
if (REALISTIC) await manager.setData(issued.session, CART);
await seedSessions(manager, SEED, UA);

const socket = new Socket();
Object.defineProperty(socket, 'remoteAddress', { value: '127.0.0.1' });
const cookie = VARIANT === 'bare' ? `__Host-sid=${'A'.repeat(43)}` : `__Host-sid=${issued.token}`;

function request(): IncomingMessage {
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  req.url = '/me';
  // What the parser hands node:http for wrk's request; `req.headers` is built from it on first use.
  const raw = ['Host', '127.0.0.1:3000', 'User-Agent', UA, 'Cookie', cookie];
  (req as unknown as { _addHeaderLines(h: string[], n: number): void })._addHeaderLines(raw, raw.length);
  return req;
}

function bare(): void {
  const req = request();
  const res = new ServerResponse(req);
  if (req.url === '/me') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ userId: USER }));
  }
}

async function tessera(): Promise<void> {
  const req = request();
  const res = new ServerResponse(req);
  const session = await sessions.getSession(req, res);
  if (req.url === '/me') {
    session.requireAuth();
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ userId: session.userId }));
  }
}

const once = VARIANT === 'bare' ? bare : tessera;

/**
 * Bytes allocated per request: with a young generation larger than a batch's garbage (run with
 * `--max-semi-space-size=128 --min-semi-space-size=128`), no GC runs during the batch, so the growth
 * of the heap is exactly what the batch allocated. Batches during which a GC ran are discarded.
 */
async function allocated(batch: number): Promise<number | null> {
  const { PerformanceObserver } = await import('node:perf_hooks');
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  await new Promise((r) => setTimeout(r, 10));
  gcs = 0;
  const h0 = process.memoryUsage().heapUsed;
  for (let i = 0; i < batch; i++) await once();
  const h1 = process.memoryUsage().heapUsed;
  await new Promise((r) => setTimeout(r, 10));
  obs.disconnect();
  return gcs === 0 ? (h1 - h0) / batch : null;
}
if (process.env.ALLOC) {
  for (let i = 0; i < WARMUP; i++) await once();
  for (let r = 0; r < ROUNDS; r++) {
    const b = await allocated(Number(process.env.ALLOC));
    console.log(
      `${VARIANT} ${STORE} ${REALISTIC ? 'realistic' : 'light'}: ${b === null ? 'a GC ran, batch discarded' : `${b.toFixed(0)} bytes allocated/request`}`,
    );
  }
  process.exit(0);
}
for (let i = 0; i < WARMUP; i++) await once();
for (let r = 0; r < ROUNDS; r++) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await once();
  const d = process.cpuUsage(t0);
  console.log(
    `${VARIANT} ${STORE} ${REALISTIC ? 'realistic' : 'light'}: ${(((d.user + d.system) * 1000) / N).toFixed(0)} ns/request (cpu)`,
  );
}
