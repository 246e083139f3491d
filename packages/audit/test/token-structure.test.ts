/**
 * Structured cookies are analysed by their variable part: express-session's `s:<id>.<sig>`, JWTs
 * and `<id>.<mac>`. Analysed whole, they fail the statistics and would raise a false alarm.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { runAudit } from '../src/audit.ts';
import { parseProfile } from '../src/profile.ts';
import { analyzeTokens } from '../src/randomness/index.ts';
import { detectTokenStructure } from '../src/token-structure.ts';
import { EXPRESS_PROFILE, startExpressDefault } from './fixtures/express-default.ts';

const sign = (id: string) => createHmac('sha256', 'k').update(id).digest('base64').replace(/=+$/, '');
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('structured tokens', () => {
  test('express-session s:<id>.<sig>, URL-encoded: only the id is analysed, and it is strong', () => {
    const values = Array.from({ length: 2000 }, () => {
      const id = randomBytes(24).toString('base64url');
      return encodeURIComponent(`s:${id}.${sign(id)}`);
    });
    const whole = analyzeTokens(values.map(decodeURIComponent));
    assert.notEqual(whole.verdict, 'strong'); // the false alarm the detection prevents
    const s = detectTokenStructure(values);
    assert.equal(s.kind, 'express-signed');
    const r = analyzeTokens(values.map(s.extract));
    assert.equal(r.verdict, 'strong');
    assert.equal(r.length.max, 32);
  });

  test('JWT: the varying claim is analysed; without one, the signature, and the report says so', () => {
    const header = b64({ alg: 'HS256', typ: 'JWT' });
    const withJti = Array.from({ length: 50 }, (_, i) => {
      const body = b64({ sub: 'alice', iat: 1_700_000_000 + i, jti: randomBytes(16).toString('hex') });
      return `${header}.${body}.${sign(`${header}.${body}`).replace(/\+/g, '-').replace(/\//g, '_')}`;
    });
    const s = detectTokenStructure(withJti);
    assert.equal(s.kind, 'jwt');
    assert.match(s.explanation, /claim "jti"/);
    assert.match(s.extract(withJti[0] as string), /^[0-9a-f]{32}$/);
    const noClaim = withJti.map((t) => {
      const body = b64({ sub: 'alice', iat: Math.random() });
      return `${t.split('.')[0]}.${body}.${sign(body).replace(/\+/g, '-').replace(/\//g, '_')}`;
    });
    assert.match(detectTokenStructure(noClaim).explanation, /as strong as its signing key/);
  });

  test('<id>.<hmac>: the id is analysed; plain random tokens are left whole; tokenPattern overrides', () => {
    const values = Array.from({ length: 50 }, () => {
      const id = randomBytes(16).toString('hex');
      return `${id}.${createHmac('sha256', 'k').update(id).digest('hex')}`;
    });
    const s = detectTokenStructure(values);
    assert.equal(s.kind, 'id-mac');
    assert.equal(s.extract(values[0] as string).length, 32);
    const plain = Array.from({ length: 50 }, () => randomBytes(24).toString('base64url'));
    assert.equal(detectTokenStructure(plain).kind, 'plain');
    assert.equal(detectTokenStructure(values, '^([0-9a-f]{8})').extract(values[0] as string).length, 8);
  });

  test('express-session audited without a tokenPattern: no false weak-randomness alarm', async () => {
    const app = await startExpressDefault();
    try {
      const { session: _drop, ...profile } = EXPRESS_PROFILE;
      const report = await runAudit({
        target: app.url,
        profile: parseProfile(profile),
        samples: 1000,
        only: ['randomness'],
      });
      assert.deepEqual(report.findings, []);
      assert.equal(report.randomness?.verdict, 'strong');
      assert.match(report.randomness?.tokenStructure ?? '', /express-session signed cookie/);
    } finally {
      await app.close();
    }
  });
});
