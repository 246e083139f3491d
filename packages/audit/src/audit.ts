import { checkCaching } from './checks/caching.ts';
import { checkCookieAttributes } from './checks/cookie-attributes.ts';
import { checkCsrf } from './checks/csrf.ts';
import { checkFixation } from './checks/fixation.ts';
import { checkLogout } from './checks/logout.ts';
import { checkRandomness, type SamplingStats } from './checks/randomness.ts';
import { checkRotation } from './checks/rotation.ts';
import { identifySessionCookie } from './checks/session-cookie.ts';
import { checkTimeouts } from './checks/timeout.ts';
import { checkTokenInUrl } from './checks/token-in-url.ts';
import type { CheckOutcome, CheckRunner } from './checks/types.ts';
import { AuditError, type AuditErrorCode, isAuditError } from './errors.ts';
import {
  CHECK_IDS,
  type CheckId,
  type CheckResult,
  countBySeverity,
  type Finding,
  type Severity,
  severityRank,
} from './findings.ts';
import type { Exchange } from './http/client.ts';
import { Throttle } from './http/limits.ts';
import { makeRedactor, redactDeep } from './http/redact.ts';
import { type Credentials, type Profile, resolveCredentials, resolveLimits } from './profile.ts';
import { login, newClient, type ProbeContext, type ProgressEvent, rememberCookieValues } from './session.ts';
import { detectStack, fixHint, STACK_NAMES } from './stack.ts';
import type { RandomnessReport } from './token-analysis.ts';
import { VERSION } from './version.ts';

/** Tool version written into reports (from package.json). */
export { VERSION } from './version.ts';

/** Default number of session tokens sampled for the randomness check. */
export const DEFAULT_SAMPLES = 20_000;

/** Inputs of one audit. */
export interface AuditOptions {
  /** Base URL of the target; only its origin is probed. */
  target: string;
  profile: Profile;
  /** Tokens to sample for the randomness check (default: profile, else 20,000). */
  samples?: number;
  /** Run only these checks (session-cookie identification always runs when needed). */
  only?: readonly CheckId[];
  /** Environment for `*Env` credentials (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  onProgress?: (event: ProgressEvent) => void;
  /** Called as each check ends (for per-check progress lines). */
  onCheck?: (result: CheckResult) => void;
  /** Injectable sleep, for tests. */
  sleep?: (ms: number) => Promise<void>;
}

/** The result of an audit, as serialised to JSON (see `schema/report.schema.json`). */
export interface AuditReport {
  schemaVersion: 1;
  tool: { name: 'tessera-audit'; version: string };
  target: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  sessionCookie: string | null;
  /** The stack recognised from outside (cookie names, headers), for fix hints; null if none. */
  stack: string | null;
  requestsSent: number;
  checks: CheckResult[];
  findings: Finding[];
  counts: Record<Severity, number>;
  randomness: RandomnessReport | null;
  /** How the randomness check sampled: sample size, time, requests/s, why it stopped. */
  sampling: SamplingStats | null;
}

const RUNNERS: Record<Exclude<CheckId, 'session-cookie'>, CheckRunner> = {
  'cookie-attributes': checkCookieAttributes,
  fixation: checkFixation,
  logout: checkLogout,
  rotation: checkRotation,
  csrf: checkCsrf,
  caching: checkCaching,
  timeout: checkTimeouts,
  randomness: checkRandomness,
  // last: it scans every exchange the other checks produced
  'token-in-url': checkTokenInUrl,
};

