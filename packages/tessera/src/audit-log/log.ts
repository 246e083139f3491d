import { createHash } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { rejectUnknownKeys } from '../config-check.ts';
import { ConfigError, InvalidArgumentError } from '../errors.ts';
import type { CheckpointSigner, CheckpointVerifier } from './signing.ts';
import { checkpointPayload } from './signing.ts';
import type { AuditBackend, AuditCheckpoint, AuditEntry, AuditHead, AuditVerifyResult } from './types.ts';
import { GENESIS } from './types.ts';

/** The hash of an entry: SHA-256 over its fields, each on its own line (hex). */
export function entryHash(e: Pick<AuditEntry, 'seq' | 'at' | 'kind' | 'body' | 'prevHash'>): string {
  return createHash('sha256')
    .update(`tessera-audit/1\n${e.seq}\n${e.at}\n${e.kind}\n${e.prevHash}\n`)
    .update(e.body)
    .digest('hex');
}

/** What to append: a kind and a JSON-serialisable object of facts. */
export interface AuditRecordInput {
  kind: string;
  data: Record<string, unknown>;
  /** Defaults to the log's clock. */
  at?: number;
}

/** Options of {@link createAuditLog}. */
export interface AuditLogOptions {
  backend: AuditBackend;
  clock?: Clock;
  /** Signs the checkpoint written by `prune` (required to prune). */
  checkpointKey?: CheckpointSigner;
}

/** An append-only, hash-chained audit log over one backend. */
export interface AuditLog {
  /** Appends one entry and returns it as stored. */
  append(kind: string, data: Record<string, unknown>): Promise<AuditEntry>;
  /** Appends several entries in one step (one transaction where the backend has them). */
  appendMany(records: readonly AuditRecordInput[]): Promise<AuditEntry[]>;
  /** Entries from `fromSeq` (default: the oldest kept), at most `limit` (default 100, max 10,000). */
  read(options?: { fromSeq?: number; limit?: number }): Promise<AuditEntry[]>;
  /**
   * Walks the chain from the checkpoint (or the genesis) and reports the first broken link.
   * `verifier` checks the checkpoint's signature (required when there is a checkpoint);
   * `expectedHead`, a head recorded earlier somewhere the attacker cannot write (a webhook
   * receiver, a SIEM), also catches entries cut from the end.
   */
  verify(options?: { verifier?: CheckpointVerifier; expectedHead?: AuditHead }): Promise<AuditVerifyResult>;
  /**
   * Deletes every entry with `seq <= throughSeq` behind a checkpoint signed with `checkpointKey`,
   * so the rest still verifies. Returns the checkpoint (null when there was nothing to prune).
   */
  prune(throughSeq: number): Promise<AuditCheckpoint | null>;
  /** Deletes entries older than `before` (ms since the epoch) the same way. */
  pruneBefore(before: number): Promise<AuditCheckpoint | null>;
  /** The backend, for closing or inspection. */
  readonly backend: AuditBackend;
}

const PAGE = 1000;

