/** Cookie options: the safe defaults, and refusals of settings that would weaken the session cookie. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTesseraError } from '../../src/errors.ts';
import { isLocalHost, resolveCookieOptions } from '../../src/http/cookie-options.ts';

const refused = (fn: () => unknown, field: RegExp) =>
  assert.throws(
    fn,
    (err: unknown) => isTesseraError(err, 'CONFIG_INVALID') && field.test((err as Error).message),
  );

test('defaults: __Host-sid, Secure, SameSite=Lax', () => {
  assert.deepEqual(resolveCookieOptions(), { name: '__Host-sid', sameSite: 'lax', secure: true });
});

test('a plain-HTTP public origin beyond localhost is refused unless insecure is explicit', () => {
  refused(() => resolveCookieOptions({}, 'http://shop.example'), /publicOrigin/);
  refused(() => resolveCookieOptions({}, 'http://10.0.0.5:8080'), /publicOrigin/);
  refused(() => resolveCookieOptions({}, 'not a url'), /publicOrigin/);
  assert.equal(resolveCookieOptions({ insecure: true }, 'http://shop.example').secure, false);
  assert.equal(resolveCookieOptions({ insecure: true }).name, 'sid');
  for (const ok of [
    'https://shop.example',
    'http://localhost:3000',
    'http://127.0.0.1',
    'http://app.localhost',
  ]) {
    assert.equal(resolveCookieOptions({}, ok).secure, true, ok);
  }
});

test('a secure cookie must keep the __Host- prefix', () => {
  refused(() => resolveCookieOptions({ name: 'sid' }), /__Host-/);
  refused(() => resolveCookieOptions({ name: '__Secure-sid' }), /__Host-/);
  assert.equal(resolveCookieOptions({ name: '__Host-shop' }).name, '__Host-shop');
});

test('SameSite=None, bad names and an insecure __Host- cookie are refused', () => {
  refused(() => resolveCookieOptions({ sameSite: 'none' as 'lax' }), /sameSite/);
  refused(() => resolveCookieOptions({ name: 'a b' }), /cookie\.name/);
  refused(() => resolveCookieOptions({ name: 'sid;Domain=evil' }), /cookie\.name/);
  refused(() => resolveCookieOptions({ name: '' }), /cookie\.name/);
  refused(() => resolveCookieOptions({ insecure: true, name: '__Host-sid' }), /cookie\.name/);
  refused(() => resolveCookieOptions({ insecure: true, name: '__Secure-sid' }), /cookie\.name/);
});

test('isLocalHost', () => {
  for (const h of ['localhost', 'LOCALHOST', 'a.localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]'])
    assert.ok(isLocalHost(h), h);
  for (const h of ['localhost.example', 'example.com', '10.0.0.1', '128.0.0.1', 'mylocalhost'])
    assert.ok(!isLocalHost(h), h);
});
