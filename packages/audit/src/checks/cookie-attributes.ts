import { formatDuration } from '../duration.ts';
import { type Finding, makeFinding, type Step } from '../findings.ts';
import { parseSetCookie, type SetCookieLine } from '../http/cookie-jar.ts';
import { login, newClient, type ProbeContext, redact, toStep } from '../session.ts';
import { type CheckOutcome, requireSessionCookie } from './types.ts';

/** The last Set-Cookie line that gave the session cookie a value during login. */
function lastSessionLine(lines: readonly string[], name: string): SetCookieLine | undefined {
  return parseSetCookie(lines)
    .filter((l) => l.name === name && l.value !== '')
    .pop();
}

/**
 * Cookie attributes of the session cookie as set at login: Secure, HttpOnly, SameSite,
 * `__Host-`/`__Secure-` prefix, Domain scope, and persistence against the declared lifetime.
 */
export async function checkCookieAttributes(ctx: ProbeContext): Promise<CheckOutcome> {
  const name = requireSessionCookie(ctx);
  const client = newClient(ctx);
  const exchanges = await login(client, ctx);
  const withCookie = exchanges.filter((ex) => lastSessionLine(ex.setCookie, name));
  const source = withCookie.pop();
  const line = source ? lastSessionLine(source.setCookie, name) : undefined;
  if (!source || !line)
    return { findings: [], notes: [], skipped: `no Set-Cookie for "${name}" seen during login` };
  ctx.secrets.add(line.value);
  const steps: Step[] = [toStep(ctx, `Log in and read the Set-Cookie header of "${name}"`, source)];
  const shown = redact(ctx, line.raw);
  const evidence = (extra: string) => [`Set-Cookie: ${shown}`, extra];
  const findings: Finding[] = [];

  if (!line.secure)
    findings.push(makeFinding('COOKIE-NO-SECURE', { evidence: evidence('Secure attribute absent'), steps }));
  if (!line.httpOnly)
    findings.push(
      makeFinding('COOKIE-NO-HTTPONLY', { evidence: evidence('HttpOnly attribute absent'), steps }),
    );
  const sameSite = line.sameSite?.toLowerCase();
  if (sameSite === undefined) {
    findings.push(
      makeFinding('COOKIE-NO-SAMESITE', { evidence: evidence('SameSite attribute absent'), steps }),
    );
  } else if (sameSite === 'none') {
    findings.push(makeFinding('COOKIE-SAMESITE-NONE', { evidence: evidence('SameSite=None'), steps }));
  }
  if (!name.startsWith('__Host-') && !name.startsWith('__Secure-')) {
    findings.push(
      makeFinding('COOKIE-NO-PREFIX', {
        evidence: evidence(`cookie name "${name}" has no __Host- or __Secure- prefix`),
        steps,
      }),
    );
  }
  if (line.domain) {
    findings.push(
      makeFinding('COOKIE-DOMAIN-SCOPE', {
        evidence: evidence(`Domain=${line.domain}: sent to every host under it`),
        steps,
      }),
    );
  }
  const lifetimeMs =
    line.maxAge !== undefined
      ? line.maxAge * 1000
      : line.expires
        ? line.expires.getTime() - Date.now()
        : undefined;
  const notes = [
    `Path=${line.path ?? '(default)'}${line.domain ? `; Domain=${line.domain}` : '; host-only'}`,
  ];
  if (lifetimeMs !== undefined && lifetimeMs > 0) {
    const declared = ctx.profile.timeouts?.absolute;
    const tolerance = ctx.profile.timeouts?.tolerance ?? 0.25;
    if (declared === undefined || lifetimeMs > declared * (1 + tolerance)) {
      const vs =
        declared === undefined
          ? 'no absolute lifetime declared in the profile'
          : `declared absolute lifetime ${formatDuration(declared)}`;
      findings.push(
        makeFinding('COOKIE-PERSISTENT', {
          evidence: evidence(`persistent for ${formatDuration(lifetimeMs)} (${vs})`),
          steps,
        }),
      );
    } else {
      notes.push(`Persistent cookie for ${formatDuration(lifetimeMs)}, within the declared lifetime.`);
    }
  }
  return { findings, notes };
}
