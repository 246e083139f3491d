/**
 * The CSRF guard: the Fetch-Metadata/Origin verdict for every combination that matters, and the
 * synchronizer-token fallback as enforced by `RequestSession.verifyCsrf`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SessionEvent } from '../../src/engine/events.ts';
import { isTesseraError } from '../../src/errors.ts';
import { type CsrfOptions, type CsrfVerdict, checkCsrfHeaders } from '../../src/http/csrf.ts';
import type { ResponseSink } from '../../src/http/request-session.ts';
import { createSessionHandler, type RequestInfo } from '../../src/http/session-handler.ts';
import { testManager } from '../adapters/helpers.ts';

const SELF = 'https://shop.example';
const PASS: CsrfVerdict = { ok: true, needsToken: false };
const TOKEN: CsrfVerdict = { ok: true, needsToken: true };
const NO = 'refused';

type Row = [
  method: string,
  headers: Record<string, string>,
  options: CsrfOptions,
  expected: CsrfVerdict | typeof NO,
];

const rows: Row[] = [
  // Safe methods pass whatever the headers say.
  ['GET', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }, {}, PASS],
  ['HEAD', { 'sec-fetch-site': 'cross-site' }, {}, PASS],
  ['OPTIONS', { origin: 'https://evil.example' }, {}, PASS],
  ['TRACE', {}, {}, PASS],
  ['get', { 'sec-fetch-site': 'cross-site' }, {}, PASS],
  // Fetch Metadata.
  ['POST', { 'sec-fetch-site': 'same-origin' }, {}, PASS],
  ['POST', { 'sec-fetch-site': 'none' }, {}, PASS],
  ['POST', { 'sec-fetch-site': 'cross-site' }, {}, NO],
  ['POST', { 'sec-fetch-site': 'same-site' }, {}, NO],
  ['POST', { 'sec-fetch-site': 'same-site' }, { allowSameSite: true }, PASS],
  ['POST', { 'sec-fetch-site': 'Same-Origin' }, {}, NO],
  ['POST', { 'sec-fetch-site': 'bogus' }, {}, NO],
  ['POST', { 'sec-fetch-site': '' }, {}, NO],
  ['post', { 'sec-fetch-site': 'cross-site' }, {}, NO],
  ['PUT', { 'sec-fetch-site': 'cross-site' }, {}, NO],
  ['PATCH', { 'sec-fetch-site': 'cross-site' }, {}, NO],
  ['DELETE', { 'sec-fetch-site': 'cross-site' }, {}, NO],
  ['PROPFIND', { 'sec-fetch-site': 'cross-site' }, {}, NO],
  // Origin.
  ['POST', { origin: SELF }, {}, PASS],
  ['POST', { origin: 'https://evil.example' }, {}, NO],
  ['POST', { origin: 'http://shop.example' }, {}, NO],
  ['POST', { origin: 'https://shop.example:8443' }, {}, NO],
  ['POST', { origin: `${SELF}/` }, {}, NO],
  ['POST', { origin: 'HTTPS://SHOP.EXAMPLE' }, {}, NO],
  ['POST', { origin: 'https://shop.example.evil.example' }, {}, NO],
  ['POST', { origin: 'null' }, {}, NO],
  ['POST', { origin: 'null' }, { allowedOrigins: ['null'] }, NO],
  ['POST', { origin: '' }, {}, NO],
  ['POST', { origin: 'https://admin.example' }, { allowedOrigins: ['https://admin.example'] }, PASS],
  ['POST', { origin: 'https://other.example' }, { allowedOrigins: ['https://admin.example'] }, NO],
  // Both: each must pass.
  ['POST', { 'sec-fetch-site': 'same-origin', origin: SELF }, {}, PASS],
  ['POST', { 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' }, {}, NO],
  ['POST', { 'sec-fetch-site': 'cross-site', origin: SELF }, {}, NO],
  ['POST', { 'sec-fetch-site': 'same-site', origin: 'https://a.shop.example' }, { allowSameSite: true }, NO],
  [
    'POST',
    { 'sec-fetch-site': 'same-site', origin: 'https://a.shop.example' },
    { allowSameSite: true, allowedOrigins: ['https://a.shop.example'] },
    PASS,
  ],
  // Neither header (old browsers, non-browser clients): the synchronizer token decides.
  ['POST', {}, {}, TOKEN],
  ['DELETE', {}, {}, TOKEN],
  ['POST', { referer: SELF }, {}, TOKEN],
];

describe('checkCsrfHeaders verdicts', () => {
  for (const [method, headers, options, expected] of rows) {
    test(`${method} ${JSON.stringify(headers)} ${JSON.stringify(options)} → ${expected === NO ? NO : JSON.stringify(expected)}`, () => {
      const verdict = checkCsrfHeaders(
        { method, header: (n) => headers[n], selfOrigin: SELF, token: undefined },
        options,
      );
      if (expected === NO) assert.equal(verdict.ok, false);
      else assert.deepEqual(verdict, expected);
    });
  }

  test('an Origin cannot match when the request has no known origin of its own', () => {
    const verdict = checkCsrfHeaders({
      method: 'POST',
      header: (n) => ({ origin: 'null' })[n],
      selfOrigin: null,
      token: undefined,
    });
    assert.equal(verdict.ok, false);
    const v2 = checkCsrfHeaders({
      method: 'POST',
      header: (n) => ({ origin: SELF })[n],
      selfOrigin: null,
      token: undefined,
    });
    assert.equal(v2.ok, false);
  });
});

describe('RequestSession.verifyCsrf (the token fallback)', () => {
  const nullSink: ResponseSink = { setCookie() {}, setHeader() {} };
  function info(method: string, headers: Record<string, string>, cookie?: string): RequestInfo {
    const all: Record<string, string> = { host: 'shop.example', ...headers };
    return { method, header: (n) => all[n], cookie, ip: '192.0.2.1', encrypted: true };
  }
  async function setup() {
    const { manager } = testManager();
    const handler = createSessionHandler(manager, { publicOrigin: SELF });
    const events: SessionEvent[] = [];
    manager.events.on('*', (e) => events.push(e));
    let cookie = '';
    const sink: ResponseSink = {
      setCookie(_name, serialized) {
        cookie = serialized.split(';')[0]!;
      },
      setHeader() {},
    };
    const first = await handler.begin(info('GET', {}), sink);
    const token = await first.csrfToken();
    return { handler, events, cookie, token };
  }
  const rejected = (fn: () => void) => assert.throws(fn, (e: unknown) => isTesseraError(e, 'CSRF_REJECTED'));

  test('no headers: the session token is required (header or form field), a wrong one is refused', async () => {
    const { handler, cookie, token, events } = await setup();
    const begin = (headers: Record<string, string>) => handler.begin(info('POST', headers, cookie), nullSink);
    (await begin({ 'x-csrf-token': token })).verifyCsrf();
    (await begin({})).verifyCsrf(token);
    const s = await begin({});
    rejected(() => s.verifyCsrf());
    rejected(() => s.verifyCsrf(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`));
    rejected(() => s.verifyCsrf(token.toUpperCase()));
    rejected(() => s.verifyCsrf(['x', token]));
    rejected(() => s.verifyCsrf(`${token}x`));
    rejected(() => s.verifyCsrf('x'.repeat(10_000)));
    rejected(() => s.verifyCsrf({ toString: () => token }));
    assert.ok(
      events.some((e) => e.type === 'session.csrf_rejected'),
      'rejections are reported as events',
    );
  });

  test('a token minted for another session is refused, and so is any token without a session', async () => {
    const a = await setup();
    const b = await setup();
    const s = await a.handler.begin(info('POST', {}, a.cookie), nullSink);
    rejected(() => s.verifyCsrf(b.token));
    const anonymous = await a.handler.begin(info('POST', {}), nullSink);
    rejected(() => anonymous.verifyCsrf(a.token));
  });

  test('a header token cannot rescue a cross-site request, and a good header beats a bad form field', async () => {
    const { handler, cookie, token } = await setup();
    const cross = await handler.begin(
      info('POST', { 'sec-fetch-site': 'cross-site', 'x-csrf-token': token }, cookie),
      nullSink,
    );
    rejected(() => cross.verifyCsrf(token));
    const foreign = await handler.begin(
      info('POST', { origin: 'https://evil.example', 'x-csrf-token': token }, cookie),
      nullSink,
    );
    rejected(() => foreign.verifyCsrf(token));
    const both = await handler.begin(info('POST', { 'x-csrf-token': token }, cookie), nullSink);
    both.verifyCsrf('not-the-token');
  });

  test('safe methods are never checked; csrf: false turns the guard off', async () => {
    const { handler } = await setup();
    (await handler.begin(info('GET', { 'sec-fetch-site': 'cross-site' }), nullSink)).verifyCsrf();
    const { manager } = testManager();
    const off = createSessionHandler(manager, { csrf: false });
    (await off.begin(info('POST', { 'sec-fetch-site': 'cross-site' }), nullSink)).verifyCsrf();
  });
});
