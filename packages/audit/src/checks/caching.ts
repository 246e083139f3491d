import { makeFinding } from '../findings.ts';
import { checkLoggedIn, login, newClient, type ProbeContext, toStep } from '../session.ts';
import type { CheckOutcome } from './types.ts';

/** Caching: does the authenticated page say `Cache-Control: no-store`? */
export async function checkCaching(ctx: ProbeContext): Promise<CheckOutcome> {
  const client = newClient(ctx);
  await login(client, ctx);
  const { exchange } = await checkLoggedIn(client, ctx);
  const cc = (exchange.responseHeaders['cache-control'] ?? '').toLowerCase();
  const directives = new Set(cc.split(',').map((d) => d.trim().split('=')[0]));
  const steps = [toStep(ctx, `Fetch the authenticated page ${ctx.profile.loggedIn.path}`, exchange)];
  const evidence = [`GET ${ctx.profile.loggedIn.path} → Cache-Control: ${cc || '(absent)'}`];
  if (directives.has('no-store')) return { findings: [], notes: [`Cache-Control: ${cc}`] };
  if (directives.has('private'))
    return { findings: [makeFinding('CACHE-PRIVATE-ONLY', { evidence, steps })], notes: [] };
  return { findings: [makeFinding('CACHE-AUTHENTICATED-STORABLE', { evidence, steps })], notes: [] };
}
