import type { AuditLog, AuditRecordInput } from '../audit-log/log.ts';
import { integerOption, rejectUnknownKeys } from '../config-check.ts';
import type { SessionEvent, SessionEventType } from '../engine/events.ts';
import type { SessionManager } from '../engine/session-manager.ts';

/**
 * Events left out of the audit log by default: high-volume, no lasting meaning (a flood of
 * invalid tokens must not flood the audit log; the detector records the flood once instead).
 */
export const AUDIT_SKIPPED: readonly SessionEventType[] = [
  'session.touched',
  'session.invalid_token',
  'session.rate_limited',
];

/** What {@link auditSink} returns. */
export interface AuditSink {
  /** Writes what is queued now; resolves when it is stored. */
  flush(): Promise<void>;
  /** Entries dropped because the queue was full (also recorded in the log as `audit.dropped`). */
  readonly dropped: number;
  /** Detaches from the manager after flushing. */
  stop(): Promise<void>;
}

/**
 * Appends the engine's events to an audit log. Events are queued and written in batches (one
 * transaction per batch, off the request path); a full queue drops the newest events and
 * records how many in an `audit.dropped` entry, so a gap is itself on the record.
 *
 * @example
 * const sink = auditSink(manager, createAuditLog({ backend: sqliteAuditBackend({ database: db }) }));
 */
export function auditSink(
  manager: SessionManager,
  log: AuditLog,
  options: { skip?: readonly SessionEventType[]; maxQueue?: number; onError?: (err: unknown) => void } = {},
): AuditSink {
  rejectUnknownKeys(options, ['skip', 'maxQueue', 'onError'], 'auditSink');
  const skip = new Set(options.skip ?? AUDIT_SKIPPED);
  const maxQueue = integerOption(options.maxQueue ?? 10_000, 'auditSink.maxQueue', 1);
  const onError =
    options.onError ??
    ((err: unknown) =>
      console.warn(`tessera: audit append failed: ${err instanceof Error ? err.message : String(err)}`));
  let queue: SessionEvent[] = [];
  let dropped = 0;
  let droppedUnrecorded = 0;
  let writing: Promise<void> | null = null;
  let scheduled = false;

  const write = async (): Promise<void> => {
    while (queue.length > 0 || droppedUnrecorded > 0) {
      const batch = queue;
      queue = [];
      const records: AuditRecordInput[] = batch.map(({ type, at, ...data }) => ({ kind: type, at, data }));
      if (droppedUnrecorded > 0) {
        records.push({ kind: 'audit.dropped', at: manager.now(), data: { count: droppedUnrecorded } });
        droppedUnrecorded = 0;
      }
      try {
        await log.appendMany(records);
      } catch (err) {
        onError(err);
      }
    }
  };
  const flush = (): Promise<void> => {
    scheduled = false;
    if (!writing)
      writing = write().finally(() => {
        writing = null;
      });
    return writing;
  };
  const off = manager.events.on('*', (e) => {
    if (skip.has(e.type)) return;
    if (queue.length >= maxQueue) {
      dropped++;
      droppedUnrecorded++;
      return;
    }
    queue.push(e);
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => void flush());
    }
  });
  return {
    async flush() {
      await flush();
      if (queue.length > 0) await flush();
    },
    get dropped() {
      return dropped;
    },
    async stop() {
      off();
      await this.flush();
    },
  };
}
