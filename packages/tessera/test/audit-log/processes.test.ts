/**
 * Several OS processes append to one audit log at once — on one SQLite file, one Redis, one
 * PostgreSQL: the chain must not fork and no entry may be lost. Each writer is its own process
 * with its own connection (no shared event loop, no shared client).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createAuditLog } from '../../src/audit-log/log.ts';
import { postgresAuditBackend } from '../../src/audit-log/postgres.ts';
import { redisAuditBackend } from '../../src/audit-log/redis.ts';
import { sqliteAuditBackend } from '../../src/audit-log/sqlite.ts';
import type { AuditBackend } from '../../src/audit-log/types.ts';
import { serverSkip, startPostgres, startRedis } from '../servers/index.ts';

const WRITERS = 4;
const PER_WRITER = 250;
const cleanup: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

/** Starts a writer; `ready` resolves once it is connected, `done` when it has finished. */
function writer(args: string[]): { ready: Promise<void>; done: Promise<void>; go: () => void } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'fixtures/audit-writer.ts'), ...args],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('error', reject);
  });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited with ${code}`))));
  });
  return { ready, done, go: () => child.stdin.end('go\n') };
}

async function race(kind: string, target: string, prefix: string, backend: AuditBackend): Promise<void> {
  const log = createAuditLog({ backend });
  const writers = Array.from({ length: WRITERS }, (_, w) =>
    writer([kind, target, prefix, String(w), String(PER_WRITER)]),
  );
  await Promise.all(writers.map((w) => w.ready)); // every process loaded and connected
  for (const w of writers) w.go();
  await Promise.all(writers.map((w) => w.done));
  const entries = await log.read({ limit: 10_000 });
  assert.equal(entries.length, WRITERS * PER_WRITER, 'no entry lost');
  const keys = new Set(
    entries.map((e) => {
      const d = JSON.parse(e.body) as { writer: number; i: number };
      return `${d.writer}:${d.i}`;
    }),
  );
  assert.equal(keys.size, WRITERS * PER_WRITER, 'every append is there exactly once');
  // The writers really interleaved (otherwise this would prove nothing about concurrency).
  let switches = 0;
  for (let i = 1; i < entries.length; i++)
    if (JSON.parse(entries[i]!.body).pid !== JSON.parse(entries[i - 1]!.body).pid) switches++;
  assert.ok(switches >= WRITERS, `writers interleaved (${switches} switches)`);
  const v = await log.verify();
  assert.ok(v.ok && v.entries === WRITERS * PER_WRITER, JSON.stringify(v));
}

test(`sqlite: ${WRITERS} processes × ${PER_WRITER} appends on one file — one unbroken chain, nothing lost`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-audit-mp-'));
  const file = join(dir, 'audit.db');
  const db = new Database(file);
  cleanup.push(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await race('sqlite', file, 'mp_', sqliteAuditBackend({ database: db, tablePrefix: 'mp_' }));
});

const redisSkip = serverSkip('redis');
test(`redis: ${WRITERS} processes × ${PER_WRITER} appends — one unbroken chain, nothing lost`, {
  skip: redisSkip,
}, async () => {
  const server = await startRedis();
  const client = new Redis(server.url);
  cleanup.push(async () => {
    client.disconnect();
    await server.destroy();
  });
  await race('redis', server.url, 'mp:', redisAuditBackend({ client, prefix: 'mp:' }));
});

const pgSkip = serverSkip('postgres');
test(`postgres: ${WRITERS} processes × ${PER_WRITER} appends — one unbroken chain, nothing lost`, {
  skip: pgSkip,
}, async () => {
  const server = await startPostgres();
  const pool = new pg.Pool({ connectionString: server.url, max: 2 }).on('error', () => {});
  cleanup.push(async () => {
    await pool.end();
    await server.destroy();
  });
  await race('postgres', server.url, 'mp_', await postgresAuditBackend({ pool, tablePrefix: 'mp_' }));
});
