import { AuditError, isAuditError } from '../errors.ts';
import { type Finding, makeFinding, type Step } from '../findings.ts';
import { type ModelSearch, searchGeneratorModel } from '../generator-model.ts';
import { type Exchange, HttpClient } from '../http/client.ts';
import { mapBounded } from '../http/limits.ts';
import { redactText, redactToken } from '../http/redact.ts';
import { detectPredictability, type Predictability, type TokenSample } from '../predictability.ts';
import { login, type ProbeContext, sendProfileRequest, visitLoginPage } from '../session.ts';
import { analyze, type RandomnessReport } from '../token-analysis.ts';
import { detectTokenStructure } from '../token-structure.ts';
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

type Issued = { sample: TokenSample } | { retryAfterMs: number; status: number } | { none: true };

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
    if (mode === 'login') exchanges = await login(client, ctx, { noProbe: true });
    else if (issue && issue !== 'login') exchanges = await sendProfileRequest(client, ctx, issue);
    else exchanges = [await visitLoginPage(client, ctx)];
  } catch (err) {
    // A rate-limited or failing login shows up as LOGIN_FAILED; look at what the server said.
    const status = isAuditError(err, 'LOGIN_FAILED')
      ? /(?:→|answered) (429|5\d\d)/.exec(err.message)?.[1]
      : undefined;
    if (status) return { retryAfterMs: 1000, status: Number(status) };
    throw err;
  }
  const receivedAt = Date.now();
  const value = client.jar.get(name)?.value;
  if (value) return { sample: { value, requestedAt, receivedAt, ...dateHeader(exchanges) } };
  const limited = exchanges.find((ex) => ex.status === 429 || ex.status >= 500);
  return limited ? { retryAfterMs: retryAfterMs(limited), status: limited.status } : { none: true };
}

/** The server's clock: the Date header of the response that set the token (second resolution). */
function dateHeader(exchanges: readonly Exchange[]): { serverDate?: number } {
  for (let i = exchanges.length - 1; i >= 0; i--) {
    const d = Date.parse(exchanges[i]?.responseHeaders.date ?? '');
    if (Number.isFinite(d)) return { serverDate: d };
  }
  return {};
}

/** How collection went, for the notes and the report. */
export interface SamplingStats {
  mode: 'page' | 'login';
  requested: number;
  collected: number;
  missing: number;
  rateLimited: number;
  serverErrors: number;
  stoppedEarly: boolean;
  durationMs: number;
  requestsSent: number;
  /** Why sampling stopped before `requested` (a certain verdict, or the time budget). */
  stoppedBecause?: string;
}

/** Which way of getting a fresh token works: an anonymous page visit, else a full login. */
export async function samplingMode(ctx: ProbeContext): Promise<'page' | 'login'> {
  const name = requireSessionCookie(ctx);
  if (ctx.profile.session.issue === 'login') return 'login';
  return 'none' in (await issueOne(ctx, name, 'page')) ? 'login' : 'page';
}

/**
 * Collects up to `n` freshly issued session tokens with bounded concurrency (the profile's
 * `limits.concurrency`), reporting progress. Honours 429 (Retry-After) and backs off
 * exponentially on 5xx; stops at `deadline`.
 */
export async function collectTokens(
  ctx: ProbeContext,
  n: number,
  mode: 'page' | 'login',
  deadline: number,
  progress: { done: number; total: number } = { done: 0, total: n },
): Promise<{
  samples: TokenSample[];
  missing: number;
  rateLimited: number;
  serverErrors: number;
  stoppedEarly: boolean;
}> {
  const name = requireSessionCookie(ctx);
  let missing = 0;
  let rateLimited = 0;
  let serverErrors = 0;
  let backoff = 0;
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
          if (r.status === 429) rateLimited++;
          else serverErrors++;
          // 429: as the server asks; 5xx: exponential, 250 ms doubling up to 16 s.
          const wait = r.status === 429 ? r.retryAfterMs : Math.min(16_000, 250 * 2 ** backoff++);
          pauseUntil = Math.max(pauseUntil, Date.now() + wait);
          continue;
        }
        backoff = 0;
        progress.done++;
        ctx.onProgress?.({ phase: 'token sampling', done: progress.done, total: progress.total });
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
    missing,
    rateLimited,
    serverErrors,
    stoppedEarly,
  };
}

/** Bits the bit-level battery should see before a strong verdict counts as settled. */
export const SETTLED_BITS = 1_000_000;
/** Default wall-clock budget of token sampling. */
export const DEFAULT_SAMPLING_TIME_MS = 40_000;

