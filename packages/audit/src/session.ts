import { STATUS_CODES } from 'node:http';
import { AuditError } from './errors.ts';
import type { Step } from './findings.ts';
import { hiddenFields } from './html.ts';
import { type Exchange, HttpClient, type RequestSpec } from './http/client.ts';
import type { Throttle } from './http/limits.ts';
import { redactText } from './http/redact.ts';
import type { Credentials, Expectation, Profile, ProfileRequest } from './profile.ts';

/** Everything a check needs: the target, the profile, shared limits and the exchange log. */
export interface ProbeContext {
  target: URL;
  profile: Profile;
  credentials: Credentials;
  throttle: Throttle;
  /** Every exchange of the audit, for scanning (token in URL) — not for printing. */
  log: Exchange[];
  /** Every token value seen; redacted wherever text leaves the auditor. */
  secrets: Set<string>;
  /** Name of the session cookie, once identified. */
  sessionCookie: string | undefined;
  samples: number;
  onProgress: ((event: ProgressEvent) => void) | undefined;
  sleep: (ms: number) => Promise<void>;
}

/** Progress of a long phase (token sampling, timeout waits). */
export interface ProgressEvent {
  phase: string;
  done: number;
  total: number;
}

/** A fresh client with an empty jar. */
export function newClient(ctx: ProbeContext): HttpClient {
  return new HttpClient(ctx.target, ctx.throttle, { log: ctx.log });
}

/** A client whose jar holds only `name=value` (a replayed or planted token). */
export function clientWithCookie(ctx: ProbeContext, name: string, value: string): HttpClient {
  const c = newClient(ctx);
  c.jar.set(c.origin, name, value);
  return c;
}

function substitute(value: string, ctx: ProbeContext): string {
  return value
    .replace(/\$\{username\}/g, ctx.credentials.username)
    .replace(/\$\{password\}/g, ctx.credentials.password)
    .replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const v = process.env[name] ?? '';
      // Values from the environment are how profiles pass secrets: keep them out of every report.
      if (v.length >= 6) ctx.secrets.add(v);
      return v;
    });
}

function meets(ex: Exchange, expect: Expectation | undefined): boolean {
  if (!expect) return ex.status < 400;
  const statuses =
    expect.status === undefined ? undefined : Array.isArray(expect.status) ? expect.status : [expect.status];
  if (statuses && !statuses.includes(ex.status)) return false;
  if (!statuses && ex.status >= 400) return false;
  if (expect.text !== undefined && !ex.body.includes(expect.text)) return false;
  return true;
}

/** Whether a profile request's response meets its `expect` (default: status below 400). */
export function requestSucceeded(ex: Exchange, req: ProfileRequest): boolean {
  return meets(ex, req.expect);
}

/**
 * Sends a request described in the profile: substitutes `${username}`-style values and adds the
 * hidden fields of `hiddenFieldsFrom` (a path, or `previous` for the last page fetched).
 */
export async function sendProfileRequest(
  client: HttpClient,
  ctx: ProbeContext,
  req: ProfileRequest,
  overrides: { headers?: Record<string, string>; omitHidden?: boolean; previousBody?: string } = {},
): Promise<Exchange[]> {
  const exchanges: Exchange[] = [];
  let form: Record<string, string> | undefined;
  if (req.form) form = Object.fromEntries(Object.entries(req.form).map(([k, v]) => [k, substitute(v, ctx)]));
  if (req.hiddenFieldsFrom && !overrides.omitHidden) {
    let html = overrides.previousBody ?? '';
    if (req.hiddenFieldsFrom !== 'previous') {
      const page = await client.send({ path: req.hiddenFieldsFrom, followRedirects: true });
      exchanges.push(page);
      html = page.body;
    }
    form = { ...hiddenFields(html, { actionPath: req.path }), ...(form ?? {}) };
  }
  const spec: RequestSpec = { method: req.method, path: substitute(req.path, ctx) };
  if (form) spec.form = form;
  if (req.json !== undefined) spec.json = req.json;
  const headers = { ...(req.headers ?? {}), ...(overrides.headers ?? {}) };
  if (Object.keys(headers).length > 0) spec.headers = headers;
  exchanges.push(await client.send(spec));
  return exchanges;
}

