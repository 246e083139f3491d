import { AuditError } from '../errors.ts';
import { makeFinding, type Step } from '../findings.ts';
import { redactToken } from '../http/redact.ts';
import { checkLoggedIn, login, loginSteps, newClient, type ProbeContext, toStep } from '../session.ts';
import type { CheckOutcome } from './types.ts';

/**
 * Finds the session cookie: logs in, then removes one cookie at a time and asks the logged-in
 * probe — the cookie whose removal logs you out carries the session. Sets `ctx.sessionCookie`.
 */
export async function identifySessionCookie(ctx: ProbeContext): Promise<CheckOutcome> {
  const client = newClient(ctx);
  const exchanges = await login(client, ctx);
  const steps: Step[] = loginSteps(ctx, exchanges);
  const cookies = client.jar.all();
  for (const c of cookies) ctx.secrets.add(c.value);
  if (cookies.length === 0) {
    throw new AuditError(
      'SESSION_COOKIE_NOT_FOUND',
      'login worked but the server set no cookie; the auditor only audits cookie sessions',
    );
  }
  const declared = ctx.profile.session.cookie;
  if (declared && !cookies.some((c) => c.name === declared)) {
    throw new AuditError(
      'SESSION_COOKIE_NOT_FOUND',
      `session.cookie: no cookie named "${declared}" after login (have: ${cookies.map((c) => c.name).join(', ')})`,
    );
  }
  // Every cookie is tried, the declared one too: a profile naming the wrong cookie (Django's
  // csrftoken for sessionid) would otherwise audit a cookie that carries no session.
  const carriers: string[] = [];
  for (const c of cookies) {
    const probe = newClient(ctx);
    for (const other of cookies)
      if (other.name !== c.name) probe.jar.set(probe.origin, other.name, other.value);
    const { ok, exchange } = await checkLoggedIn(probe, ctx);
    steps.push(toStep(ctx, `Repeat the logged-in probe without cookie "${c.name}"`, exchange));
    if (!ok) carriers.push(c.name);
  }
  if (declared && carriers.length > 0 && !carriers.includes(declared)) {
    throw new AuditError(
      'SESSION_COOKIE_MISMATCH',
      `session.cookie: "${declared}" does not carry the session (without it the user stays logged in); ` +
        `"${carriers[0]}" does (without it the user is logged out). Set session.cookie to "${carriers[0]}" or remove it.`,
    );
  }
  if (declared && carriers.includes(declared))
    carriers.splice(0, carriers.length, declared, ...carriers.filter((n) => n !== declared));
  const list = cookies.map((c) => `${c.name} = ${redactToken(c.value)}`).join(', ');
  if (carriers.length >= 1) {
    ctx.sessionCookie = carriers[0];
    const notes = [
      `Session cookie: "${carriers[0]}" (removing it logs the user out). Cookies after login: ${list}.`,
    ];
    if (carriers.length > 1)
      notes.push(`Other cookies whose removal also logs out: ${carriers.slice(1).join(', ')}.`);
    return { findings: [], notes };
  }
  // Nothing logged out on its own: fall back to the declared or only cookie.
  ctx.sessionCookie = declared ?? (cookies.length === 1 ? cookies[0]?.name : undefined) ?? cookies[0]?.name;
  return {
    findings: [
      makeFinding('SESSION-COOKIE-UNIDENTIFIED', {
        evidence: [`Cookies after login: ${list}`, `Assumed session cookie: "${ctx.sessionCookie}"`],
        steps,
      }),
    ],
    notes: [],
  };
}
