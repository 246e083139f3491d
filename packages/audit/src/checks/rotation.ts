import { type Finding, makeFinding } from '../findings.ts';
import { redactToken } from '../http/redact.ts';
import { checkLoggedIn, clientWithCookie, type ProbeContext, sessionToken, toStep } from '../session.ts';
import { loginThenSend } from './after-login.ts';
import type { CheckOutcome } from './types.ts';

/** Rotation on privilege change: after the profile's privilege-change request, is there a new token, and is the old one dead? */
export async function checkRotation(ctx: ProbeContext): Promise<CheckOutcome> {
  const req = ctx.profile.privilegeChange;
  if (!req) return { findings: [], notes: [], skipped: 'the profile describes no privilege change' };
  const done = await loginThenSend(ctx, req, {
    step: 'Perform the privilege change',
    skipped: 'privilege change failed',
    note: (status) => `The privilege-change request answered ${status}.`,
  });
  if ('skip' in done) return done.skip;
  const { name, client, token: before, steps } = done;
  const after = sessionToken(client, ctx);
  const findings: Finding[] = [];
  const notes: string[] = [];
  if (after === before) {
    findings.push(
      makeFinding('ROTATION-NO-ROTATION', {
        evidence: [`"${name}" before and after the privilege change: ${redactToken(before)}`],
        steps,
      }),
    );
  } else {
    if (ctx.profile.session.rotationGrace > 0) await ctx.sleep(ctx.profile.session.rotationGrace);
    const replay = await checkLoggedIn(clientWithCookie(ctx, name, before), ctx);
    steps.push(toStep(ctx, 'Replay the pre-change token', replay.exchange));
    if (replay.ok) {
      findings.push(
        makeFinding('ROTATION-OLD-TOKEN-VALID', {
          evidence: [
            `new token ${after ? redactToken(after) : '(none)'} issued`,
            `old token ${redactToken(before)} still logged in`,
          ],
          steps,
        }),
      );
    } else notes.push('A new token is issued on privilege change and the old one is rejected.');
  }
  return { findings, notes };
}