/** Asks the logged-in probe URL; true when status (and text, if given) match the profile. */
export async function checkLoggedIn(
  client: HttpClient,
  ctx: ProbeContext,
): Promise<{ ok: boolean; exchange: Exchange }> {
  const li = ctx.profile.loggedIn;
  const exchange = await client.send({ path: li.path });
  const ok = exchange.status === li.status && (li.text === undefined || exchange.body.includes(li.text));
  return { ok, exchange };
}

/** Fetches a page that issues an anonymous session (the login page by default). */
export async function visitLoginPage(client: HttpClient, ctx: ProbeContext): Promise<Exchange> {
  const page = ctx.profile.login.form?.page ?? ctx.profile.login.steps?.[0]?.path ?? '/';
  return client.send({ path: page, followRedirects: true });
}

/**
 * Logs in with the profile's form or steps, on `client`'s jar. Returns the exchanges taken.
 * Throws LOGIN_FAILED when the logged-in probe does not confirm it afterwards.
 */
export async function login(
  client: HttpClient,
  ctx: ProbeContext,
  options: { skipPageVisit?: boolean; pageBody?: string; noProbe?: boolean } = {},
): Promise<Exchange[]> {
  const exchanges: Exchange[] = [];
  const { form, steps } = ctx.profile.login;
  if (form) {
    let body = options.pageBody ?? '';
    if (!options.skipPageVisit) {
      const chain = await client.sendChain({ path: form.page, followRedirects: true });
      exchanges.push(...chain);
      body = chain[chain.length - 1]?.body ?? '';
    }
    const action = form.action ?? form.page;
    const fields = {
      ...hiddenFields(body, { actionPath: action, fieldName: form.passwordField }),
      ...(form.fields ?? {}),
      [form.usernameField]: ctx.credentials.username,
      [form.passwordField]: ctx.credentials.password,
    };
    // Every exchange of the chain: the POST's own Set-Cookie is the login's session cookie.
    exchanges.push(
      ...(await client.sendChain({
        method: form.method,
        path: action,
        form: fields,
        followRedirects: !options.noProbe,
      })),
    );
  } else if (steps) {
    let previous = options.pageBody ?? '';
    for (const [i, step] of steps.entries()) {
      if (i === 0 && options.skipPageVisit && step.method.toUpperCase() === 'GET') continue;
      const ex = await sendProfileRequest(client, ctx, step, { previousBody: previous });
      exchanges.push(...ex);
      const last = ex[ex.length - 1] as Exchange;
      if (!requestSucceeded(last, step)) {
        throw new AuditError(
          'LOGIN_FAILED',
          `login step ${i + 1} (${step.method} ${step.path}) answered ${last.status}`,
        );
      }
      previous = last.body;
    }
  }
  // Token sampling only wants the cookie the login sets: no redirect, no probe.
  if (options.noProbe) {
    const last = exchanges[exchanges.length - 1];
    if (last && (last.status === 429 || last.status >= 500))
      throw new AuditError('LOGIN_FAILED', `login answered ${last.status}`);
    return exchanges;
  }
  const probe = await checkLoggedIn(client, ctx);
  exchanges.push(probe.exchange);
  if (!probe.ok) {
    const last = [...exchanges].reverse().find((e) => e.method !== 'GET') ?? exchanges[exchanges.length - 2];
    throw new AuditError(
      'LOGIN_FAILED',
      `login did not work: after ${last ? `${last.method} ${new URL(last.url).pathname} → ${last.status}` : 'the login steps'}, ` +
        `GET ${ctx.profile.loggedIn.path} answered ${probe.exchange.status}` +
        (ctx.profile.loggedIn.text ? ` without "${ctx.profile.loggedIn.text}"` : '') +
        '; check the credentials and the loggedIn section of the profile',
    );
  }
  return exchanges;
}

