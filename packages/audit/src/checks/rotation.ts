import { type Finding, makeFinding, type Step } from '../findings.ts';
import { redactToken } from '../http/redact.ts';
import {
  checkLoggedIn,
  clientWithCookie,
  login,
  newClient,
  type ProbeContext,
  requestSucceeded,
  sendProfileRequest,
  sessionToken,
  toStep,
} from '../session.ts';
import { type CheckOutcome, requireSessionCookie } from './types.ts';

/** Rotation on privilege change: after the profile's privilege-change request, is there a new token, and is the old one dead? */
export async function checkRotation(ctx: ProbeContext): Promise<CheckOutcome> {
  const req = ctx.profile.privilegeChange;
  if (!req) return { findings: [], notes: [], skipped: 'the profile describes no privilege change' };
  const name = requireSessionCookie(ctx);
  const client = newClient(ctx);
  await login(client, ctx);
  const before = sessionToken(client, ctx);
  if (!before) return { findings: [], notes: [], skipped: `no "${name}" cookie after login` };
  const steps: Step[] = [{ action: `Log in; "${name}" = ${redactToken(before)}` }];
  const exchanges = await sendProfileRequest(client, ctx, req);
  for (const ex of exchanges) steps.push(toStep(ctx, 'Perform the privilege change', ex));
  const last = exchanges[exchanges.length - 1];
  if (!last || !requestSucceeded(last, req)) {
    return {
      findings: [],
      notes: [`The privilege-change request answered ${last?.status}.`],
      skipped: 'privilege change failed',
    };
  }
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