/** What one look at the sample so far says, and whether more samples could change it. */
interface Look {
  predictable: Predictability[];
  /** The generator-model search, run once at the first look. */
  model?: ModelSearch;
  report: RandomnessReport;
  settled: string | undefined;
}

async function look(ctx: ProbeContext, samples: readonly TokenSample[], withModel: boolean): Promise<Look> {
  const structure = detectTokenStructure(
    samples.map((s) => s.value),
    ctx.profile.session.tokenPattern,
  );
  const tokens = samples.map((s) => structure.extract(s.value));
  const normalised = samples.map((s, i) => ({ ...s, value: tokens[i] as string }));
  const predictable = detectPredictability(normalised);
  const model = withModel ? searchModel(ctx, samples, normalised, structure.kind) : undefined;
  const report = await analyze(tokens);
  let settled: string | undefined;
  if (model?.found) settled = 'the generator was reproduced';
  const decisiveFailure =
    report.patterns.some((p) => p.affectsVerdict) ||
    report.tests.some((t) => t.pValue !== null && t.pValue < 1e-6);
  if (predictable.length > 0) settled = 'the tokens are predictable';
  else if (report.verdict === 'broken' && decisiveFailure) settled = 'the verdict (broken) is certain';
  else if (
    report.verdict === 'strong' &&
    report.tests.every((t) => t.pValue === null || t.pValue >= 0.001) &&
    (report.bitsAnalyzed >= SETTLED_BITS || (report.bitsAnalyzed === 0 && report.estimateInformative))
  )
    settled = `the verdict (strong) is settled: ${report.bitsAnalyzed.toLocaleString('en')} bits passed every test`;
  return { predictable, report, settled, ...(model ? { model } : {}) };
}

/** The generator-model search on the analysed part, and on the raw values of structured cookies. */
function searchModel(
  ctx: ProbeContext,
  raw: readonly TokenSample[],
  analysed: readonly TokenSample[],
  kind: string,
): ModelSearch {
  const budget = ctx.profile.randomness?.modelBudget ?? DEFAULT_MODEL_BUDGET_MS;
  const first = searchGeneratorModel(analysed, budget);
  if (first.found || kind === 'plain') return first;
  const second = searchGeneratorModel(raw, budget / 2);
  return second.found ? second : first;
}

/**
 * Sequential sampling: collect in stages and look after each (heuristics and the statistical
 * battery); stop as soon as more samples cannot change the verdict — predictable or decisively
 * broken tokens, or a strong verdict on at least {@link SETTLED_BITS} bits with no borderline
 * test — else at the cap (`--samples`) or the sampling time budget.
 */
export async function sampleSequentially(
  ctx: ProbeContext,
  cap: number,
): Promise<{
  samples: TokenSample[];
  stats: SamplingStats;
  last: Look | undefined;
  model: ModelSearch | undefined;
}> {
  const started = Date.now();
  const sentBefore = ctx.throttle.sent;
  const mode = await samplingMode(ctx);
  const budget = ctx.profile.randomness?.maxTime ?? DEFAULT_SAMPLING_TIME_MS;
  const deadline = Math.min(started + budget, Date.now() + ctx.throttle.remainingMs() * 0.8);
  const earlyStop = ctx.profile.randomness?.earlyStop ?? true;
  const samples: TokenSample[] = [];
  const stats: SamplingStats = {
    mode,
    requested: cap,
    collected: 0,
    missing: 0,
    rateLimited: 0,
    serverErrors: 0,
    stoppedEarly: false,
    durationMs: 0,
    requestsSent: 0,
  };
  const progress = { done: 0, total: cap };
  let next = earlyStop ? Math.min(cap, 500) : cap;
  let last: Look | undefined;
  let model: ModelSearch | undefined;
  for (;;) {
    const got = await collectTokens(ctx, next - samples.length, mode, deadline, progress);
    samples.push(...got.samples);
    stats.missing += got.missing;
    stats.rateLimited += got.rateLimited;
    stats.serverErrors += got.serverErrors;
    if (got.stoppedEarly) {
      stats.stoppedEarly = true;
      stats.stoppedBecause = `the sampling time budget (${Math.round(budget / 1000)} s; randomness.maxTime) was spent`;
      break;
    }
    if (samples.length >= cap || !earlyStop || samples.length < 20) break;
    last = await look(ctx, samples, model === undefined);
    model ??= last.model;
    if (last.settled) {
      stats.stoppedBecause = last.settled;
      break;
    }
    // Next stage: enough tokens for the settled bit count, then doubling, up to the cap.
    const bitsPerToken = last.report.bitsAnalyzed / Math.max(1, last.report.sampleSize);
    const forBits = bitsPerToken > 0 ? Math.ceil((SETTLED_BITS * 1.02) / bitsPerToken) : 0;
    next = Math.min(cap, Math.max(samples.length * 2, forBits > samples.length ? forBits : 0));
    progress.total = next;
  }
  stats.collected = samples.length;
  stats.durationMs = Date.now() - started;
  stats.requestsSent = ctx.throttle.sent - sentBefore;
  if (last && last.report.sampleSize !== samples.length) last = undefined;
  return { samples, stats, last, model };
}

