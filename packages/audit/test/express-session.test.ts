/**
 * express-session in its default configuration, audited. What is true of it (from its source,
 * v1.19): cookie `connect.sid`, `Path=/; HttpOnly`, no Secure (cookie.secure defaults to false),
 * no SameSite, no Expires (cookie.maxAge null); a session and its cookie exist before login
 * (saveUninitialized defaults to true); the id does not change at login or on privilege change
 * unless the app calls `req.session.regenerate()`; an unsigned or forged cookie is ignored and a
 * new id issued; `destroy()` deletes the session server-side but sends no Set-Cookie, so the
 * browser keeps the dead cookie; no CSRF defence; no Cache-Control on responses; ids from
 * uid-safe (24 random bytes).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runAudit } from '../src/audit.ts';
import { parseProfile } from '../src/profile.ts';
import { EXPRESS_PROFILE, startExpressDefault } from './fixtures/express-default.ts';
import { ruleIds, statuses } from './helpers.ts';

describe('express-session, default configuration', () => {
  test('finds exactly what is true of it', async () => {
    const app = await startExpressDefault();
    try {
      const report = await runAudit({
        target: app.url,
        profile: parseProfile(EXPRESS_PROFILE),
        samples: 300,
      });
      assert.ok(
        report.checks.every((c) => c.status !== 'error'),
        JSON.stringify(statuses(report)),
      );
      assert.equal(report.sessionCookie, 'connect.sid');
      assert.deepEqual(ruleIds(report), [
        'CACHE-AUTHENTICATED-STORABLE',
        'COOKIE-NO-PREFIX',
        'COOKIE-NO-SAMESITE',
        'COOKIE-NO-SECURE',
        'CSRF-CROSS-SITE-ACCEPTED',
        'FIXATION-NO-ROTATION',
        'LOGOUT-COOKIE-NOT-CLEARED',
        'ROTATION-NO-ROTATION',
      ]);
      // HttpOnly is on by default, and the cookie is a browser-session cookie: no findings for those.
      const cookie = report.findings.find((f) => f.ruleId === 'COOKIE-NO-SECURE')?.evidence[0] ?? '';
      assert.match(cookie, /^Set-Cookie: connect\.sid=s%3A…\(\d+ chars\); Path=\/; HttpOnly$/);
      // Planted ids are not adopted (signed cookies); the pre-login id is simply kept.
      const fixation = report.checks.find((c) => c.check === 'fixation');
      assert.match(fixation?.notes.join(' ') ?? '', /planted, never-issued token was replaced/);
      // Logout really ends the session server-side.
      assert.ok(!report.findings.some((f) => f.ruleId === 'LOGOUT-NOT-INVALIDATED'));
      // No SameSite attribute: the CSRF finding is high.
      assert.equal(report.findings.find((f) => f.ruleId === 'CSRF-CROSS-SITE-ACCEPTED')?.severity, 'high');
      // uid-safe ids: 32 base64url characters, statistically fine.
      assert.equal(report.randomness?.encoding, 'base64url');
      assert.equal(report.randomness?.length.max, 32);
      assert.equal(report.randomness?.verdict, 'strong');
    } finally {
      await app.close();
    }
  });

  test('with req.session.regenerate() at login, the fixation finding goes away', async () => {
    const app = await startExpressDefault({ regenerateOnLogin: true });
    try {
      const report = await runAudit({
        target: app.url,
        profile: parseProfile(EXPRESS_PROFILE),
        only: ['fixation'],
      });
      assert.deepEqual(ruleIds(report), []);
    } finally {
      await app.close();
    }
  });
});
