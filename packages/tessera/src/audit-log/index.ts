/**
 * The tamper-evident audit log: a hash chain over any backend, signed checkpoints for retention,
 * and a `verify` that names the first broken link.
 * @module
 */
export {
  type AuditLog,
  type AuditLogOptions,
  type AuditRecordInput,
  createAuditLog,
  entryHash,
} from './log.ts';
export { memoryAuditBackend } from './memory.ts';
export { type PostgresAuditBackendOptions, postgresAuditBackend } from './postgres.ts';
export { type RedisAuditBackendOptions, redisAuditBackend } from './redis.ts';
export {
  type CheckpointSigner,
  type CheckpointVerifier,
  checkpointPayload,
  ed25519CheckpointKey,
  ed25519CheckpointVerifier,
  hmacCheckpointKey,
} from './signing.ts';
export { type SqliteAuditBackendOptions, sqliteAuditBackend } from './sqlite.ts';
export {
  type AuditBackend,
  type AuditBreak,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditHead,
  type AuditVerifyResult,
  GENESIS,
} from './types.ts';
