import { type Finding, makeFinding } from '../findings.ts';
import { redactToken } from '../http/redact.ts';
import { checkLoggedIn, clientWithCookie, type ProbeContext, toStep } from '../session.ts';
import { loginThenSend } from './after-login.ts';
import type { CheckOutcome } from './types.ts';

/**
 * Logout: logs in, logs out with the profile's request, then replays the old token. A token
 * that still works means logout ended nothing on the server (at best it cleared the cookie).
 */
export async function checkLogout(ctx: ProbeContext): Promise<CheckOutcome> {
  const req = ctx.profile.logout;
  if (!req) return { findings: [], notes: [], skipped: 'the profile has no logout request' };
  const done = await loginThenSend(ctx, req, {
    step: 'Log out',
    skipped: 'logout request failed',
    note: (status) => `The logout request answered ${status}; check the logout section of the profile.`,
  });
  if ('skip' in done) return done.skip;
  const { name, client, token, steps } = done;
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
