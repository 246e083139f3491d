import { AuditError, isAuditError } from '../errors.ts';
import { type Finding, makeFinding, type Step } from '../findings.ts';
import { type Exchange, HttpClient } from '../http/client.ts';
import { mapBounded } from '../http/limits.ts';
import { redactText, redactToken } from '../http/redact.ts';
import { detectPredictability, type TokenSample } from '../predictability.ts';
import { login, type ProbeContext, sendProfileRequest, visitLoginPage } from '../session.ts';
import { analyze, type RandomnessReport } from '../token-analysis.ts';
import { type CheckOutcome, requireSessionCookie } from './types.ts';

const REQUIRED_BITS = 128;

/** The part of a cookie value that is the token: URL-decoded, then `session.tokenPattern`'s first group. */
export function extractToken(value: string, pattern: string | undefined): string {
  let v = value;
  try {
    v = decodeURIComponent(value);
  } catch {
    // keep raw
  }
  if (!pattern) return v;
  const m = new RegExp(pattern).exec(v);
  return m?.[1] ?? m?.[0] ?? v;
}

type Issued = { sample: TokenSample } | { retryAfterMs: number } | { none: true };

function retryAfterMs(ex: Exchange): number {
  const h = ex.responseHeaders['retry-after'];
  const secs = h === undefined ? Number.NaN : Number(h);
  return Number.isFinite(secs) ? Math.max(100, secs * 1000) : 1000;
}

async function issueOne(ctx: ProbeContext, name: string, mode: 'page' | 'login'): Promise<Issued> {
  const client = new HttpClient(ctx.target, ctx.throttle); // no log: samples are many
  const requestedAt = Date.now();
  const issue = ctx.profile.session.issue;
  let exchanges: Exchange[];
  try {
    if (mode === 'login') exchanges = await login(client, ctx);
    else if (issue && issue !== 'login') exchanges = await sendProfileRequest(client, ctx, issue);
    else exchanges = [await visitLoginPage(client, ctx)];
  } catch (err) {
    // A rate-limited login shows up as LOGIN_FAILED; look at what the server said.
    if (isAuditError(err, 'LOGIN_FAILED') && /→ 429|answered 429/.test(err.message))
      return { retryAfterMs: 1000 };
    throw err;
  }
  const receivedAt = Date.now();
  const value = client.jar.get(name)?.value;
  if (value) return { sample: { value, requestedAt, receivedAt } };
  const limited = exchanges.find((ex) => ex.status === 429);
  return limited ? { retryAfterMs: retryAfterMs(limited) } : { none: true };
}

/**
 * Collects `n` freshly issued session tokens with bounded concurrency, reporting progress.
 * Honours HTTP 429 (Retry-After) and stops at 80% of the remaining time budget.
 */
export async function collectTokens(
  ctx: ProbeContext,
  n: number,
): Promise<{
  samples: TokenSample[];
  mode: 'page' | 'login';
  missing: number;
  rateLimited: number;
  stoppedEarly: boolean;
}> {
  const name = requireSessionCookie(ctx);
  let mode: 'page' | 'login' = ctx.profile.session.issue === 'login' ? 'login' : 'page';
  if (mode === 'page' && 'none' in (await issueOne(ctx, name, 'page'))) mode = 'login';
  const deadline = Date.now() + ctx.throttle.remainingMs() * 0.8;
  let done = 0;
  let missing = 0;
  let rateLimited = 0;
  let pauseUntil = 0;
  let stoppedEarly = false;
  const results = await mapBounded(
    Array.from({ length: n }, (_, i) => i),
    ctx.throttle.limits.concurrency,
    async (): Promise<TokenSample | undefined> => {
      for (;;) {
        if (stoppedEarly || Date.now() > deadline) {
          stoppedEarly = true;
          return undefined;
        }
        if (pauseUntil > Date.now()) await ctx.sleep(Math.min(pauseUntil, deadline) - Date.now());
        let r: Issued;
        try {
          r = await issueOne(ctx, name, mode);
        } catch (err) {
          if (isAuditError(err, 'TIME_BUDGET_EXCEEDED', 'REQUEST_LIMIT')) {
            stoppedEarly = true;
            return undefined;
          }
          throw err;
        }
        if ('retryAfterMs' in r) {
          rateLimited++;
          pauseUntil = Math.max(pauseUntil, Date.now() + r.retryAfterMs);
          continue;
        }
        done++;
        ctx.onProgress?.({ phase: 'token sampling', done, total: n });
        if ('none' in r) {
          missing++;
          return undefined;
        }
        return r.sample;
      }
    },
  );
  return {
    samples: results.filter((s): s is TokenSample => s !== undefined),
    mode,
    missing,
    rateLimited,
    stoppedEarly,
  };
}

/**
 * Token randomness: samples fresh session tokens (profile or `--samples`, default 20,000),
 * looks for counters, clocks and hashed clocks, then runs the statistical analysis. Findings
 * for predictable, duplicated, short or statistically weak tokens.
 */