/** Parses a base URL; throws TARGET_INVALID for anything but http(s). */
export function parseTarget(target: string): URL {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new AuditError(
      'TARGET_INVALID',
      `"${target}" is not a URL (expected e.g. https://app.example.com)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AuditError('TARGET_INVALID', `"${target}": only http and https targets can be audited`);
  }
  return url;
}

async function timed(
  check: CheckId,
  run: () => Promise<CheckOutcome>,
  options: { rethrow?: AuditErrorCode[] } = {},
): Promise<CheckResult & { outcome?: CheckOutcome }> {
  const started = Date.now();
  try {
    const outcome = await run();
    const status = outcome.skipped
      ? 'skipped'
      : outcome.findings.some((f) => f.severity !== 'info')
        ? 'failed'
        : 'passed';
    const summary = outcome.skipped
      ? outcome.skipped
      : outcome.findings.length === 0
        ? 'no findings'
        : `${outcome.findings.length} finding${outcome.findings.length === 1 ? '' : 's'}`;
    return {
      check,
      status,
      summary,
      findings: outcome.findings,
      notes: outcome.notes,
      durationMs: Date.now() - started,
      outcome,
    };
  } catch (err) {
    if (options.rethrow && isAuditError(err, ...options.rethrow)) throw err;
    const msg = isAuditError(err)
      ? `${err.code}: ${err.message}`
      : err instanceof Error
        ? err.message
        : String(err);
    return {
      check,
      status: 'error',
      summary: `error: ${msg}`,
      findings: [],
      notes: [],
      durationMs: Date.now() - started,
    };
  }
}

/**
 * Audits a running application's session handling. Verifies the target answers and the login
 * works (throws TARGET_UNREACHABLE / LOGIN_FAILED otherwise), identifies the session cookie, then
 * runs each selected check; a check that fails to run is reported with status `error`.
 *
 * @example
 * ```ts
 * const profile = await loadProfile('audit.yaml');
 * const report = await runAudit({ target: 'http://127.0.0.1:3000', profile, samples: 2000 });
 * if (failsGate(report, 'medium')) console.log(render(report, 'md'));
 * ```
 */
export async function runAudit(options: AuditOptions): Promise<AuditReport> {
  const started = Date.now();
  const target = parseTarget(options.target);
  const profile = options.profile;
  const credentials: Credentials = resolveCredentials(profile, options.env ?? process.env);
  const throttle = new Throttle(resolveLimits(profile, target));
  const log: Exchange[] = [];
  const ctx: ProbeContext = {
    target,
    profile,
    credentials,
    throttle,
    log,
    secrets: new Set(),
    sessionCookie: undefined,
    samples: options.samples ?? profile.randomness?.samples ?? DEFAULT_SAMPLES,
    onProgress: options.onProgress,
    sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
  };

  // Reachability and login first: without them nothing else means anything.
  try {
    await newClient(ctx).send({ path: profile.loggedIn.path });
  } catch (err) {
    if (isAuditError(err, 'TARGET_UNREACHABLE')) {
      throw new AuditError('TARGET_UNREACHABLE', `cannot reach ${target.origin}: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
  await login(newClient(ctx), ctx);

  const selected = new Set<CheckId>(options.only && options.only.length > 0 ? options.only : CHECK_IDS);
  const results: CheckResult[] = [];
  const identification = await timed('session-cookie', () => identifySessionCookie(ctx), {
    rethrow: ['SESSION_COOKIE_MISMATCH', 'SESSION_COOKIE_NOT_FOUND'],
  });
  if (identification.status === 'error') {
    const reason = identification.summary.replace(/^error: /, '');
    throw new AuditError('SESSION_COOKIE_NOT_FOUND', reason);
  }
  if (selected.has('session-cookie')) {
    results.push(strip(identification));
    options.onCheck?.(strip(identification));
  }

  let randomness: RandomnessReport | null = null;
  let sampling: SamplingStats | null = null;
  for (const [id, runner] of Object.entries(RUNNERS) as Array<
    [Exclude<CheckId, 'session-cookie'>, CheckRunner]
  >) {
    if (!selected.has(id)) continue;
    const r = await timed(id, () => runner(ctx));
    const extra = r.outcome as { report?: RandomnessReport; sampling?: SamplingStats } | undefined;
    if (extra?.report) randomness = extra.report;
    if (extra?.sampling) sampling = extra.sampling;
    results.push(strip(r));
    options.onCheck?.(strip(r));
  }

  const stack = detectStack(ctx.sessionCookie, log);
  const withHint = (f: Finding): Finding => {
    const hint = fixHint(stack, f.ruleId);
    return hint && stack ? { ...f, fix: { stack: STACK_NAMES[stack], hint } } : f;
  };
  for (const r of results) r.findings = r.findings.map(withHint);
  const findings = results
    .flatMap((r) => r.findings)
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  const report: AuditReport = {
    schemaVersion: 1,
    tool: { name: 'tessera-audit', version: VERSION },
    target: target.origin,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
    sessionCookie: ctx.sessionCookie ?? null,
    stack: stack ? STACK_NAMES[stack] : null,
    requestsSent: throttle.sent,
    checks: results,
    findings,
    counts: countBySeverity(findings),
    randomness,
    sampling,
  };
  return redactReportDeep(report, ctx);
}

/**
 * The last line of defence: every string of the report passes through one redactor holding every
 * cookie value the audit sent or received and every session-named parameter value, so no field of
 * any format can carry a usable token, however a check phrased it.
 */
function redactReportDeep(report: AuditReport, ctx: ProbeContext): AuditReport {
  const names = new Set<string>();
  for (const ex of ctx.log) {
    rememberCookieValues(ctx, ex);
    for (const line of ex.setCookie) names.add(line.split('=')[0]?.trim() ?? '');
    for (const part of (ex.requestHeaders.cookie ?? '').split(';'))
      names.add(part.split('=')[0]?.trim() ?? '');
  }
  if (ctx.sessionCookie) names.add(ctx.sessionCookie);
  const tokens = makeRedactor(ctx.secrets, names);
  const pw = ctx.credentials.password;
  const redact = (text: string): string => {
    let out = text;
    if (pw.length >= 4)
      out = out.split(encodeURIComponent(pw)).join('[password]').split(pw).join('[password]');
    return tokens(out);
  };
  return redactDeep(report, redact);
}

function strip(r: CheckResult & { outcome?: CheckOutcome }): CheckResult {
  const { outcome: _outcome, ...rest } = r;
  return rest;
}

/** True when some finding is at or above `threshold` (the `--fail-on` gate). */
export function failsGate(report: AuditReport, threshold: Exclude<Severity, 'info'>): boolean {
  return report.findings.some((f) => severityRank(f.severity) >= severityRank(threshold));
}