/** Default CPU budget of the generator-model search. */
export const DEFAULT_MODEL_BUDGET_MS = 3000;

/**
 * Token randomness: samples fresh session tokens sequentially (up to `--samples`, default
 * 20,000, stopping once the verdict is settled), reads structured cookies (express-session, JWT,
 * `<id>.<mac>`) for their variable part, tries to reproduce tokens from guessable inputs (the
 * generator model), looks for counters, clocks and duplicates, then runs the statistical
 * analysis. One finding per root cause: a predictable generator carries the statistics as
 * evidence; weak statistics carry the entropy shortfall they cause.
 */
export async function checkRandomness(
  ctx: ProbeContext,
): Promise<CheckOutcome & { report?: RandomnessReport; sampling?: SamplingStats }> {
  const name = requireSessionCookie(ctx);
  const n = ctx.samples;
  const { samples, stats, last, model: searched } = await sampleSequentially(ctx, n);
  if (samples.length < 20) {
    throw new AuditError(
      'TIME_BUDGET_EXCEEDED',
      `only ${samples.length} tokens collected (of ${n}) in ${Math.round(stats.durationMs / 1000)} s; raise randomness.maxTime or limits.totalTime`,
    );
  }
  const structure = detectTokenStructure(
    samples.map((s) => s.value),
    ctx.profile.session.tokenPattern,
  );
  const tokens = samples.map((s) => structure.extract(s.value));
  for (const t of tokens.slice(0, 3)) ctx.secrets.add(t);
  const normalised = samples.map((s, i) => ({ ...s, value: tokens[i] as string }));
  const rps = stats.durationMs > 0 ? (stats.requestsSent * 1000) / stats.durationMs : 0;
  const steps: Step[] = [
    {
      action: `Request fresh sessions (${stats.mode === 'login' ? 'a full login each' : 'an anonymous page visit each'}, concurrency ${ctx.throttle.limits.concurrency}) and keep each "${name}" value; analyse ${structure.explanation}`,
      response: `${samples.length} tokens collected in ${(stats.durationMs / 1000).toFixed(1)} s (${rps.toFixed(0)} requests/s)${stats.missing ? `, ${stats.missing} responses without a session cookie` : ''}; e.g. ${tokens.slice(0, 3).map(redactToken).join(', ')}`,
    },
  ];
  const notes: string[] = [
    `Sampled ${samples.length} tokens (cap ${n}) in ${(stats.durationMs / 1000).toFixed(1)} s at ${rps.toFixed(0)} requests/s, ${stats.mode === 'login' ? 'a full login per token (the issuing page sets no session cookie)' : 'one page visit per token'}` +
      `${stats.stoppedBecause ? `; stopped early: ${stats.stoppedBecause}` : ''}.`,
    `Analysed: ${structure.explanation}.`,
  ];
  if (stats.rateLimited)
    notes.push(
      `The server rate-limited session creation (${stats.rateLimited} HTTP 429 answers; Retry-After honoured).`,
    );
  if (stats.serverErrors)
    notes.push(
      `The server answered ${stats.serverErrors} sampling requests with 5xx; sampling backed off exponentially.`,
    );
  if (stats.missing) notes.push(`${stats.missing} responses carried no session cookie.`);

  const model = searched ?? searchModel(ctx, samples, normalised, structure.kind);
  const recovered = model.found;
  notes.push(
    recovered
      ? `Generator model: ${recovered.construction} reproduced ${recovered.reproduced} of ${recovered.checked} tokens checked.`
      : `Generator model: no common construction reproduced the tokens (${model.candidatesTried.toLocaleString('en')} candidates in ${(model.durationMs / 1000).toFixed(1)} s${model.exhausted ? '' : ', budget spent; raise randomness.modelBudget to search further'}).`,
  );
  const heuristics = last?.predictable ?? detectPredictability(normalised);
  const analysed = last?.report ?? (await analyze(tokens));
  const report: RandomnessReport = {
    ...redactReport(analysed, [...new Set([...tokens, ...samples.map((x) => x.value)])]),
    tokenStructure: structure.explanation,
  };
  steps.push({
    action:
      'Run the statistical analysis (FIPS 140-2, NIST SP 800-22, SP 800-90B min-entropy) on the decoded tokens',
    response: report.summary,
  });
  const failed = report.tests.filter((t) => !t.passed);
  notes.push(
    `${report.sampleSize} tokens, ${report.encoding}, length ${report.length.min}–${report.length.max}, alphabet of ${report.alphabetSize}; ` +
      `${report.tests.length - failed.length}/${report.tests.length} tests passed${report.bitSource ? ` on ${report.bitsAnalyzed.toLocaleString('en')} bits (${report.bitSource})` : ''}; assessed entropy ≈ ${report.assessedEntropyBits.toFixed(1)} of ${Math.floor(report.nominalBits)} nominal bits; verdict ${report.verdict}.`,
  );

  // Every observation, then one finding per root cause.
  const statistics =
    report.verdict !== 'strong'
      ? [
          `statistics: verdict ${report.verdict} — ${report.summary}`,
          ...failed
            .slice(0, 8)
            .map(
              (t) =>
                `${t.name} (${t.standard}): statistic ${fmt(t.statistic)}, p = ${t.pValue === null ? 'n/a' : fmt(t.pValue)}`,
            ),
          ...report.patterns.slice(0, 5).map((p) => `pattern ${p.kind}: ${p.detail}`),
        ]
      : [];
  // Judge by the analysis' assessed figure (the nominal bits while the sample is consistent with
  // full entropy). While the min-entropy estimate is not yet informative (a small sample), only
  // the nominal bits — what length and alphabet allow at most — are held against the token.
  const bits = report.estimateInformative ? report.assessedEntropyBits : report.nominalBits;
  const entropy =
    bits < REQUIRED_BITS
      ? [
          `entropy: at most ${Math.floor(report.nominalBits)} bits by length and alphabet (${report.length.max} characters of ${report.alphabetSize}); assessed ${report.assessedEntropyBits.toFixed(1)} bits, min-entropy estimate ${report.effectiveEntropyBits.toFixed(1)} bits from ${report.sampleSize} samples${report.estimateInformative ? '' : ' (sample too small for the estimate to count)'}; required ${REQUIRED_BITS} bits (ASVS V7.2.3)`,
        ]
      : [];
  const predictable = [
    ...(recovered
      ? [
          `generator model: ${recovered.construction} reproduced ${recovered.reproduced} of ${recovered.checked} observed tokens`,
        ]
      : []),
    ...heuristics.filter((p) => p.kind !== 'duplicate').map((p) => p.detail),
  ];
  const duplicate = heuristics.find((p) => p.kind === 'duplicate');
  const findings: Finding[] = [];
  if (predictable.length > 0) {
    findings.push(
      makeFinding('TOKEN-PREDICTABLE', {
        evidence: [...predictable, ...(duplicate ? [duplicate.detail] : []), ...statistics, ...entropy],
        steps,
        ...(recovered ? { detail: `Recovered construction: ${recovered.construction}.` } : {}),
      }),
    );
  } else if (duplicate) {
    findings.push(
      makeFinding('TOKEN-DUPLICATE', { evidence: [duplicate.detail, ...statistics, ...entropy], steps }),
    );
  } else if (statistics.length > 0) {
    // A short token is its own root cause; an entropy shortfall measured on a biased generator is not.
    const short = report.nominalBits < REQUIRED_BITS;
    findings.push(
      makeFinding('TOKEN-WEAK-RANDOMNESS', {
        severity: report.verdict === 'broken' ? 'high' : 'medium',
        evidence: [...statistics, ...(short ? [] : entropy)],
        steps,
      }),
    );
    if (short) findings.push(lowEntropy(entropy, bits, steps));
  } else if (entropy.length > 0) {
    findings.push(lowEntropy(entropy, bits, steps));
  }
  if (!report.estimateInformative && bits >= REQUIRED_BITS) {
    notes.push(
      `The min-entropy estimate from ${report.sampleSize} samples is not yet informative; audit with more --samples for a firm figure.`,
    );
  }
  return { findings, notes, report, sampling: stats };
}

function lowEntropy(evidence: string[], bits: number, steps: Step[]): Finding {
  return makeFinding('TOKEN-LOW-ENTROPY', { severity: bits < 64 ? 'high' : 'medium', evidence, steps });
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
