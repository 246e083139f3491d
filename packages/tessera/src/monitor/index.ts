/**
 * Monitoring and detection (`@tessera-sessions/core/monitor`): structured logs, the audit sink,
 * detection rules with a detections API, and signed webhooks. Prometheus metrics live in
 * `@tessera-sessions/core/monitor/prometheus` (they need `prom-client`).
 * @module
 */
export { AUDIT_SKIPPED, type AuditSink, auditSink } from './audit-sink.ts';
export {
  type Detection,
  type DetectionParty,
  type DetectionQuery,
  type DetectionStore,
  memoryDetectionStore,
  postgresDetectionStore,
  type RuleAction,
  type RuleId,
  sqliteDetectionStore,
} from './detections.ts';
export { AddressThrottledError, createDetector, type Detector, type DetectorOptions } from './detector.ts';
export { EVENT_LEVELS, logSink, type StructuredLogger } from './log-sink.ts';
export {
  SIGNATURE_HEADER,
  signWebhook,
  verifyWebhookSignature,
  type WebhookOptions,
  type WebhookSink,
  type WebhookStats,
  webhookSink,
} from './webhook.ts';
