/**
 * The audit backend conformance suite: the chain, tamper detection (edit, delete, reorder made
 * directly in the backend's storage), signed checkpoints and concurrent writers, as `node:test`
 * cases. A backend (memory, SQLite, Redis, PostgreSQL, …) is "done" when this is green.
 *
 * @example
 * import { defineAuditConformanceSuite } from '@tessera-sessions/core/testing';
 * defineAuditConformanceSuite('sqlite', async () => {
 *   const db = new Database(file);
 *   return {
 *     open: () => sqliteAuditBackend({ database: new Database(file) }),
 *     tamper: { edit: …, remove: …, swap: … },
 *     teardown: async () => db.close(),
 *   };
 * });
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { createAuditLog, entryHash } from '../audit-log/log.ts';
import { ed25519CheckpointKey, ed25519CheckpointVerifier, hmacCheckpointKey } from '../audit-log/signing.ts';
import type { AuditBackend } from '../audit-log/types.ts';

/** Raw access to the backend's storage, as an attacker with database access has it. */
export interface AuditTamper {
  /** Replaces the body of entry `seq` in place (the hash is left alone, or recomputed when `rehash`). */
  edit(seq: number, body: string, rehash?: string): Promise<void>;
  /** Deletes entry `seq`. */
  remove(seq: number): Promise<void>;
  /** Swaps the positions (sequence numbers) of two entries, keeping everything else. */
  swap(a: number, b: number): Promise<void>;
}

/** What a factory hands the suite. */
export interface AuditBackendUnderTest {
  /**
   * Opens a backend on the same, initially empty, log. Called several times for the
   * concurrency case: each call should be an independent client/connection when the backend has them.
   */
  open(): AuditBackend | Promise<AuditBackend>;
  tamper: AuditTamper;
  teardown?: () => Promise<void>;
}

