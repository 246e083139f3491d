import { randomInt } from 'node:crypto';
import { type Finding, makeFinding, type Step } from '../findings.ts';
import { redactToken } from '../http/redact.ts';
import {
  checkLoggedIn,
  clientWithCookie,
  login,
  loginSteps,
  newClient,
  type ProbeContext,
  sessionToken,
  toStep,
  visitLoginPage,
} from '../session.ts';
import { type CheckOutcome, requireSessionCookie } from './types.ts';

const CLASSES = ['0123456789', 'abcdef', 'ABCDEF', 'ghijklmnopqrstuvwxyz', 'GHIJKLMNOPQRSTUVWXYZ'];

/** A value the server never issued, shaped like `model` (same length, same character classes). */
export function forgeLike(model: string): string {
  let out = '';
  for (const ch of model) {
    const cls = CLASSES.find((c) => c.includes(ch));
    out += cls ? cls[randomInt(cls.length)] : ch;
  }
  return out === model ? `${model}x` : out;
}

/**
 * Session fixation, two ways: is the token held before login still the session after login (or
 * still valid beside the new one)? Is a token the server never issued adopted at login?
 */
export async function checkFixation(ctx: ProbeContext): Promise<CheckOutcome> {
  const name = requireSessionCookie(ctx);
  const findings: Finding[] = [];
  const notes: string[] = [];

  // 1. The pre-login token.
  const client = newClient(ctx);
  const page = await visitLoginPage(client, ctx);
  const before = sessionToken(client, ctx);
  const steps: Step[] = [toStep(ctx, 'Open the login page as an anonymous visitor', page)];
  const loginEx = await login(client, ctx, { skipPageVisit: true, pageBody: page.body });
  const after = sessionToken(client, ctx);
  steps.push(...loginSteps(ctx, loginEx, 'same browser'));
  if (before === undefined) {
    notes.push('No session cookie was issued before login, so a pre-login token cannot be fixed.');
  } else if (before === after) {
    findings.push(
      makeFinding('FIXATION-NO-ROTATION', {
        evidence: [
          `"${name}" before login: ${redactToken(before)}`,
          `"${name}" after login: ${redactToken(before)} (unchanged)`,
        ],
        steps,
      }),
    );
  } else {
    if (ctx.profile.session.rotationGrace > 0) await ctx.sleep(ctx.profile.session.rotationGrace);
    const replay = await checkLoggedIn(clientWithCookie(ctx, name, before), ctx);
    steps.push(toStep(ctx, 'Replay the pre-login token alone against the logged-in probe', replay.exchange));
    if (replay.ok) {
      findings.push(
        makeFinding('FIXATION-OLD-TOKEN-VALID', {
          evidence: [
            `pre-login ${redactToken(before)} was replaced by ${after ? redactToken(after) : '(none)'}`,
            `but ${redactToken(before)} alone is logged in (${replay.exchange.status})`,
          ],
          steps,
        }),
      );
    } else {
      notes.push('A new token is issued at login and the pre-login token is not logged in.');
    }
  }

  // 2. A planted token the server never issued.
  const planted = forgeLike(after ?? before ?? 'abcdef0123456789abcdef0123456789');
  ctx.secrets.add(planted);
  const victim = clientWithCookie(ctx, name, planted);
  const plantSteps: Step[] = [];
  const page2 = await visitLoginPage(victim, ctx);
  plantSteps.push(
    toStep(
      ctx,
      `Plant "${name}" = ${redactToken(planted)} (never issued by the server) and open the login page`,
      page2,
    ),
  );
  const loginEx2 = await login(victim, ctx, { skipPageVisit: true, pageBody: page2.body });
  plantSteps.push(...loginSteps(ctx, loginEx2, 'victim, with the planted cookie'));
  const kept = sessionToken(victim, ctx) === planted;
  if (kept) {
    const attacker = await checkLoggedIn(clientWithCookie(ctx, name, planted), ctx);
    plantSteps.push(
      toStep(ctx, 'As the attacker, send only the planted value to the logged-in probe', attacker.exchange),
    );
    if (attacker.ok) {
      findings.push(
        makeFinding('FIXATION-PLANTED-ADOPTED', {
          evidence: [
            `planted ${redactToken(planted)} was kept through login`,
            `the planted value alone is logged in (${attacker.exchange.status})`,
          ],
          steps: plantSteps,
        }),
      );
    }
  } else {
    notes.push('A planted, never-issued token was replaced by the server.');
  }
  return { findings, notes };
}
