/**
 * The error model: SESSION_EXPIRED for a logged-in session that has just expired (engine result,
 * `noSessionError`, and the HTTP layer's `requireAuth` and problem JSON), INVALID_ARGUMENT for
 * arguments the engine cannot take, and store failures that always reach the caller as Tessera errors.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ResponseSink } from '../../src/http/request-session.ts';
import { createSessionHandler, type RequestInfo } from '../../src/http/session-handler.ts';
import {
  HTTP_STATUS,
  InvalidArgumentError,
  isTesseraError,
  type NoSession,
  noSessionError,
  SessionExpiredError,
  TesseraError,
  UnauthenticatedError,
} from '../../src/index.ts';
import { type Harness, harness, MINUTE } from '../helpers/engine.ts';

const COOKIE = '__Host-sid';
const sink = (): ResponseSink & { cookies: Map<string, string> } => {
  const cookies = new Map<string, string>();
  return { cookies, setCookie: (n, v) => cookies.set(n, v), setHeader() {} };
};
const request = (token?: string): RequestInfo => ({
  method: 'GET',
  header: (n) => ({ accept: 'application/json', host: 'shop.example' })[n],
  cookie: token === undefined ? undefined : `${COOKIE}=${token}`,
  ip: '192.0.2.1',
  encrypted: true,
});

describe('error model', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  test('noSessionError: SESSION_EXPIRED only for an expired logged-in session', () => {
    const expired = noSessionError({ ok: false, reason: 'expired', deadline: 'idle', authenticated: true });
    assert.ok(expired instanceof SessionExpiredError);
    assert.equal(expired.code, 'SESSION_EXPIRED');
    assert.equal(expired.status, 401);
    assert.equal(expired.deadline, 'idle');
    const cases: NoSession[] = [
      { ok: false, reason: 'expired', deadline: 'absolute', authenticated: false },
      { ok: false, reason: 'missing' },
      { ok: false, reason: 'malformed' },
      { ok: false, reason: 'unknown' },
      { ok: false, reason: 'revoked' },
      { ok: false, reason: 'reuse' },
      { ok: false, reason: 'binding' },
      { ok: false, reason: 'unreadable' },
    ];
    for (const c of cases) {
      const err = noSessionError(c);
      assert.ok(err instanceof UnauthenticatedError, c.reason);
      assert.equal(err.code, 'UNAUTHENTICATED');
    }
  });

  test('HTTP: requireAuth says SESSION_EXPIRED when the logged-in session just expired', async () => {
    h = harness('memory', { idleTimeout: '30m' });
    const handler = createSessionHandler(h.manager, { csrf: false });
    const { token } = await h.manager.login(null, 'alice');
    h.clock.advance(30 * MINUTE);
    const out = sink();
    const rs = await handler.begin(request(token), out);
    assert.equal(rs.current, null);
    assert.match(
      out.cookies.get(COOKIE) ?? '',
      /Max-Age=0|Expires=Thu, 01 Jan 1970/i,
      'the cookie is cleared',
    );
    let thrown: unknown;
    try {
      rs.requireAuth();
    } catch (err) {
      thrown = err;
    }
    assert.ok(isTesseraError(thrown, 'SESSION_EXPIRED'), `got ${String(thrown)}`);
    const rendered = handler.renderError(thrown, 'application/json');
    assert.equal(rendered.status, 401);
    assert.equal(rendered.problem.code, 'SESSION_EXPIRED');
    assert.match(rendered.problem.detail, /expired/);
    // The same request checked again later (no cookie any more) is plain UNAUTHENTICATED.
    const again = await handler.begin(request(), sink());
    assert.throws(() => again.requireAuth(), { code: 'UNAUTHENTICATED' });
  });

  test('HTTP: an expired anonymous session, an unknown token and no cookie are UNAUTHENTICATED', async () => {
    h = harness('memory', { idleTimeout: '30m' });
    const handler = createSessionHandler(h.manager, { csrf: false });
    const anon = await h.manager.create();
    h.clock.advance(30 * MINUTE);
    const live = await h.manager.login(null, 'bob');
    await h.manager.logout(live.session);
    for (const token of [anon.token, live.token, 'A'.repeat(43), undefined]) {
      const rs = await handler.begin(request(token), sink());
      assert.throws(() => rs.requireAuth(), { code: 'UNAUTHENTICATED' }, String(token));
    }
  });

  test('HTTP: a request whose session expired and that logs in again is not held to the expiry', async () => {
    h = harness('memory', { idleTimeout: '30m' });
    const handler = createSessionHandler(h.manager, { csrf: false });
    const { token } = await h.manager.login(null, 'alice');
    h.clock.advance(30 * MINUTE);
    const rs = await handler.begin(request(token), sink());
    await rs.login('alice');
    assert.equal(rs.requireAuth().userId, 'alice');
    await rs.logout({ clearSiteData: false });
    assert.throws(() => rs.requireAuth(), { code: 'UNAUTHENTICATED' }, 'signed out now, not expired');
  });

  test('arguments the engine cannot take are INVALID_ARGUMENT (500, nothing echoed)', async () => {
    h = harness('memory');
    const secret = 'x'.repeat(300);
    await assert.rejects(h.manager.login(null, secret), (err) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.equal(err.code, 'INVALID_ARGUMENT');
      assert.equal(err.status, 500);
      assert.ok(!err.message.includes(secret));
      return true;
    });
    await assert.rejects(h.manager.login(null, 'alice', { federated: { iss: '', sub: 's' } }), {
      code: 'INVALID_ARGUMENT',
    });
    const forged = { id: 'x', userId: 'alice' } as never;
    assert.throws(() => h!.manager.csrfToken(forged), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(h.manager.logout(forged), { code: 'INVALID_ARGUMENT' });
  });

  test('store failures reach the caller as Tessera errors with the cause kept', async () => {
    h = harness('memory');
    const { token } = await h.manager.login(null, 'alice');
    for (const method of ['get', 'create', 'listByUser', 'sweep'] as const) {
      h.store.failing = new Set([method]);
      const run =
        method === 'get'
          ? h.manager.validate(token)
          : method === 'create'
            ? h.manager.create()
            : method === 'listByUser'
              ? h.manager.login(null, 'carol')
              : h.manager.sweep();
      await assert.rejects(run, (err) => {
        assert.ok(err instanceof TesseraError, `${method}: ${String(err)}`);
        assert.equal(err.code, 'STORE_UNAVAILABLE');
        assert.ok(err.cause instanceof Error, 'the store error is kept as cause');
        return true;
      });
    }
  });

  test('every code in the union has a producer: an error class that some module throws', () => {
    const src = fileURLToPath(new URL('../../src/', import.meta.url));
    const errorsTs = readFileSync(join(src, 'errors.ts'), 'utf8');
    // class Name extends Parent { ... super('CODE' ... }
    const classes = [
      ...errorsTs.matchAll(
        /export class (\w+) extends (\w+) \{(?:(?!export class)[\s\S])*?super\(\s*'([A-Z_]+)'/g,
      ),
    ];
    const codeOf = new Map(classes.map((m) => [m[1]!, m[3]!]));
    const sources = (readdirSync(src, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && f !== 'errors.ts')
      .map((f) => readFileSync(join(src, f), 'utf8'))
      .join('\n');
    const produced = new Set<string>();
    for (const [name, code] of codeOf) if (new RegExp(`new ${name}\\b`).test(sources)) produced.add(code);
    // Subclasses declared outside errors.ts (AddressThrottledError extends RateLimitedError).
    for (const m of sources.matchAll(/class \w+ extends (\w+)/g)) {
      const code = codeOf.get(m[1]!);
      if (code) produced.add(code);
    }
    const codes = Object.keys(HTTP_STATUS).sort();
    assert.deepEqual(
      codes.filter((c) => !produced.has(c)),
      [],
      'codes with no producer: produce them where they belong, or remove them',
    );
    assert.ok(!codes.includes('SESSION_NOT_FOUND'), 'SESSION_NOT_FOUND was never produced and is gone');
  });
});
