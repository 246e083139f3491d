import type { AuditReport } from '../audit.ts';

/** The report as JSON, shaped by `schema/report.schema.json`. */
export function renderJson(report: AuditReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