/**
 * A tamper-evident audit log: every entry carries the hash of the one before, so an entry edited,
 * deleted or reordered directly in the database breaks the chain and {@link AuditLog.verify}
 * names the first broken link. Appends are serialised by the backend, so several processes or
 * app servers can write one log without forking the chain or losing entries.
 *
 * @example
 * import Database from 'better-sqlite3';
 * import { createAuditLog, sqliteAuditBackend, hmacCheckpointKey } from '@tessera-sessions/core/audit-log';
 * const audit = createAuditLog({
 *   backend: sqliteAuditBackend({ database: new Database('audit.db') }),
 *   checkpointKey: hmacCheckpointKey(Buffer.from(process.env.AUDIT_KEY!, 'base64')),
 * });
 * await audit.append('admin.login', { adminId: 'root' });
 * const result = await audit.verify({ verifier: key });
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  rejectUnknownKeys(options, ['backend', 'clock', 'checkpointKey'], 'auditLog');
  if (typeof (options.backend as AuditBackend | undefined)?.append !== 'function')
    throw new ConfigError('auditLog.backend', 'must be an audit backend (sqliteAuditBackend(…), …).');
  const { backend } = options;
  const clock = options.clock ?? systemClock;
  const appendMany = async (records: readonly AuditRecordInput[]): Promise<AuditEntry[]> => {
    if (records.length === 0) return [];
    // Serialise once, outside the backend's critical section; `build` only chains.
    const prepared = records.map((r) => {
      if (typeof r.kind !== 'string' || r.kind.length === 0 || r.kind.length > 128)
        throw new InvalidArgumentError('kind', 'must be a non-empty string of at most 128 characters.');
      return { kind: r.kind, at: r.at ?? clock.now(), body: JSON.stringify(r.data) };
    });
    return backend.append((head) => {
      let seq = head?.seq ?? 0;
      let prevHash = head?.hash ?? GENESIS;
      return prepared.map((p) => {
        seq += 1;
        const base = { seq, at: p.at, kind: p.kind, body: p.body, prevHash };
        const entry: AuditEntry = { ...base, hash: entryHash(base) };
        prevHash = entry.hash;
        return entry;
      });
    });
  };

  const prune = async (throughSeq: number): Promise<AuditCheckpoint | null> => {
    const signer = options.checkpointKey;
    if (!signer) throw new ConfigError('checkpointKey', 'pruning needs a key to sign the checkpoint.');
    const cp = await backend.checkpoint();
    const from = (cp?.seq ?? 0) + 1;
    if (throughSeq < from) return null;
    const [last] = await backend.read(throughSeq, 1);
    if (!last || last.seq !== throughSeq) return null;
    const unsigned = {
      seq: last.seq,
      hash: last.hash,
      at: clock.now(),
      alg: signer.alg,
      keyId: signer.keyId,
    };
    const checkpoint: AuditCheckpoint = { ...unsigned, signature: signer.sign(checkpointPayload(unsigned)) };
    await backend.prune(checkpoint);
    return checkpoint;
  };

  return {
    backend,
    append: async (kind, data) => (await appendMany([{ kind, data }]))[0]!,
    appendMany,
    async read(o = {}) {
      const limit = Math.min(Math.max(1, o.limit ?? 100), 10_000);
      return backend.read(o.fromSeq ?? 0, limit);
    },
    async verify(o = {}) {
      const checkpoint = await backend.checkpoint();
      let entries = 0;
      const broken = (
        brokenAt: number,
        reason: Extract<AuditVerifyResult, { ok: false }>['reason'],
        message: string,
      ) => ({ ok: false, entries, brokenAt, reason, message }) as const;
      if (checkpoint && !o.verifier?.verify(checkpoint))
        return broken(
          checkpoint.seq,
          'checkpoint-signature',
          o.verifier
            ? `The checkpoint at #${checkpoint.seq} does not carry a valid signature.`
            : `The log starts at a checkpoint (#${checkpoint.seq}); pass its verifier to check it.`,
        );
      let expectedSeq = (checkpoint?.seq ?? 0) + 1;
      let prevHash = checkpoint?.hash ?? GENESIS;
      let head: AuditHead | null = checkpoint ? { seq: checkpoint.seq, hash: checkpoint.hash } : null;
      for (;;) {
        // Read from the oldest row at or after the expected one: a missing entry shows as a jump.
        const page = await backend.read(expectedSeq, PAGE);
        for (const e of page) {
          if (e.seq !== expectedSeq)
            return broken(
              expectedSeq,
              'missing',
              `Entry #${expectedSeq} is missing (the next one is #${e.seq}).`,
            );
          if (e.prevHash !== prevHash)
            return broken(e.seq, 'prev-mismatch', `Entry #${e.seq} does not follow #${e.seq - 1}.`);
          if (entryHash(e) !== e.hash)
            return broken(e.seq, 'hash-mismatch', `Entry #${e.seq} was changed after it was written.`);
          prevHash = e.hash;
          head = { seq: e.seq, hash: e.hash };
          expectedSeq += 1;
          entries += 1;
        }
        if (page.length < PAGE) break;
      }
      const want = o.expectedHead;
      if (want) {
        if ((head?.seq ?? 0) < want.seq)
          return broken(
            (head?.seq ?? 0) + 1,
            'truncated',
            `The log ends at #${head?.seq ?? 0}, before the expected head #${want.seq}.`,
          );
        const [at] = await backend.read(want.seq, 1);
        const known = at?.seq === want.seq ? at.hash : head?.seq === want.seq ? head.hash : null;
        if (known !== want.hash && !(checkpoint && checkpoint.seq > want.seq))
          return broken(want.seq, 'hash-mismatch', `Entry #${want.seq} differs from the expected head.`);
      }
      return { ok: true, entries, head, checkpoint };
    },
    prune,
    async pruneBefore(before) {
      const cp = await backend.checkpoint();
      let through = 0;
      let from = (cp?.seq ?? 0) + 1;
      for (;;) {
        const page = await backend.read(from, PAGE);
        for (const e of page) {
          if (e.at >= before) return through > 0 ? prune(through) : null;
          through = e.seq;
        }
        if (page.length < PAGE) break;
        from = page[page.length - 1]!.seq + 1;
      }
      // Pruning everything is fine: the checkpoint becomes the head the next append builds on.
      return through > 0 ? prune(through) : null;
    },
  };
}
