/**
 * The small parts of the DBSC implementation on their own: lenient reading of the structured
 * headers browsers send, the bound cookie's MAC and lifetime, and option validation.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { boundCookieValue, readBoundCookie } from '../../src/http/dbsc/bound-cookie.ts';
import { checkRegistrationChallenge, registrationChallenge } from '../../src/http/dbsc/challenge.ts';
import { resolveDeviceBound } from '../../src/http/dbsc/options.ts';
import { publicJwk } from '../../src/http/dbsc/proof.ts';
import { readSkipped, readStringItem, sfString } from '../../src/http/dbsc/structured-headers.ts';

describe('DBSC building blocks', () => {
  test('sf-strings are read quoted (spec) or bare (Chromium); anything odd is refused', () => {
    assert.equal(readStringItem('"abc.def"', 100), 'abc.def');
    assert.equal(readStringItem('abc.def', 100), 'abc.def');
    assert.equal(readStringItem('"a\\"b\\\\c";p=1', 100), 'a"b\\c');
    assert.equal(readStringItem('abc;param="x"', 100), 'abc');
    for (const bad of [
      '',
      '"unterminated',
      '"bad \\n escape"',
      '"\u00e9"',
      'a"b',
      'x'.repeat(101),
      undefined,
    ])
      assert.equal(readStringItem(bad, 100), null, String(bad));
    assert.equal(sfString('a"b\\'), '"a\\"b\\\\"');
    assert.throws(() => sfString('line\nbreak'));
  });

  test('Secure-Session-Skipped lists are read item by item', () => {
    assert.deepEqual(
      readSkipped('unreachable;session_identifier="123", quota_exceeded;session_identifier="456"'),
      [
        { reason: 'unreachable', sessionId: '123' },
        { reason: 'quota_exceeded', sessionId: '456' },
      ],
    );
    assert.deepEqual(readSkipped('UNREACHABLE;session_identifier="1", server_error'), []);
    assert.deepEqual(readSkipped(`unreachable;session_identifier="${'x'.repeat(5000)}"`), []);
  });

  test('the bound cookie is genuine only for its binding, within its lifetime plus the leeway', () => {
    const binding = { id: 'dbsc-1', secret: Buffer.alloc(32, 7).toString('base64url') };
    const t = 1_800_000_000_000;
    const value = boundCookieValue(binding, t);
    assert.equal(readBoundCookie(binding, value, t + 599_000, 600_000, 30_000), t);
    assert.equal(readBoundCookie(binding, value, t + 629_000, 600_000, 30_000), t);
    assert.equal(readBoundCookie(binding, value, t + 631_000, 600_000, 30_000), null, 'expired');
    assert.equal(
      readBoundCookie({ ...binding, id: 'dbsc-2' }, value, t, 600_000, 30_000),
      null,
      'another binding',
    );
    const [, mac] = value.split('.');
    const extended = `${(t + 3_600_000).toString(36)}.${mac}`;
    assert.equal(
      readBoundCookie(binding, extended, t + 3_600_000, 600_000, 30_000),
      null,
      'a moved issue time',
    );
    assert.equal(
      readBoundCookie(binding, boundCookieValue(binding, t + 120_000), t, 600_000, 30_000),
      null,
      'from the future',
    );
    assert.equal(readBoundCookie(binding, 'garbage', t, 600_000, 30_000), null);
  });

  test('a registration challenge belongs to one session and expires', () => {
    const secret = Buffer.alloc(32, 1).toString('base64url');
    const other = Buffer.alloc(32, 2).toString('base64url');
    const c = registrationChallenge(secret, 1000);
    assert.equal(checkRegistrationChallenge(secret, c, 999), null);
    assert.equal(checkRegistrationChallenge(secret, c, 1000), 'expired');
    assert.equal(checkRegistrationChallenge(other, c, 999), 'foreign');
    const [, nonce, mac] = c.split('.');
    assert.equal(
      checkRegistrationChallenge(secret, `${(99_999).toString(36)}.${nonce}.${mac}`, 999),
      'foreign',
      'a moved expiry',
    );
    assert.equal(checkRegistrationChallenge(secret, 42, 0), 'malformed');
  });

  test('only public P-256 and ≥2048-bit RSA keys are accepted', () => {
    const ec = { kty: 'EC', crv: 'P-256', x: 'A'.repeat(43), y: 'B'.repeat(43) };
    assert.deepEqual(publicJwk({ ...ec, kid: 'k', use: 'sig' }, 'ES256'), ec);
    assert.equal(publicJwk({ ...ec, d: 'secret' }, 'ES256'), null);
    assert.equal(publicJwk({ ...ec, crv: 'P-384' }, 'ES256'), null);
    assert.equal(publicJwk(ec, 'RS256'), null);
    assert.equal(publicJwk({ kty: 'RSA', n: 'A'.repeat(171), e: 'AQAB' }, 'RS256'), null, '1024-bit');
    assert.ok(publicJwk({ kty: 'RSA', n: 'A'.repeat(342), e: 'AQAB' }, 'RS256'));
    assert.equal(publicJwk({ kty: 'oct', k: 'secret' }, 'ES256'), null);
  });

  test('options: off unless given, safe defaults, bad values named', () => {
    assert.equal(resolveDeviceBound(undefined), null);
    assert.equal(resolveDeviceBound(false), null);
    assert.equal(resolveDeviceBound({ mode: 'off' }), null);
    const d = resolveDeviceBound({})!;
    assert.equal(d.mode, 'optional');
    assert.equal(d.onMissingProof, 'revoke');
    assert.equal(d.cookieLifetimeMs, 600_000);
    assert.deepEqual(d.algorithms, ['ES256', 'RS256']);
    const bad: Array<[object, string]> = [
      [{ mode: 'sometimes' }, 'deviceBound.mode'],
      [{ path: 'no-slash' }, 'deviceBound.path'],
      [{ algorithms: ['HS256'] }, 'deviceBound.algorithms'],
      [{ algorithms: [] }, 'deviceBound.algorithms'],
      [{ cookieLifetime: '1s' }, 'deviceBound.cookieLifetime'],
      [{ onMissingProof: 'ignore' }, 'deviceBound.onMissingProof'],
      [{ requiredAuthLevel: -1 }, 'deviceBound.requiredAuthLevel'],
    ];
    for (const [o, field] of bad)
      assert.throws(
        () => resolveDeviceBound(o as never),
        (e: { code?: string; field?: string }) => e.code === 'CONFIG_INVALID' && e.field === field,
        field,
      );
  });
});
