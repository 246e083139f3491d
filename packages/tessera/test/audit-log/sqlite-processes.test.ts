/**
 * Several processes append to one SQLite audit log at once: the chain must not fork and no entry
 * may be lost. Each process is a real OS process with its own connection (no shared event loop).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { createAuditLog } from '../../src/audit-log/log.ts';
import { sqliteAuditBackend } from '../../src/audit-log/sqlite.ts';

const WRITERS = 4;
const PER_WRITER = 250;

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures/sqlite-writer.ts'), ...args],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited with ${code}`))));
  });
}

test(`${WRITERS} processes × ${PER_WRITER} appends on one SQLite file: one unbroken chain, nothing lost`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-audit-mp-'));
  const file = join(dir, 'audit.db');
  const db = new Database(file);
  try {
    const log = createAuditLog({ backend: sqliteAuditBackend({ database: db }) });
    const startAt = Date.now() + 2500; // after every child has loaded tsx
    await Promise.all(
      Array.from({ length: WRITERS }, (_, w) => run([file, String(w), String(PER_WRITER), String(startAt)])),
    );
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
