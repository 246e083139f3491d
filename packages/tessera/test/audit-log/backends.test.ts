/** The audit conformance suite against the memory and SQLite backends (a real file, several connections). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { memoryAuditBackend } from '../../src/audit-log/memory.ts';
import { sqliteAuditBackend } from '../../src/audit-log/sqlite.ts';
import type { AuditEntry } from '../../src/audit-log/types.ts';
import { defineAuditConformanceSuite } from '../../src/testing/audit-conformance.ts';

defineAuditConformanceSuite('memory', async () => {
  const backend = memoryAuditBackend();
  const at = (seq: number) => backend.entries.findIndex((e) => e.seq === seq);
  return {
    open: () => backend,
    tamper: {
      async edit(seq, body, rehash) {
        const i = at(seq);
        backend.entries[i] = { ...backend.entries[i]!, body, hash: rehash ?? backend.entries[i]!.hash };
      },
      async remove(seq) {
        backend.entries.splice(at(seq), 1);
      },
      async swap(a, b) {
        const i = at(a);
        const j = at(b);
        const ea = backend.entries[i]!;
        const eb = backend.entries[j]!;
        backend.entries[i] = { ...eb, seq: a } as AuditEntry;
        backend.entries[j] = { ...ea, seq: b } as AuditEntry;
      },
    },
  };
});

defineAuditConformanceSuite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-audit-'));
  const file = join(dir, 'audit.db');
  const dbs: Database.Database[] = [];
  const open = () => {
    const db = new Database(file);
    dbs.push(db);
    return db;
  };
  const raw = open();
  sqliteAuditBackend({ database: raw }); // creates the tables
  return {
    open: () => sqliteAuditBackend({ database: open() }),
    tamper: {
      async edit(seq, body, rehash) {
        raw
          .prepare('UPDATE tessera_audit SET body = ?, hash = COALESCE(?, hash) WHERE seq = ?')
          .run(body, rehash ?? null, seq);
      },
      async remove(seq) {
        raw.prepare('DELETE FROM tessera_audit WHERE seq = ?').run(seq);
      },
      async swap(a, b) {
        raw.transaction(() => {
          raw.prepare('UPDATE tessera_audit SET seq = -1 WHERE seq = ?').run(a);
          raw.prepare('UPDATE tessera_audit SET seq = ? WHERE seq = ?').run(a, b);
          raw.prepare('UPDATE tessera_audit SET seq = ? WHERE seq = -1').run(b);
        })();
      },
    },
    async teardown() {
      for (const db of dbs) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
