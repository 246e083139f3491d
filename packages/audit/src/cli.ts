import { writeFile } from 'node:fs/promises';
import { stripVTControlCharacters } from 'node:util';
import { type ArgsDef, defineCommand, parseArgs, renderUsage } from 'citty';
import { type AuditReport, failsGate, parseTarget, runAudit } from './audit.ts';
import { AuditError, isAuditError } from './errors.ts';
import { CHECK_IDS, type CheckId, type Severity } from './findings.ts';
import { discover, profileYaml } from './init.ts';
import { loadProfile } from './profile.ts';
import { type ProgressReporter, progressReporter, wantsColor } from './progress.ts';
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
  /** ANSI colours in usage text (a terminal without NO_COLOR); off by default. */
  color?: boolean;
  /** Progress for long phases (the bar in a terminal). */
  onProgress?: (e: ProgressEvent) => void;
  /** Per-check lines, phases and the closing summary (the binary's stderr). */
  progress?: ProgressReporter;
}

const FAIL_ON = ['high', 'medium', 'low'] as const;

const auditArgs = {
  target: {
    type: 'positional',
    required: false,
    description: 'Base URL of the application (default: profile target)',
  },
  profile: { type: 'string', required: true, description: 'Audit profile (YAML)' },
  format: {
    type: 'string',
    default: 'md',
    description: `Report format(s), comma-separated: ${FORMATS.join(', ')} (several need --out)`,
  },
  out: {
    type: 'string',
    description: 'Write the report to this file (with several formats: this path, one extension per format)',
  },
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

const initArgs = {
  target: { type: 'positional', required: true, description: 'Base URL or login page of the application' },
  out: { type: 'string', default: 'tessera-audit.yaml', description: 'Where to write the profile' },
  'username-env': {
    type: 'string',
    default: 'TESSERA_AUDIT_USERNAME',
    description: 'Environment variable holding the username',
  },
  'password-env': {
    type: 'string',
    default: 'TESSERA_AUDIT_PASSWORD',
    description: 'Environment variable holding the password',
  },
} as const satisfies ArgsDef;

const initCommand = defineCommand({
  meta: {
    name: 'init',
    description: 'Discover the login form and pages and write a commented audit profile',
  },
  args: initArgs,
});

/** `tessera-audit init <url>`: discovers the login and writes a profile; credentials stay in the environment. */
async function initMain(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, initArgs);
  const target = String(args.target);
  parseTarget(target);
  const env = io.env ?? {};
  const names = { username: String(args['username-env']), password: String(args['password-env']) };
  const username = env[names.username];
  const password = env[names.password];
  const credentials = username && password ? { username, password } : undefined;
  const discovery = await discover(target, credentials);
  const yaml = profileYaml(new URL(target).origin, discovery, names);
  const out = String(args.out);
  await writeFile(out, yaml, { flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') throw new AuditError('USAGE', `${out} exists; remove it or pass --out`);
    throw err;
  });
  for (const n of discovery.notes) io.stderr(`${n}\n`);
  io.stderr(`profile written to ${out}; review it, then: tessera-audit --profile ${out}\n`);
  return EXIT.CLEAN;
}

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

function parseFormats(value: string | undefined, out: string | undefined): Format[] {
  const list = [
    ...new Set(
      (value ?? 'md')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  const bad = list.filter((f) => !(FORMATS as readonly string[]).includes(f));
  if (bad.length || list.length === 0)
    throw new AuditError(
      'USAGE',
      `--format: unknown format ${bad.join(', ')} (known: ${FORMATS.join(', ')})`,
    );
  if (list.length > 1 && !out)
    throw new AuditError(
      'USAGE',
      '--format with several formats needs --out (a path; each format gets its extension)',
    );
  return list as Format[];
}

/** Where each format goes: `--out` itself for one format, else `--out` minus any extension, plus each format's. */
export function outputPaths(out: string, formats: readonly Format[]): Map<Format, string> {
  if (formats.length === 1) return new Map([[formats[0] as Format, out]]);
  const base = out.replace(/\.(md|html|json|sarif)$/i, '');
  return new Map(formats.map((f) => [f, `${base}.${f}`]));
}

async function emit(io: CliIo, text: string, out: string | undefined): Promise<void> {
  if (out) {
    await writeFile(out, text);
    if (!io.progress) io.stderr(`report written to ${out}\n`);
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
  const out = args.out as string | undefined;
  const formats = parseFormats(args.format as string | undefined, out);
  const report = await runAudit({
    target,
    profile,
    ...(samples !== undefined ? { samples } : {}),
    ...(only ? { only } : {}),
    ...(io.env ? { env: io.env } : {}),
    ...(io.onProgress ? { onProgress: io.onProgress } : {}),
  });
  // One audit, every format asked for.
  if (out)
    for (const [format, path] of outputPaths(out, formats)) await emit(io, render(report, format), path);
  else await emit(io, render(report, formats[0] as Format), undefined);
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
  const isInit = args[0] === 'init';
  const rest = isTokens || isInit ? args.slice(1) : args;
  if (rest.includes('--help') || rest.includes('-h') || args.length === 0) {
    const usage = isTokens
      ? await renderUsage(tokensCommand)
      : isInit
        ? await renderUsage(initCommand)
        : await renderUsage(auditCommand);
    io.stdout(
      `${io.color ? usage : stripVTControlCharacters(usage)}\n${isTokens || isInit ? '' : '\n  tessera-audit init <url> [--out tessera-audit.yaml]\n  tessera-audit tokens --file tokens.txt [--format json|md]\n'}`,
    );
    return args.length === 0 ? EXIT.ERROR : EXIT.CLEAN;
  }
  if (rest.includes('--version')) {
    io.stdout(`${VERSION}\n`);
    return EXIT.CLEAN;
  }
  try {
    if (isInit) return await initMain(rest, io);
    return isTokens ? await tokensMain(rest, io) : (await auditMain(rest, io)).code;
  } catch (err) {
    if (isAuditError(err)) io.stderr(`tessera-audit: ${err.code}: ${err.message}\n`);
    else if (err instanceof Error && err.name === 'CLIError')
      io.stderr(`tessera-audit: USAGE: ${stripVTControlCharacters(err.message)} (see --help)\n`);
    else
      io.stderr(
        `tessera-audit: INTERNAL: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
    return EXIT.ERROR;
  }
}

/** Entry point of the `tessera-audit` binary: the only code that touches process.argv and exit status. */
export async function main(): Promise<void> {
  const color = wantsColor(process.stderr, process.env);
  const progress = progressReporter((t) => process.stderr.write(t), process.stderr, {
    tty: process.stderr.isTTY === true,
    color,
  });
  const code = await runCli(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => {
      progress.stop();
      process.stderr.write(t);
    },
    env: process.env,
    color,
    progress,
  });
  progress.stop();
  process.exitCode = code;
}
