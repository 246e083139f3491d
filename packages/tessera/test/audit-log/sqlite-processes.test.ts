/**
 * Several processes append to one SQLite audit log at once: the chain must not fork and no entry
 * may be lost. Each process is a real OS process with its own connection (no shared event loop).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { createAuditLog } from '../../src/audit-log/log.ts';
import { sqliteAuditBackend } from '../../src/audit-log/sqlite.ts';

const WRITERS = 4;
const PER_WRITER = 250;

/** Starts a writer; `ready` settles once it has loaded, `done` when it exits. */
function start(args: string[]): { child: ChildProcess; ready: Promise<void>; done: Promise<void> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'fixtures/sqlite-writer.ts'), ...args],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited with ${code}`))));
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    done.then(() => reject(new Error('writer exited before it was ready')), reject);
  });
  return { child, ready, done };
}

test(`${WRITERS} processes × ${PER_WRITER} appends on one SQLite file: one unbroken chain, nothing lost`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-audit-mp-'));
  const file = join(dir, 'audit.db');
  const db = new Database(file);
  try {
    const log = createAuditLog({ backend: sqliteAuditBackend({ database: db }) });
    const writers = Array.from({ length: WRITERS }, (_, w) => start([file, String(w), String(PER_WRITER)]));
    await Promise.all(writers.map((w) => w.ready)); // every child has loaded tsx …
    for (const w of writers) w.child.send('go'); // … then all start at once
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
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
