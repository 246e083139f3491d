import { type AuditReport, runAudit } from '../src/audit.ts';
import type { CheckId } from '../src/findings.ts';
import { parseProfile } from '../src/profile.ts';
import { FIXTURE_PROFILE, type FixtureOptions, startFixture } from './fixtures/flawed-app.ts';

/** Every check except the (slower) randomness sampling. */
export const NO_RANDOMNESS: CheckId[] = [
  'session-cookie',
  'cookie-attributes',
  'token-in-url',
  'fixation',
  'logout',
  'rotation',
  'csrf',
  'caching',
];

/** Starts a fixture with `flaws`, audits it with the fixture profile (plus `profile` overrides), stops it. */
export async function auditFixture(
  flaws: FixtureOptions,
  options: { only?: CheckId[]; samples?: number; profile?: Record<string, unknown> } = {},
): Promise<AuditReport> {
  const fixture = await startFixture(flaws);
  try {
    return await runAudit({
      target: fixture.url,
      profile: parseProfile({ ...FIXTURE_PROFILE, ...(options.profile ?? {}) }),
      samples: options.samples ?? 300,
      ...(options.only ? { only: options.only } : {}),
    });
  } finally {
    await fixture.close();
  }
}

/** The distinct rule ids of a report's findings, sorted. */
export function ruleIds(report: AuditReport): string[] {
  return [...new Set(report.findings.map((f) => f.ruleId))].sort();
}

/** Check statuses by check id, so a failing test shows which check errored. */
export function statuses(report: AuditReport): Record<string, string> {
  return Object.fromEntries(report.checks.map((c) => [c.check, c.status === 'error' ? c.summary : c.status]));
}