/** Defines the suite for one backend; `factory` is called once per case with a fresh, empty log. */
export function defineAuditConformanceSuite(
  name: string,
  factory: () => Promise<AuditBackendUnderTest>,
  options: { writers?: number; appendsPerWriter?: number } = {},
): void {
  const fill = async (n: number) => {
    const t = await factory();
    const log = createAuditLog({ backend: await t.open() });
    for (let i = 1; i <= n; i++) await log.append('test.entry', { i });
    return { t, log };
  };

  describe(`audit backend conformance: ${name}`, () => {
    test('append chains entries 1..n, read pages them, verify walks them', async () => {
      const { t, log } = await fill(5);
      try {
        const batch = await log.appendMany([
          { kind: 'b', data: { x: 1 } },
          { kind: 'b', data: { x: 2 } },
        ]);
        assert.deepEqual(
          batch.map((e) => e.seq),
          [6, 7],
        );
        const all = await log.read({ limit: 100 });
        assert.deepEqual(
          all.map((e) => e.seq),
          [1, 2, 3, 4, 5, 6, 7],
        );
        for (let i = 1; i < all.length; i++) assert.equal(all[i]!.prevHash, all[i - 1]!.hash);
        assert.deepEqual(
          (await log.read({ fromSeq: 3, limit: 2 })).map((e) => e.seq),
          [3, 4],
        );
        const v = await log.verify();
        assert.ok(v.ok, JSON.stringify(v));
        assert.equal(v.entries, 7);
        assert.deepEqual(v.head, { seq: 7, hash: all[6]!.hash });
      } finally {
        await t.teardown?.();
      }
    });

    test('tamper: an edited entry is named (hash mismatch)', async () => {
      const { t, log } = await fill(6);
      try {
        await t.tamper.edit(4, JSON.stringify({ i: 400 }));
        const v = await log.verify();
        assert.equal(v.ok, false);
        assert.ok(!v.ok && v.brokenAt === 4 && v.reason === 'hash-mismatch', JSON.stringify(v));
      } finally {
        await t.teardown?.();
      }
    });

    test('tamper: an edited entry with a recomputed hash is named by the link after it', async () => {
      const { t, log } = await fill(6);
      try {
        const [e] = await log.read({ fromSeq: 3, limit: 1 });
        const body = JSON.stringify({ i: 300 });
        await t.tamper.edit(3, body, entryHash({ ...e!, body }));
        const v = await log.verify();
        assert.ok(!v.ok && v.brokenAt === 4 && v.reason === 'prev-mismatch', JSON.stringify(v));
      } finally {
        await t.teardown?.();
      }
    });

    test('tamper: a deleted entry is named (missing)', async () => {
      const { t, log } = await fill(6);
      try {
        await t.tamper.remove(2);
        const v = await log.verify();
        assert.ok(!v.ok && v.brokenAt === 2 && v.reason === 'missing', JSON.stringify(v));
      } finally {
        await t.teardown?.();
      }
    });

    test('tamper: two reordered entries are named at the first', async () => {
      const { t, log } = await fill(6);
      try {
        await t.tamper.swap(3, 5);
        const v = await log.verify();
        assert.equal(v.ok, false);
        assert.ok(!v.ok && v.brokenAt === 3, JSON.stringify(v));
      } finally {
        await t.teardown?.();
      }
    });

    test('tamper: entries cut from the end are caught against a head recorded elsewhere', async () => {
      const { t, log } = await fill(6);
      try {
        const v0 = await log.verify();
        assert.ok(v0.ok && v0.head);
        await t.tamper.remove(6);
        await t.tamper.remove(5);
        assert.ok((await log.verify()).ok, 'a chain alone cannot see a cut tail');
        const v = await log.verify({ expectedHead: v0.head });
        assert.ok(!v.ok && v.reason === 'truncated' && v.brokenAt === 5, JSON.stringify(v));
      } finally {
        await t.teardown?.();
      }
    });

    test('prune behind an HMAC checkpoint: the rest verifies, appends go on, a forged checkpoint fails', async () => {
      const t = await factory();
      try {
        const key = hmacCheckpointKey(randomBytes(32), 'k1');
        const log = createAuditLog({ backend: await t.open(), checkpointKey: key });
        for (let i = 1; i <= 10; i++) await log.append('e', { i });
        const cp = await log.prune(6);
        assert.ok(cp && cp.seq === 6 && cp.alg === 'hmac-sha256');
        assert.deepEqual(
          (await log.read()).map((e) => e.seq),
          [7, 8, 9, 10],
        );
        await log.append('e', { i: 11 });
        const v = await log.verify({ verifier: key });
        assert.ok(v.ok && v.entries === 5 && v.head?.seq === 11, JSON.stringify(v));
        const noKey = await log.verify();
        assert.ok(!noKey.ok && noKey.reason === 'checkpoint-signature');
        const other = hmacCheckpointKey(randomBytes(32), 'k1');
        const forged = await log.verify({ verifier: other });
        assert.ok(!forged.ok && forged.reason === 'checkpoint-signature' && forged.brokenAt === 6);
        // Deleting the first entry after the checkpoint is still caught.
        await t.tamper.remove(7);
        const gap = await log.verify({ verifier: key });
        assert.ok(!gap.ok && gap.brokenAt === 7 && gap.reason === 'missing', JSON.stringify(gap));
      } finally {
        await t.teardown?.();
      }
    });

    test('prune behind an Ed25519 checkpoint, verified with the public key alone; everything pruned', async () => {
      const t = await factory();
      try {
        const { privateKey, publicKey } = generateKeyPairSync('ed25519');
        const log = createAuditLog({
          backend: await t.open(),
          checkpointKey: ed25519CheckpointKey(privateKey, 'audit-2026'),
          clock: { now: () => 1_000 },
        });
        for (let i = 1; i <= 4; i++) await log.append('e', { i });
        const cp = await log.pruneBefore(2_000);
        assert.ok(cp && cp.seq === 4 && cp.alg === 'ed25519');
        assert.deepEqual(await log.read(), []);
        const verifier = ed25519CheckpointVerifier(publicKey, 'audit-2026');
        const v = await log.verify({ verifier });
        assert.ok(v.ok && v.entries === 0 && v.head?.seq === 4, JSON.stringify(v));
        const next = await log.append('e', { i: 5 });
        assert.equal(next.seq, 5);
        assert.equal(next.prevHash, cp.hash);
        assert.ok((await log.verify({ verifier })).ok);
      } finally {
        await t.teardown?.();
      }
    });

    test('concurrent writers on separate connections: no fork, no lost entry', async () => {
      const t = await factory();
      const writers = options.writers ?? 4;
      const per = options.appendsPerWriter ?? 50;
      try {
        const logs = await Promise.all(
          Array.from({ length: writers }, async () => createAuditLog({ backend: await t.open() })),
        );
        await Promise.all(
          logs.map(async (log, w) => {
            for (let i = 0; i < per; i++) {
              if (i % 5 === 0)
                await log.appendMany([
                  { kind: 'c', data: { w, i } },
                  { kind: 'c', data: { w, i: i + 0.5 } },
                ]);
              else await log.append('c', { w, i });
            }
          }),
        );
        const all = await logs[0]!.read({ limit: 10_000 });
        const expected = writers * (per + Math.ceil(per / 5));
        assert.equal(all.length, expected, 'no entry lost');
        const seen = new Set(all.map((e) => e.body));
        assert.equal(seen.size, expected, 'no entry written twice');
        const v = await logs[0]!.verify();
        assert.ok(v.ok && v.entries === expected, JSON.stringify(v));
      } finally {
        await t.teardown?.();
      }
    });
  });
}
