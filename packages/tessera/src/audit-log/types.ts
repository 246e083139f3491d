/**
 * The audit log's own small contract. An audit log is an append-only chain: every entry carries
 * the hash of the one before it, so editing, deleting or reordering any stored entry breaks the
 * chain at that point, and `verify` names it. Old entries can be pruned behind a signed
 * checkpoint, from which verification starts instead of the genesis.
 */

/** One stored entry. `hash` covers every other field (see `entryHash`). */
export interface AuditEntry {
  /** Position in the chain: 1, 2, 3, … without gaps. */
  readonly seq: number;
  /** Milliseconds since the epoch, from the writer's clock. */
  readonly at: number;
  /** What happened: an event type (`session.revoked`), `detection.raised`, … */
  readonly kind: string;
  /** The entry's facts as JSON text (hashed exactly as stored). Never a token or session data. */
  readonly body: string;
  /** `hash` of the entry before (the checkpoint's hash after a prune; {@link GENESIS} for the first). */
  readonly prevHash: string;
  /** SHA-256 (hex) over seq, at, kind, body and prevHash. */
  readonly hash: string;
}

/** The last link of a chain: what the next entry builds on. */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/**
 * A signed statement "the chain up to `seq` ended in `hash`", written when entries up to `seq`
 * are pruned. Verification starts from it; its signature proves nobody moved it.
 */
export interface AuditCheckpoint {
  readonly seq: number;
  readonly hash: string;
  /** When the checkpoint was made. */
  readonly at: number;
  readonly alg: 'hmac-sha256' | 'ed25519';
  /** Which key signed it (free text, e.g. a key ring id). */
  readonly keyId: string;
  /** base64url signature over {@link checkpointPayload}. */
  readonly signature: string;
}

/** The `prevHash` of entry 1. */
export const GENESIS = '0'.repeat(64);

/**
 * What a backend must provide. Every method is atomic with respect to every other writer of the
 * same log — other connections, other processes, other app servers.
 *
 * The chain's correctness rests on `append`: the head it passes to `build` must be the real
 * current head, and no other append may land between that read and the write (SQLite: an
 * IMMEDIATE transaction; PostgreSQL: a row lock on the head; Redis: a compare-and-append
 * script). A backend may call `build` more than once (retry after losing a race), so `build`
 * must be pure.
 */
export interface AuditBackend {
  /**
   * Atomically reads the head (the last entry, else the checkpoint, else null), builds the next
   * entries from it and appends them. Returns what was appended.
   */
  append(build: (head: AuditHead | null) => AuditEntry[]): Promise<AuditEntry[]>;
  /** Up to `limit` entries with `seq >= fromSeq`, in `seq` order. */
  read(fromSeq: number, limit: number): Promise<AuditEntry[]>;
  /** The current checkpoint, or null if nothing was ever pruned. */
  checkpoint(): Promise<AuditCheckpoint | null>;
  /**
   * Atomically stores `checkpoint` (replacing the previous one) and deletes every entry with
   * `seq <= checkpoint.seq`. Returns how many entries were deleted.
   */
  prune(checkpoint: AuditCheckpoint): Promise<number>;
  /** Releases what the backend itself opened (never the caller's client). */
  close?(): Promise<void>;
}

/** Why `verify` stopped. */
export type AuditBreak =
  /** An entry's stored hash does not match its contents: it was edited (or moved to another seq). */
  | 'hash-mismatch'
  /** An entry does not build on the one before it: the one before was edited, replaced or reordered. */
  | 'prev-mismatch'
  /** A sequence number is missing: an entry was deleted. */
  | 'missing'
  /** The checkpoint's signature does not verify: it was forged or altered. */
  | 'checkpoint-signature'
  /** The chain ends before the head a witness expected (entries were cut from the end). */
  | 'truncated';

/** The outcome of `verify`. */
export type AuditVerifyResult =
  | {
      ok: true;
      /** Entries checked. */
      entries: number;
      /** The last link (null for an empty log without a checkpoint). */
      head: AuditHead | null;
      checkpoint: AuditCheckpoint | null;
    }
  | {
      ok: false;
      /** Entries checked and found sound before the break. */
      entries: number;
      /** The sequence number of the first broken link. */
      brokenAt: number;
      reason: AuditBreak;
      /** One sentence for people. */
      message: string;
    };
