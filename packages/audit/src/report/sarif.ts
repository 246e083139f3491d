import type { AuditReport } from '../audit.ts';
import type { Severity } from '../findings.ts';
import { RULES, type RuleId } from '../mappings.ts';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};
const SECURITY_SEVERITY: Record<Severity, string> = { high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

/** The report as SARIF 2.1.0: every rule with its mappings, one result per finding. */
export function renderSarif(report: AuditReport): string {
  const ids = Object.keys(RULES) as RuleId[];
  const rules = ids.map((id) => {
    const r = RULES[id];
    const m = r.mapping;
    return {
      id,
      name: id
        .toLowerCase()
        .split('-')
        .map((w) => (w[0]?.toUpperCase() ?? '') + w.slice(1))
        .join(''),
      shortDescription: { text: r.title },
      fullDescription: { text: r.description },
      help: { text: r.recommendation, markdown: `**Fix:** ${r.recommendation}` },
      defaultConfiguration: { level: LEVEL[r.severity] },
      properties: {
        tags: [
          'security',
          'session-management',
          ...m.cwe.map((c) => `external/cwe/cwe-${c}`),
          ...m.wstg,
          ...m.asvs.map((a) => `ASVS-5.0-${a}`),
        ],
        'security-severity': SECURITY_SEVERITY[r.severity],
        check: r.check,
        asvs: m.asvs,
        wstg: m.wstg,
        cwe: m.cwe.map((c) => `CWE-${c}`),
        stride: m.stride,
        ...(m.zap ? { zapRules: m.zap } : {}),
      },
    };
  });
  const results = report.findings.map((f) => ({
    ruleId: f.ruleId,
    ruleIndex: ids.indexOf(f.ruleId),
    level: LEVEL[f.severity],
    message: {
      text: `${f.title}. ${f.evidence.join('; ')}${f.fix ? ` How to fix in ${f.fix.stack}: ${f.fix.hint}` : ''}`,
    },
    locations: [{ physicalLocation: { artifactLocation: { uri: `${report.target}/` } } }],
    partialFingerprints: { 'tesseraAudit/v1': `${f.ruleId}:${report.target}` },
    properties: {
      severity: f.severity,
      'security-severity': SECURITY_SEVERITY[f.severity],
      steps: f.steps.map((s) => s.action),
      ...(f.fix ? { fix: f.fix } : {}),
    },
  }));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: report.tool.name, version: report.tool.version, rules } },
        invocations: [
          { executionSuccessful: true, startTimeUtc: report.startedAt, endTimeUtc: report.finishedAt },
        ],
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
