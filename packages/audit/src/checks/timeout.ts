import { formatDuration } from '../duration.ts';
import { type Finding, makeFinding, type Step } from '../findings.ts';
import type { HttpClient } from '../http/client.ts';
import { checkLoggedIn, login, newClient, type ProbeContext, toStep } from '../session.ts';
import type { CheckOutcome } from './types.ts';

/** Fractions of the declared idle timeout at which one fresh session each is probed. */
const IDLE_FRACTIONS = [0.5, 0.8];

async function loggedInClient(ctx: ProbeContext): Promise<HttpClient> {
  const c = newClient(ctx);
  await login(c, ctx);
  return c;
}

/**
 * Idle and absolute timeouts (long-running mode only). Idle: several sessions are logged in at
 * once and each is probed once, after a different idle wait; the measured timeout lies between
 * the longest wait that survived and the shortest that did not. Absolute: one session is kept
 * busy (below the idle timeout) until it dies or outlives the declared lifetime.
 */
export async function checkTimeouts(ctx: ProbeContext): Promise<CheckOutcome> {
  const t = ctx.profile.timeouts;
  if (!t?.longRunning)
    return { findings: [], notes: [], skipped: 'long-running mode is off (timeouts.longRunning)' };
  if (t.idle === undefined && t.absolute === undefined) {
    return {
      findings: [],
      notes: [],
      skipped: 'declare timeouts.idle and/or timeouts.absolute to measure against',
    };
  }
  const budget = ctx.throttle.remainingMs();
  const results = await Promise.all([
    t.idle !== undefined ? measureIdle(ctx, t.idle, t.tolerance, budget) : undefined,
    t.absolute !== undefined ? measureAbsolute(ctx, t.absolute, t.idle, t.tolerance, budget) : undefined,
  ]);
  const out: CheckOutcome = { findings: [], notes: [] };
  const skips: string[] = [];
  for (const r of results) {
    if (!r) continue;
    out.findings.push(...r.findings);
    out.notes.push(...r.notes);
    if (r.skipped) skips.push(r.skipped);
  }
  // A probe that could not run is never a pass: with nothing measured the check is skipped.
  if (skips.length === results.filter(Boolean).length) return { ...out, skipped: skips.join('; ') };
  out.notes.push(...skips.map((s) => `Not measured: ${s}.`));
  return out;
}

/** Why a probe cannot run in the budget, and the `limits.totalTime` it would need. */
function needBudget(ctx: ProbeContext, probe: string, wait: number, budget: number): string {
  const spent = ctx.throttle.limits.totalTimeMs - budget;
  const minutes = Math.ceil((spent + wait + 60_000) / 60_000);
  return (
    `the ${probe} probe waits ${formatDuration(wait)} but only ${formatDuration(Math.max(0, budget))} of the time budget is left; ` +
    `it needs limits.totalTime of at least ${minutes} min (e.g. \`limits: { totalTime: "${minutes}m" }\` in the profile)`
  );
}

async function measureIdle(
  ctx: ProbeContext,
  idle: number,
  tolerance: number,
  budget: number,
): Promise<CheckOutcome> {
  const limit = idle * (1 + tolerance);
  // The probe that decides is the one past the declared timeout: without it nothing is measured.
  if (limit >= budget - 1000)
    return { findings: [], notes: [], skipped: needBudget(ctx, 'idle', limit, budget) };
  const waits = [...IDLE_FRACTIONS.map((f) => f * idle), limit];
  const clients = await Promise.all(waits.map(() => loggedInClient(ctx)));
  const start = Date.now();
  const outcomes = await Promise.all(
    waits.map(async (wait, i) => {
      await ctx.sleep(Math.max(0, start + wait - Date.now()));
      ctx.onProgress?.({ phase: 'idle timeout', done: i + 1, total: waits.length });
      const probe = await checkLoggedIn(clients[i] as HttpClient, ctx);
      return { wait, ...probe };
    }),
  );
  const alive = outcomes.filter((o) => o.ok).map((o) => o.wait);
  const dead = outcomes.filter((o) => !o.ok).map((o) => o.wait);
  const lo = alive.length ? Math.max(...alive) : 0;
  const hi = dead.length ? Math.min(...dead) : undefined;
  const measured =
    hi === undefined
      ? `longer than ${formatDuration(lo)}`
      : `between ${formatDuration(lo)} and ${formatDuration(hi)}`;
  const notes = [`Measured idle timeout: ${measured} (declared ${formatDuration(idle)}).`];
  const last = outcomes[outcomes.length - 1];
  if (last?.ok && last.wait >= limit) {
    const steps: Step[] = [
      {
        action: `Log in ${waits.length} sessions at once, leave each idle for ${waits.map(formatDuration).join(', ')}`,
      },
      toStep(ctx, `Probe the session idle for ${formatDuration(last.wait)}`, last.exchange),
    ];
    return {
      findings: [
        makeFinding('TIMEOUT-IDLE-NOT-ENFORCED', {
          evidence: [
            `declared idle timeout ${formatDuration(idle)}; a session idle for ${formatDuration(last.wait)} was still logged in`,
            notes[0] as string,
          ],
          steps,
        }),
      ],
      notes,
    };
  }
  return { findings: [], notes };
}

async function measureAbsolute(
  ctx: ProbeContext,
  absolute: number,
  idle: number | undefined,
  tolerance: number,
  budget: number,
): Promise<CheckOutcome> {
  const limit = absolute * (1 + tolerance);
  if (limit > budget - 1000)
    return { findings: [], notes: [], skipped: needBudget(ctx, 'absolute-lifetime', limit, budget) };
  const interval = Math.max(100, Math.min((idle ?? absolute) / 3, absolute / 10));
  const client = await loggedInClient(ctx);
  const start = Date.now();
  let diedAt: number | undefined;
  let last: Awaited<ReturnType<typeof checkLoggedIn>> | undefined;
  while (Date.now() - start < limit) {
    await ctx.sleep(Math.min(interval, Math.max(0, start + limit - Date.now())));
    last = await checkLoggedIn(client, ctx);
    ctx.onProgress?.({ phase: 'absolute lifetime', done: Math.min(Date.now() - start, limit), total: limit });
    if (!last.ok) {
      diedAt = Date.now() - start;
      break;
    }
  }
  const findings: Finding[] = [];
  const notes = [
    diedAt === undefined
      ? `Measured absolute lifetime: longer than ${formatDuration(limit)} (declared ${formatDuration(absolute)}).`
      : `Measured absolute lifetime: about ${formatDuration(diedAt)} (declared ${formatDuration(absolute)}).`,
  ];
  if (diedAt === undefined && last) {
    findings.push(
      makeFinding('TIMEOUT-ABSOLUTE-NOT-ENFORCED', {
        evidence: [
          `declared absolute lifetime ${formatDuration(absolute)}; the session, used every ${formatDuration(interval)}, was still logged in after ${formatDuration(limit)}`,
        ],
        steps: [
          { action: `Log in, then request ${ctx.profile.loggedIn.path} every ${formatDuration(interval)}` },
          toStep(ctx, 'Last probe', last.exchange),
        ],
      }),
    );
  }
  return { findings, notes };
}
