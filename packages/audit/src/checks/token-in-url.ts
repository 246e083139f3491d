import { type Finding, makeFinding } from '../findings.ts';
import { linkTargets } from '../html.ts';
import type { Exchange, HttpClient } from '../http/client.ts';
import { parseSetCookie } from '../http/cookie-jar.ts';
import { redactToken } from '../http/redact.ts';
import {
  checkLoggedIn,
  isDeletion,
  login,
  loginSteps,
  newClient,
  type ProbeContext,
  toStep,
} from '../session.ts';
import { type CheckOutcome, requireSessionCookie } from './types.ts';

const MIN_SCAN_LENGTH = 8;

function forms(token: string): string[] {
  const out = new Set([token]);
  try {
    out.add(decodeURIComponent(token));
  } catch {
    // not URL-encoded
  }
  out.add(encodeURIComponent(token));
  return [...out].filter((t) => t.length >= MIN_SCAN_LENGTH);
}

/**
 * Token in URLs and responses: scans every exchange of the audit (plus a fresh login) for
 * session-token values in Location headers, request URLs, links in pages, and anywhere else in
 * bodies or headers other than Set-Cookie.
 */
export async function checkTokenInUrl(ctx: ProbeContext): Promise<CheckOutcome> {
  const name = requireSessionCookie(ctx);
  const client = newClient(ctx);
  const loginEx = await login(client, ctx);
  await checkLoggedIn(client, ctx);
  const tokens = new Set<string>();
  for (const ex of ctx.log) {
    // Deletions (`deleted`, empty, expired) are not issued tokens.
    for (const l of parseSetCookie(ex.setCookie.filter((line) => !isDeletion(line))))
      if (l.name === name && l.value) tokens.add(l.value);
  }
  const scanned = [...tokens].filter((t) => t.length >= MIN_SCAN_LENGTH);
  const notes = [`Scanned ${ctx.log.length} exchanges for ${scanned.length} issued session tokens.`];
  if (scanned.length < tokens.size)
    notes.push(
      `${tokens.size - scanned.length} tokens shorter than ${MIN_SCAN_LENGTH} characters were not scanned (too short to match reliably).`,
    );
  const inUrl: Array<{ ex: Exchange; token: string; where: string }> = [];
  const reflected: Array<{ ex: Exchange; token: string; where: string }> = [];
  for (const ex of ctx.log) {
    for (const token of scanned) {
      const variants = forms(token);
      const has = (s: string) => variants.some((v) => s.includes(v));
      if (has(ex.url))
        inUrl.push({ ex, token, where: `request URL ${ex.method} ${new URL(ex.url).pathname}?…` });
      const location = ex.responseHeaders.location;
      if (location && has(location)) inUrl.push({ ex, token, where: 'Location header' });
      if (has(ex.body)) {
        const link = linkTargets(ex.body).some(has);
        (link ? inUrl : reflected).push({
          ex,
          token,
          where: link ? 'a link in the response body' : 'the response body',
        });
      }
      for (const [h, v] of Object.entries(ex.responseHeaders)) {
        if (h !== 'location' && has(v)) reflected.push({ ex, token, where: `response header ${h}` });
      }
    }
  }
  // Tokens found this way are secrets too, whether or not they also travelled as a cookie.
  for (const h of [...inUrl, ...reflected]) ctx.secrets.add(h.token);
  const findings: Finding[] = [];
  const build = (ruleId: 'TOKEN-IN-URL' | 'TOKEN-REFLECTED', hits: typeof inUrl) => {
    if (hits.length === 0) return;
    const unique = hits.filter((h, i) => hits.findIndex((o) => o.where === h.where) === i).slice(0, 5);
    findings.push(
      makeFinding(ruleId, {
        evidence: unique.map(
          (h) =>
            `${redactToken(h.token)} found in ${h.where} (${h.ex.method} ${new URL(h.ex.url).pathname} → ${h.ex.status})`,
        ),
        steps: unique.slice(0, 3).map((h) => toStep(ctx, `Observe the token in ${h.where}`, h.ex)),
      }),
    );
  };
  build('TOKEN-IN-URL', inUrl);
  build('TOKEN-REFLECTED', reflected);
  const accepted = await probeUrlAcceptance(ctx, name, client, loginEx);
  if (accepted) findings.push(accepted);
  else notes.push('A session id given only in the URL (path parameter or query) is not accepted.');
  return { findings, notes };
}

/**
 * WSTG-SESS-03's vector: a cookieless request to the logged-in page with a live session id in
 * the URL only — as a `;jsessionid=` path parameter, and as query parameters named like the cookie
 * and like the common stacks' (`PHPSESSID`, `sid`, …). Finding when any of them is logged in.
 */
async function probeUrlAcceptance(
  ctx: ProbeContext,
  name: string,
  client: HttpClient,
  loginEx: Exchange[],
): Promise<Finding | undefined> {
  const token = client.jar.get(name)?.value;
  if (!token) return undefined;
  ctx.secrets.add(token);
  const path = ctx.profile.loggedIn.path;
  const [pathname, query = ''] = path.split('?');
  const join = (extra: string) => `${pathname}?${query ? `${query}&` : ''}${extra}`;
  const tries = [
    `${pathname};jsessionid=${token}${query ? `?${query}` : ''}`,
    ...[...new Set([name, 'PHPSESSID', 'sid', 'sessionid', 'session_id', 'session'])].map((p) =>
      join(`${encodeURIComponent(p)}=${encodeURIComponent(token)}`),
    ),
  ];
  for (const attempt of tries) {
    const probe = newClient(ctx); // no cookie at all
    const ex = await probe.send({ path: attempt });
    const li = ctx.profile.loggedIn;
    const ok = ex.status === li.status && (li.text === undefined || ex.body.includes(li.text));
    if (!ok) continue;
    const how = attempt.includes(';jsessionid=') ? 'a ;jsessionid= path parameter' : 'a query parameter';
    return makeFinding('TOKEN-URL-ACCEPTED', {
      evidence: [
        `GET ${attempt.replace(token, redactToken(token)).replace(encodeURIComponent(token), redactToken(token))} without any cookie → ${ex.status}, logged in`,
        `the id travelled only in ${how}`,
      ],
      steps: [
        ...loginSteps(ctx, loginEx),
        toStep(ctx, `Without any cookie, request the logged-in page with the session id in ${how}`, ex),
      ],
    });
  }
  return undefined;
}
