/** tessera-audit: black-box auditor of web session management. */
export {
  type AuditOptions,
  type AuditReport,
  DEFAULT_SAMPLES,
  failsGate,
  runAudit,
  VERSION,
} from './audit.ts';
export { type CliIo, EXIT, runCli } from './cli.ts';
export { AuditError, type AuditErrorCode, isAuditError } from './errors.ts';
export {
  CHECK_IDS,
  type CheckId,
  type CheckResult,
  type Finding,
  type Severity,
  type Step,
} from './findings.ts';
export { RULES, type Rule, type RuleId } from './mappings.ts';
export { loadProfile, type Profile, parseProfile, parseProfileText } from './profile.ts';
export { FORMATS, type Format, render } from './report/index.ts';