/** The session cookie's current value in a client's jar. */
export function sessionToken(client: HttpClient, ctx: ProbeContext): string | undefined {
  if (!ctx.sessionCookie) return undefined;
  const v = client.jar.get(ctx.sessionCookie)?.value;
  if (v) ctx.secrets.add(v);
  return v;
}

const SHOWN_HEADERS = ['location', 'cache-control', 'content-type', 'clear-site-data'];

/** Turns an exchange into a reproduction step, with tokens and the password redacted. */
export function toStep(
  ctx: ProbeContext,
  action: string,
  ex: Exchange,
  options: { body?: boolean } = {},
): Step {
  rememberCookieValues(ctx, ex);
  const url = new URL(ex.url);
  const reqLines = [`${ex.method} ${url.pathname}${url.search}`];
  for (const h of ['cookie', 'origin', 'sec-fetch-site', 'content-type']) {
    const v = ex.requestHeaders[h];
    if (v) reqLines.push(`${h}: ${v}`);
  }
  if (ex.requestBody) reqLines.push('', ex.requestBody);
  const resLines = [`${ex.status} ${STATUS_CODES[ex.status] ?? ''}`.trim()];
  for (const h of SHOWN_HEADERS) {
    const v = ex.responseHeaders[h];
    if (v) resLines.push(`${h}: ${v}`);
  }
  for (const sc of ex.setCookie) resLines.push(`set-cookie: ${sc}`);
  if (options.body && ex.body)
    resLines.push('', ex.body.length > 300 ? `${ex.body.slice(0, 300)}…` : ex.body);
  return { action, request: redact(ctx, reqLines.join('\n')), response: redact(ctx, resLines.join('\n')) };
}

/** Redacts every known token and the password from `text`. */
export function redact(ctx: ProbeContext, text: string): string {
  let out = redactText(text, ctx.secrets);
  const pw = ctx.credentials.password;
  if (pw) {
    out = out.split(encodeURIComponent(pw)).join('[password]');
    out = out.split(pw).join('[password]');
  }
  return out;
}

/** True for a Set-Cookie line that deletes its cookie (empty or `deleted` value, expiry in the past). */
export function isDeletion(line: string): boolean {
  const value = line.split(';')[0]?.split('=').slice(1).join('=').trim() ?? '';
  if (value === '' || value === '""' || value.toLowerCase() === 'deleted') return true;
  if (/;\s*max-age\s*=\s*(0|-\d+)\s*(;|$)/i.test(line)) return true;
  const expires = /;\s*expires\s*=\s*([^;]+)/i.exec(line)?.[1];
  return expires !== undefined && Date.parse(expires) < Date.now() - 60_000;
}

/** Adds every cookie value sent or received in `ex` (deletions excepted) to the secrets to redact. */
export function rememberCookieValues(ctx: ProbeContext, ex: Exchange): void {
  const add = (v: string | undefined) => {
    if (v && v !== '""' && v.toLowerCase() !== 'deleted') ctx.secrets.add(v);
  };
  for (const part of (ex.requestHeaders.cookie ?? '').split(';'))
    add(part.split('=').slice(1).join('=').trim());
  for (const line of ex.setCookie)
    if (!isDeletion(line)) add(line.split(';')[0]?.split('=').slice(1).join('=').trim());
}

/** Reproduction steps for a login sequence, each exchange labelled by what it does. */
export function loginSteps(ctx: ProbeContext, exchanges: readonly Exchange[], who = ''): Step[] {
  const suffix = who ? ` (${who})` : '';
  return exchanges.map((ex, i) => {
    const prev = exchanges[i - 1];
    const path = new URL(ex.url).pathname;
    let action: string;
    if (i === exchanges.length - 1 && path === ctx.profile.loggedIn.path && ex.method === 'GET')
      action = 'Check that the session is logged in';
    else if (prev && prev.status >= 300 && prev.status < 400) action = 'Follow the redirect';
    else if (ex.method === 'GET') action = 'Open the login page';
    else action = 'Submit the login form';
    return toStep(ctx, `${action}${suffix}`, ex);
  });
}
