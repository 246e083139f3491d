import type { AuditBackend, AuditCheckpoint, AuditEntry } from './types.ts';

/**
 * An in-process audit backend for tests and single-process development. Appends are synchronous
 * inside the promise, so they are serialised by the event loop.
 */
export function memoryAuditBackend(): AuditBackend & { readonly entries: AuditEntry[] } {
  const entries: AuditEntry[] = [];
  let cp: AuditCheckpoint | null = null;
  return {
    entries,
    async append(build) {
      const last = entries.at(-1);
      const head = last ? { seq: last.seq, hash: last.hash } : cp ? { seq: cp.seq, hash: cp.hash } : null;
      const added = build(head).map((e) => Object.freeze({ ...e }));
      entries.push(...added);
      return added;
    },
    async read(fromSeq, limit) {
      const out: AuditEntry[] = [];
      for (const e of entries) {
        if (e.seq < fromSeq) continue;
        out.push(e);
        if (out.length >= limit) break;
      }
      return out;
    },
    async checkpoint() {
      return cp;
    },
    async prune(checkpoint) {
      cp = checkpoint;
      const keep = entries.filter((e) => e.seq > checkpoint.seq);
      const removed = entries.length - keep.length;
      entries.splice(0, entries.length, ...keep);
      return removed;
    },
  };
}
