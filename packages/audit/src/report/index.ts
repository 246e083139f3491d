import type { AuditReport } from '../audit.ts';
import { renderHtml } from './html.ts';
import { renderJson } from './json.ts';
import { renderMarkdown } from './markdown.ts';
import { renderSarif } from './sarif.ts';

/** Output formats of `--format`. */
export const FORMATS = ['md', 'html', 'json', 'sarif'] as const;
export type Format = (typeof FORMATS)[number];

/** Renders a report in the given format. */
export function render(report: AuditReport, format: Format): string {
  switch (format) {
    case 'md':
      return renderMarkdown(report);
    case 'html':
      return renderHtml(report);
    case 'json':
      return renderJson(report);
    case 'sarif':
      return renderSarif(report);
  }
}
