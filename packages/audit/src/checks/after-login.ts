import type { Step } from '../findings.ts';
import type { HttpClient } from '../http/client.ts';
import { redactToken } from '../http/redact.ts';
import type { ProfileRequest } from '../profile.ts';
import {
  login,
  newClient,
  type ProbeContext,
  requestSucceeded,
  sendProfileRequest,
  sessionToken,
  toStep,
} from '../session.ts';
import { type CheckOutcome, requireSessionCookie } from './types.ts';

/** A logged-in client that has just sent one of the profile's requests. */
export interface AfterLogin {
  name: string;
  client: HttpClient;
  /** The session token right after login (before the request). */
  token: string;
  steps: Step[];
}

/**
 * Logs in on a fresh client, then sends `req` (logout, privilege change, …) and checks that it
 * worked. Returns the state for the check to go on with, or the outcome that skips the check.
 */
export async function loginThenSend(
  ctx: ProbeContext,
  req: ProfileRequest,
  describe: { step: string; skipped: string; note: (status: number | undefined) => string },
): Promise<AfterLogin | { skip: CheckOutcome }> {
  const name = requireSessionCookie(ctx);
  const client = newClient(ctx);
  await login(client, ctx);
  const token = sessionToken(client, ctx);
  if (!token) return { skip: { findings: [], notes: [], skipped: `no "${name}" cookie after login` } };
  const steps: Step[] = [{ action: `Log in; "${name}" = ${redactToken(token)}` }];
  const exchanges = await sendProfileRequest(client, ctx, req);
  for (const ex of exchanges) steps.push(toStep(ctx, describe.step, ex));
  const last = exchanges[exchanges.length - 1];
  if (!last || !requestSucceeded(last, req)) {
    return { skip: { findings: [], notes: [describe.note(last?.status)], skipped: describe.skipped } };
  }
  return { name, client, token, steps };
}
