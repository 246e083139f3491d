import { writeFile } from 'node:fs/promises';
import { type ArgsDef, defineCommand, parseArgs, renderUsage } from 'citty';
import { type AuditReport, failsGate, runAudit } from './audit.ts';
import { AuditError, isAuditError } from './errors.ts';
import { CHECK_IDS, type CheckId, type Severity } from './findings.ts';
import { loadProfile } from './profile.ts';
import { progressBar } from './progress.ts';
import { FORMATS, type Format, render } from './report/index.ts';
import type { ProgressEvent } from './session.ts';
import { analyzeTokenFile, tokensMarkdown } from './tokens-command.ts';
import { VERSION } from './version.ts';

/** Exit codes: 0 clean, 1 findings at or above `--fail-on` (or weak tokens), 2 usage or runtime error. */
export const EXIT = { CLEAN: 0, FINDINGS: 1, ERROR: 2 } as const;

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Progress for long phases (the bar in a terminal). */
  onProgress?: (e: ProgressEvent) => void;
}

const FAIL_ON = ['high', 'medium', 'low'] as const;

const auditArgs = {
  target: {
    type: 'positional',
    required: false,
    description: 'Base URL of the application (default: profile target)',
  },
  profile: { type: 'string', required: true, description: 'Audit profile (YAML)' },
  format: { type: 'enum', options: [...FORMATS], default: 'md', description: 'Report format' },
  out: { type: 'string', description: 'Write the report to this file instead of stdout' },
  'fail-on': {
    type: 'enum',
    options: [...FAIL_ON],
    default: 'medium',
    description: 'Exit 1 when a finding is at or above this severity',
  },
  samples: {
    type: 'string',
    description: 'Session tokens to sample for the randomness check (default 20000)',
  },
  only: { type: 'string', description: `Comma-separated checks to run: ${CHECK_IDS.join(', ')}` },
  'long-running': {
    type: 'boolean',
    description: 'Measure idle/absolute timeouts (waits as long as declared)',
  },
} as const satisfies ArgsDef;

const auditCommand = defineCommand({
  meta: {
    name: 'tessera-audit',
    version: VERSION,
    description: 'Audit the session management of a running web application',
  },
  args: auditArgs,
});

const tokensArgs = {
  file: { type: 'string', required: true, description: 'File of tokens, one per line' },
  format: { type: 'enum', options: ['json', 'md'], default: 'json', description: 'Output format' },
  out: { type: 'string', description: 'Write to this file instead of stdout' },
} as const satisfies ArgsDef;

const tokensCommand = defineCommand({
  meta: { name: 'tokens', description: 'Analyse a file of tokens (one per line) for randomness' },
  args: tokensArgs,
});

function parseOnly(value: string | undefined): CheckId[] | undefined {
  if (!value) return undefined;
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.filter((c) => !(CHECK_IDS as readonly string[]).includes(c));
  if (bad.length)
    throw new AuditError('USAGE', `--only: unknown check ${bad.join(', ')} (known: ${CHECK_IDS.join(', ')})`);
  return list as CheckId[];
}

function parseSamples(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 20 || n > 1_000_000)
    throw new AuditError('USAGE', `--samples: expected an integer from 20 to 1000000, got "${value}"`);
  return n;
}

async function emit(io: CliIo, text: string, out: string | undefined): Promise<void> {
  if (out) {
    await writeFile(out, text);
    io.stderr(`report written to ${out}\n`);
  } else io.stdout(text);
}

/** Runs the audit command from parsed arguments; returns the report and the exit code. */
async function auditMain(argv: string[], io: CliIo): Promise<{ code: number; report: AuditReport }> {
  const args = parseArgs(argv, auditArgs);
  const profile = await loadProfile(String(args.profile));
  if (args['long-running']) profile.timeouts = { tolerance: 0.25, ...profile.timeouts, longRunning: true };
  const target = (args.target as string | undefined) ?? profile.target;
  if (!target)
    throw new AuditError('USAGE', 'give the base URL of the application (or "target" in the profile)');
  const samples = parseSamples(args.samples as string | undefined);
  const only = parseOnly(args.only as string | undefined);
  const report = await runAudit({
    target,
    profile,
    ...(samples !== undefined ? { samples } : {}),
    ...(only ? { only } : {}),
    ...(io.env ? { env: io.env } : {}),
    ...(io.onProgress ? { onProgress: io.onProgress } : {}),
  });
  await emit(io, render(report, String(args.format ?? 'md') as Format), args.out as string | undefined);
  const failOn = String(args['fail-on'] ?? 'medium') as Exclude<Severity, 'info'>;
  return { code: failsGate(report, failOn) ? EXIT.FINDINGS : EXIT.CLEAN, report };
}

async function tokensMain(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, tokensArgs);
  const file = String(args.file);
  const result = await analyzeTokenFile(file);
  const text =
    args.format === 'md'
      ? tokensMarkdown(file, result)
      : `${JSON.stringify({ ...result.report, heuristics: result.heuristics }, null, 2)}\n`;
  await emit(io, text, args.out as string | undefined);
  return result.report.verdict === 'strong' && result.heuristics.length === 0 ? EXIT.CLEAN : EXIT.FINDINGS;
}

/**
 * The whole CLI as a function: parses `argv` (without node and script), runs the audit or the
 * `tokens` subcommand, writes through `io`, and resolves to the exit code. Never exits the process.
 *
 * @example
 * ```ts
 * let out = '';
 * const code = await runCli(['http://127.0.0.1:3000', '--profile', 'audit.yaml', '--format', 'json'], {
 *   stdout: (t) => { out += t; },
 *   stderr: (t) => process.stderr.write(t),
 * });
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const args = [...argv];
  const isTokens = args[0] === 'tokens';
  const rest = isTokens ? args.slice(1) : args;
  if (rest.includes('--help') || rest.includes('-h') || args.length === 0) {
    const usage = isTokens ? await renderUsage(tokensCommand) : await renderUsage(auditCommand);
    io.stdout(
      `${usage}\n${isTokens ? '' : '\n  tessera-audit tokens --file tokens.txt [--format json|md]\n'}`,
    );
    return args.length === 0 ? EXIT.ERROR : EXIT.CLEAN;
  }
  if (rest.includes('--version')) {
    io.stdout(`${VERSION}\n`);
    return EXIT.CLEAN;
  }
  try {
    return isTokens ? await tokensMain(rest, io) : (await auditMain(rest, io)).code;
  } catch (err) {
    if (isAuditError(err)) io.stderr(`tessera-audit: ${err.code}: ${err.message}\n`);
    else if (err instanceof Error && err.name === 'CLIError')
      io.stderr(`tessera-audit: USAGE: ${err.message} (see --help)\n`);
    else
      io.stderr(
        `tessera-audit: INTERNAL: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
    return EXIT.ERROR;
  }
}

/** Entry point of the `tessera-audit` binary: the only code that touches process.argv and exit status. */
export async function main(): Promise<void> {
  const bar = process.stderr.isTTY ? progressBar(process.stderr) : undefined;
  const code = await runCli(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => {
      bar?.stop();
      process.stderr.write(t);
    },
    env: process.env,
    ...(bar ? { onProgress: bar.update } : {}),
  });
  bar?.stop();
  process.exitCode = code;
}
