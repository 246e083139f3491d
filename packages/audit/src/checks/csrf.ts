import { makeFinding, type Step } from '../findings.ts';
import type { ProfileRequest } from '../profile.ts';
import {
  login,
  newClient,
  type ProbeContext,
  requestSucceeded,
  sendProfileRequest,
  toStep,
} from '../session.ts';
import { type CheckOutcome, requireSessionCookie } from './types.ts';

const TOKEN_FIELD = /csrf|xsrf|authenticity|^_?token$/i;
/** The foreign site the forged request claims to come from. */
export const ATTACKER_ORIGIN = 'https://attacker.example';

/**
 * CSRF: the profile's state-changing request is first sent as the application itself would
 * (baseline), then as another site would: foreign Origin, `Sec-Fetch-Site: cross-site`, no
 * anti-CSRF token. Success of the second is a finding.
 */
export async function checkCsrf(ctx: ProbeContext): Promise<CheckOutcome> {
  const req = ctx.profile.stateChanging;
  if (!req) return { findings: [], notes: [], skipped: 'the profile has no stateChanging request' };
  const name = requireSessionCookie(ctx);
  const client = newClient(ctx);
  await login(client, ctx);
  const steps: Step[] = [{ action: 'Log in' }];
  const baseline = await sendProfileRequest(client, ctx, req);
  for (const ex of baseline)
    steps.push(toStep(ctx, 'Send the state-changing request as the application does (same origin)', ex));
  const base = baseline[baseline.length - 1];
  if (!base || !requestSucceeded(base, req)) {
    return {
      findings: [],
      notes: [`Baseline request answered ${base?.status}; cannot judge CSRF.`],
      skipped: 'baseline request failed',
    };
  }
  const forged: ProfileRequest = { ...req };
  if (req.form)
    forged.form = Object.fromEntries(Object.entries(req.form).filter(([k]) => !TOKEN_FIELD.test(k)));
  const headers: Record<string, string> = {
    origin: ATTACKER_ORIGIN,
    'sec-fetch-site': 'cross-site',
    referer: `${ATTACKER_ORIGIN}/`,
  };
  for (const k of Object.keys(req.headers ?? {})) if (TOKEN_FIELD.test(k)) headers[k] = '';
  const attack = await sendProfileRequest(client, ctx, forged, { headers, omitHidden: true });
  const ex = attack[attack.length - 1];
  if (!ex) return { findings: [], notes: [], skipped: 'no response' };
  steps.push(
    toStep(ctx, `Replay it as ${ATTACKER_ORIGIN} would: cross-site headers, no anti-CSRF token`, ex),
  );
  if (!requestSucceeded(ex, req))
    return { findings: [], notes: [`The cross-site replay was refused (${ex.status}).`] };
  const sameSite = client.jar.get(name)?.sameSite?.toLowerCase();
  const shielded = sameSite === 'lax' || sameSite === 'strict';
  return {
    findings: [
      makeFinding('CSRF-CROSS-SITE-ACCEPTED', {
        evidence: [
          `${ex.method} ${new URL(ex.url).pathname} with Origin: ${ATTACKER_ORIGIN}, Sec-Fetch-Site: cross-site and no token → ${ex.status}`,
          `session cookie SameSite: ${sameSite ?? 'absent'}`,
        ],
        steps,
        severity: shielded ? 'medium' : 'high',
        detail: shielded
          ? `The cookie's SameSite=${sameSite} keeps browsers from sending it on most cross-site requests, which lowers the risk, but the server itself has no CSRF defence (same-site subdomains and older browsers remain).`
          : '',
      }),
    ],
    notes: [],
  };
}
