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

/**
 * Logout: logs in, logs out with the profile's request, then replays the old token. A token
 * that still works means logout ended nothing on the server (at best it cleared the cookie).
 */
export async function checkLogout(ctx: ProbeContext): Promise<CheckOutcome> {
  const req = ctx.profile.logout;
  if (!req) return { findings: [], notes: [], skipped: 'the profile has no logout request' };
  const name = requireSessionCookie(ctx);
  const client = newClient(ctx);
  await login(client, ctx);
  const token = sessionToken(client, ctx);
  if (!token) return { findings: [], notes: [], skipped: `no "${name}" cookie after login` };
  const steps: Step[] = [{ action: `Log in; "${name}" = ${redactToken(token)}` }];
  const exchanges = await sendProfileRequest(client, ctx, req);
  for (const ex of exchanges) steps.push(toStep(ctx, 'Log out', ex));
  const last = exchanges[exchanges.length - 1];
  if (!last || !requestSucceeded(last, req)) {
    return {
      findings: [],
      notes: [`The logout request answered ${last?.status}; check the logout section of the profile.`],
      skipped: 'logout request failed',
    };
  }
  const inBrowser = client.jar.get(name)?.value;
  const cleared = inBrowser !== token;
  const findings: Finding[] = [];
  const notes: string[] = [];
  const replay = await checkLoggedIn(clientWithCookie(ctx, name, token), ctx);
  steps.push(toStep(ctx, 'Replay the pre-logout token against the logged-in probe', replay.exchange));
  if (replay.ok) {
    findings.push(
      makeFinding('LOGOUT-NOT-INVALIDATED', {
        evidence: [
          cleared
            ? `the logout response cleared "${name}" in the browser only`
            : `the logout response left "${name}" = ${redactToken(token)} in the browser`,
          `replaying ${redactToken(token)} after logout: ${replay.exchange.status}, still logged in`,
        ],
        steps,
        detail: cleared
          ? 'The logout only clears the cookie client-side; the session itself stays alive on the server.'
          : '',
      }),
    );
  } else {
    notes.push('The old token is rejected after logout.');
    if (!cleared) {
      findings.push(
        makeFinding('LOGOUT-COOKIE-NOT-CLEARED', {
          evidence: [`after logout the browser still holds "${name}" = ${redactToken(token)}`],
          steps,
        }),
      );
    }
  }
  return { findings, notes };
}
