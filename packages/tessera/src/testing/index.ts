/**
 * Test utilities for Tessera stores and integrations (`@tessera-sessions/core/testing`).
 * @module
 */

export {
  type AuditBackendUnderTest,
  type AuditTamper,
  defineAuditConformanceSuite,
} from './audit-conformance.ts';
export {
  defineStoreConformanceSuite,
  randomSessionId,
  STORE_CONFORMANCE_CASES,
  type StoreConformanceCaseId,
  type StoreConformanceOptions,
  type StoreUnderTest,
  sampleRecord,
  sampleTemplate,
  sampleTombstone,
} from './store-conformance.ts';
