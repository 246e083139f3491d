import { AuditError } from '../errors.ts';
import type { Finding } from '../findings.ts';
import type { ProbeContext } from '../session.ts';

/** What a check hands back; the orchestrator adds timing and status. */
export interface CheckOutcome {
  findings: Finding[];
  notes: string[];
  /** Set when the check could not run (e.g. the profile lacks the request it needs). */
  skipped?: string;
}

/** A check: probes the target through `ctx` and reports findings. */
export type CheckRunner = (ctx: ProbeContext) => Promise<CheckOutcome>;

/** Name of the identified session cookie; throws if identification has not run. */
export function requireSessionCookie(ctx: ProbeContext): string {
  if (!ctx.sessionCookie)
    throw new AuditError('SESSION_COOKIE_NOT_FOUND', 'the session cookie has not been identified');
  return ctx.sessionCookie;
}
