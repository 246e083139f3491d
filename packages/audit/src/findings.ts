import { RULES, type RuleId } from './mappings.ts';

/** How bad a finding is; `info` never fails a CI gate. */
export type Severity = 'high' | 'medium' | 'low' | 'info';

/** Severities from worst to mildest. */
export const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low', 'info'];

/** Numeric rank for comparisons: high 3 … info 0. */
export function severityRank(s: Severity): number {
  return 3 - SEVERITIES.indexOf(s);
}

/** The checks the auditor runs, by the name `--only` takes. */
export const CHECK_IDS = [
  'session-cookie',
  'cookie-attributes',
  'token-in-url',
  'fixation',
  'logout',
  'timeout',
  'rotation',
  'csrf',
  'caching',
  'randomness',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

/** A reproduction step actually taken: what was sent and what came back, secrets redacted. */
export interface Step {
  action: string;
  request?: string;
  response?: string;
}

/** Standards a finding maps to. */
export interface Mapping {
  asvs: string[];
  wstg: string[];
  cwe: number[];
  stride: Array<
    | 'Spoofing'
    | 'Tampering'
    | 'Repudiation'
    | 'Information disclosure'
    | 'Denial of service'
    | 'Elevation of privilege'
  >;
  zap?: number[];
}

/** One problem found, with everything the report needs. */
export interface Finding {
  ruleId: RuleId;
  check: CheckId;
  title: string;
  severity: Severity;
  description: string;
  impact: string;
  likelihood: string;
  evidence: string[];
  steps: Step[];
  recommendation: string;
  mapping: Mapping;
  /** How to fix it on the recognised stack, when the auditor recognised one. */
  fix?: { stack: string; hint: string };
}

/** The outcome of one check: passed with no findings, failed with findings, skipped or errored. */
export interface CheckResult {
  check: CheckId;
  status: 'passed' | 'failed' | 'skipped' | 'error';
  summary: string;
  findings: Finding[];
  /** Measurements and observations that are not findings (e.g. the measured idle timeout). */
  notes: string[];
  durationMs: number;
}

/** Builds a finding from the rule catalogue plus what was observed. */
export function makeFinding(
  ruleId: RuleId,
  observed: { evidence: string[]; steps: Step[]; severity?: Severity; detail?: string },
): Finding {
  const rule = RULES[ruleId];
  return {
    ruleId,
    check: rule.check,
    title: rule.title,
    severity: observed.severity ?? rule.severity,
    description: observed.detail ? `${rule.description} ${observed.detail}` : rule.description,
    impact: rule.impact,
    likelihood: rule.likelihood,
    evidence: observed.evidence,
    steps: observed.steps,
    recommendation: rule.recommendation,
    mapping: rule.mapping,
  };
}

/** Counts findings per severity. */
export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}
