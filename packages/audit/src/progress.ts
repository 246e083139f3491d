import cliProgress from 'cli-progress';
import type { AuditReport } from './audit.ts';
import { formatDuration } from './duration.ts';
import { type CheckResult, SEVERITIES } from './findings.ts';
import type { ProgressEvent } from './session.ts';

/** Where progress goes and how: a terminal gets a bar, anything else a line every few seconds. */
export interface ProgressOptions {
  tty: boolean;
  /** ANSI colours (a terminal without NO_COLOR). */
  color: boolean;
  /** Seconds between lines when not a terminal (default 5). */
  intervalMs?: number;
  now?: () => number;
}

/** Reports an audit as it runs: each check as it ends, long phases, and a closing summary. */
export interface ProgressReporter {
  phase: (e: ProgressEvent) => void;
  check: (r: Pick<CheckResult, 'check' | 'status' | 'summary' | 'durationMs'>) => void;
  summary: (report: AuditReport, written: readonly string[]) => void;
  stop: () => void;
}

const PAINT = {
  passed: 32,
  failed: 31,
  skipped: 33,
  error: 35,
  high: 31,
  medium: 33,
  low: 36,
  info: 90,
} as const;

/** True when colours are wanted: a terminal, and NO_COLOR unset or empty (https://no-color.org). */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

/** A progress reporter writing to `write` (stderr in the CLI). */
export function progressReporter(
  write: (text: string) => void,
  stream: NodeJS.WritableStream | undefined,
  options: ProgressOptions,
): ProgressReporter {
  const now = options.now ?? Date.now;
  const paint = (key: keyof typeof PAINT, text: string) =>
    options.color ? `\u001b[${PAINT[key]}m${text}\u001b[39m` : text;
  let bar: cliProgress.SingleBar | undefined;
  let phase = '';
  let phaseStart = 0;
  let lastLine = Number.NEGATIVE_INFINITY;
  const stopBar = () => {
    bar?.stop();
    bar = undefined;
  };
  const eta = (e: ProgressEvent): string => {
    const elapsed = now() - phaseStart;
    if (e.done === 0 || elapsed < 500) return '';
    const left = (elapsed / e.done) * (e.total - e.done);
    return `, about ${formatDuration(left)} left`;
  };
  return {
    phase(e) {
      if (e.phase !== phase) {
        stopBar();
        phase = e.phase;
        phaseStart = now();
        lastLine = Number.NEGATIVE_INFINITY;
        if (options.tty && stream) {
          bar = new cliProgress.SingleBar(
            {
              stream,
              format: `${e.phase.padEnd(18)} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
              hideCursor: true,
              etaBuffer: 200,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(e.total, 0);
        }
      }
      if (bar) {
        bar.setTotal(e.total);
        bar.update(e.done);
      } else if (now() - lastLine >= (options.intervalMs ?? 5000)) {
        lastLine = now();
        write(
          `  ${e.phase}: ${e.done}/${e.total} (${Math.floor((100 * e.done) / Math.max(1, e.total))}%${eta(e)})\n`,
        );
      }
    },
    check(r) {
      stopBar();
      phase = '';
      const mark = { passed: '✓', failed: '✗', skipped: '-', error: '!' }[r.status];
      write(
        `${paint(r.status, `${mark} ${r.check.padEnd(18)} ${r.status}`)}  ${r.summary} (${formatDuration(r.durationMs)})\n`,
      );
    },
    summary(report, written) {
      stopBar();
      const counts = SEVERITIES.map((s) => paint(s, `${report.counts[s]} ${s}`)).join(', ');
      const lines = [
        '',
        `${report.findings.length} finding${report.findings.length === 1 ? '' : 's'} (${counts}) in ${formatDuration(report.durationMs)}, ${report.requestsSent} requests` +
          (report.sampling
            ? `; ${report.sampling.collected} tokens sampled at ${Math.round((report.sampling.requestsSent * 1000) / Math.max(1, report.sampling.durationMs))} requests/s`
            : ''),
      ];
      for (const f of report.findings.slice(0, 5))
        lines.push(`  ${paint(f.severity, f.severity.toUpperCase().padEnd(6))} ${f.title} (${f.ruleId})`);
      if (report.findings.length > 5) lines.push(`  … and ${report.findings.length - 5} more in the report`);
      for (const w of written) lines.push(`Report written to ${w}`);
      write(`${lines.join('\n')}\n`);
    },
    stop: stopBar,
  };
}