export async function checkRandomness(
  ctx: ProbeContext,
): Promise<CheckOutcome & { report?: RandomnessReport }> {
  const name = requireSessionCookie(ctx);
  const n = ctx.samples;
  const { samples, mode, missing, rateLimited, stoppedEarly } = await collectTokens(ctx, n);
  if (samples.length < 20) {
    throw new AuditError(
      'TIME_BUDGET_EXCEEDED',
      `only ${samples.length} tokens collected (of ${n}); raise limits.totalTime or lower --samples`,
    );
  }
  const pattern = ctx.profile.session.tokenPattern;
  const tokens = samples.map((s) => extractToken(s.value, pattern));
  for (const t of tokens.slice(0, 3)) ctx.secrets.add(t);
  const normalised = samples.map((s, i) => ({ ...s, value: tokens[i] as string }));
  const steps: Step[] = [
    {
      action: `Request ${n} fresh sessions (${mode === 'login' ? 'a full login each' : 'an anonymous page visit each'}, concurrency ${ctx.throttle.limits.concurrency}) and keep each "${name}" value${pattern ? ` (token part by pattern ${pattern})` : ''}`,
      response: `${samples.length} tokens collected${missing ? `, ${missing} responses without a session cookie` : ''}; e.g. ${tokens.slice(0, 3).map(redactToken).join(', ')}`,
    },
  ];
  const collection: string[] = [];
  if (samples.length < n) collection.push(`Collected ${samples.length} of ${n} requested tokens.`);
  if (rateLimited)
    collection.push(
      `The server rate-limited session creation (${rateLimited} HTTP 429 answers; Retry-After honoured).`,
    );
  if (stoppedEarly)
    collection.push('Sampling stopped at 80% of the time budget (raise limits.totalTime for more).');
  if (missing) collection.push(`${missing} responses carried no session cookie.`);
  const findings: Finding[] = [];
  const notes: string[] = [...collection];
  for (const p of detectPredictability(normalised)) {
    findings.push(
      makeFinding(p.kind === 'duplicate' ? 'TOKEN-DUPLICATE' : 'TOKEN-PREDICTABLE', {
        evidence: [p.detail],
        steps,
      }),
    );
  }
  const report = redactReport(await analyze(tokens), [
    ...new Set([...tokens, ...samples.map((x) => x.value)]),
  ]);
  steps.push({
    action:
      'Run the statistical analysis (FIPS 140-2, NIST SP 800-22, SP 800-90B min-entropy) on the decoded tokens',
    response: report.summary,
  });
  const failed = report.tests.filter((t) => !t.passed);
  notes.push(
    `${report.sampleSize} tokens, ${report.encoding}, length ${report.length.min}–${report.length.max}, alphabet of ${report.alphabetSize}; ` +
      `${report.tests.length - failed.length}/${report.tests.length} tests passed; assessed entropy ≈ ${report.assessedEntropyBits.toFixed(1)} of ${Math.floor(report.nominalBits)} nominal bits; verdict ${report.verdict}.`,
  );
  if (report.verdict !== 'strong') {
    findings.push(
      makeFinding('TOKEN-WEAK-RANDOMNESS', {
        severity: report.verdict === 'broken' ? 'high' : 'medium',
        evidence: [
          `verdict: ${report.verdict} — ${report.summary}`,
          ...failed
            .slice(0, 8)
            .map(
              (t) =>
                `${t.name} (${t.standard}): statistic ${fmt(t.statistic)}, p = ${t.pValue === null ? 'n/a' : fmt(t.pValue)}`,
            ),
          ...report.patterns.slice(0, 5).map((p) => `pattern ${p.kind}: ${p.detail}`),
        ],
        steps,
      }),
    );
  }
  // Judge by the analysis' assessed figure (the nominal bits while the sample is consistent with
  // full entropy). While the min-entropy estimate is not yet informative (a small sample), only
  // the nominal bits — what length and alphabet allow at most — are held against the token.
  const bits = report.estimateInformative ? report.assessedEntropyBits : report.nominalBits;
  if (bits < REQUIRED_BITS) {
    findings.push(
      makeFinding('TOKEN-LOW-ENTROPY', {
        severity: bits < 64 ? 'high' : 'medium',
        evidence: [
          `at most ${Math.floor(report.nominalBits)} bits by length and alphabet (${report.length.max} characters of ${report.alphabetSize})`,
          `assessed entropy ${report.assessedEntropyBits.toFixed(1)} bits; min-entropy estimate ${report.effectiveEntropyBits.toFixed(1)} bits from ${report.sampleSize} samples${report.estimateInformative ? '' : ' (sample too small for the estimate to count)'}`,
          `required: ${REQUIRED_BITS} bits (ASVS V7.2.3)`,
        ],
        steps,
      }),
    );
  } else if (!report.estimateInformative) {
    notes.push(
      `The min-entropy estimate from ${report.sampleSize} samples is not yet informative; audit with --samples 20000 for a firm figure.`,
    );
  }
  return { findings, notes, report };
}

function fmt(x: number): string {
  return Math.abs(x) >= 1000 || (Math.abs(x) < 0.001 && x !== 0) ? x.toExponential(3) : x.toFixed(4);
}

/**
 * The analysis' free text (summary, pattern and test details) may quote sample values; the
 * report must never carry a whole token, so every sampled token in it is redacted.
 */
export function redactReport(report: RandomnessReport, tokens: readonly string[]): RandomnessReport {
  const long = tokens.filter((t) => t.length >= 6);
  const clean = (text: string): string => {
    if (!long.some((t) => text.includes(t))) return text;
    return redactText(
      text,
      long.filter((t) => text.includes(t)),
    );
  };
  return {
    ...report,
    summary: clean(report.summary),
    patterns: report.patterns.map((p) => ({ ...p, detail: clean(p.detail) })),
    tests: report.tests.map((t) => (t.detail === undefined ? t : { ...t, detail: clean(t.detail) })),
  };
}
