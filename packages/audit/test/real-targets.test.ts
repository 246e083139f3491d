/**
 * The auditor against real stacks nobody here wrote, started by the test on 127.0.0.1: PHP's
 * built-in server with native sessions, Django from Debian, Tomcat 10 from Debian. Each declares
 * what is true of it (from the stack's documented defaults and the app's code); the audit must
 * find exactly that: every fact, no false alarm. Missing stacks skip loudly, and fail under CI.
 * Audit times are printed (test diagnostics), not asserted: speed is measured, not tested
 * (`scripts/audit-real-targets.ts` runs the full default audits and prints their times).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runAudit } from '../src/audit.ts';
import { parseProfile } from '../src/profile.ts';
import { FORMATS, render } from '../src/report/index.ts';
import { type RealTarget, startDjango, startPhp, startTomcat } from './fixtures/real-targets.ts';
import { ruleIds, statuses } from './helpers.ts';

interface Case {
  start: () => Promise<RealTarget | string>;
  cookie: string;
  /** What is true of the target, as rule ids. */
  facts: string[];
  encoding: string;
  /** The stack the auditor should recognise, and a rule whose fix hint is in its terms. */
  stack: [string, string, RegExp];
}

const CASES: Record<string, Case> = {
  php: {
    start: startPhp,
    cookie: 'PHPSESSID',
    // php.ini defaults: no HttpOnly, Secure or SameSite; no CSRF defence in the app; the id is
    // regenerated at login but not when the role changes; nocache limiter → no-store; logout as
    // the manual shows it (destroy + delete the cookie); ids of 26 symbols × 5 bits from a CSPRNG.
    facts: [
      'COOKIE-NO-HTTPONLY',
      'COOKIE-NO-PREFIX',
      'COOKIE-NO-SAMESITE',
      'COOKIE-NO-SECURE',
      'CSRF-CROSS-SITE-ACCEPTED',
      'ROTATION-NO-ROTATION',
    ],
    encoding: 'base32',
    stack: ['PHP native sessions', 'ROTATION-NO-ROTATION', /session_regenerate_id\(true\)/],
  },
  django: {
    start: startDjango,
    cookie: 'sessionid',
    // Django 3.2 defaults: HttpOnly, SameSite=Lax, no Secure, Max-Age two weeks; cycle_key() at
    // login; CSRF middleware; a login_required view without never_cache; no cycle_key() when the
    // role changes; LogoutView flushes and deletes; ids of 32 symbols of [a-z0-9].
    facts: [
      'CACHE-AUTHENTICATED-STORABLE',
      'COOKIE-NO-PREFIX',
      'COOKIE-NO-SECURE',
      'COOKIE-PERSISTENT',
      'ROTATION-NO-ROTATION',
    ],
    encoding: 'base36',
    stack: ['Django', 'CACHE-AUTHENTICATED-STORABLE', /@never_cache/],
  },
  tomcat: {
    start: startTomcat,
    cookie: 'JSESSIONID',
    // Tomcat 10 defaults: HttpOnly, no Secure, no SameSite; tracking modes COOKIE and URL, so
    // encodeURL() writes ;jsessionid= into the first page's links and a ;jsessionid= alone is
    // accepted; the id is not changed at login or role change unless the app calls
    // changeSessionId(); invalidate() sends no cookie deletion; no Cache-Control, no CSRF.
    facts: [
      'CACHE-AUTHENTICATED-STORABLE',
      'COOKIE-NO-PREFIX',
      'COOKIE-NO-SAMESITE',
      'COOKIE-NO-SECURE',
      'CSRF-CROSS-SITE-ACCEPTED',
      'FIXATION-NO-ROTATION',
      'LOGOUT-COOKIE-NOT-CLEARED',
      'ROTATION-NO-ROTATION',
      'TOKEN-IN-URL',
      'TOKEN-URL-ACCEPTED',
    ],
    encoding: 'hex',
    stack: ['Tomcat / Jakarta Servlet', 'TOKEN-URL-ACCEPTED', /tracking-mode>COOKIE/],
  },
};

describe('real targets', () => {
  for (const [name, c] of Object.entries(CASES)) {
    test(`${name}: every fact found, no false alarm`, async (t) => {
      const target = await c.start();
      if (typeof target === 'string') {
        const msg = `SKIPPED real target ${name}: ${target} — install it with .ci/setup.d/50-audit-targets.sh`;
        if (process.env.CI === 'true') assert.fail(msg);
        process.stderr.write(`\n!!! ${msg}\n\n`);
        t.skip(msg);
        return;
      }
      try {
        // CI-bounded sampling: 3,000 tokens at most (well over the 20,000 bits of FIPS 140-2 and
        // the NIST tests' minimums) and 20 s of sampling. Full default audits are measured by
        // scripts/audit-real-targets.ts.
        const report = await runAudit({
          target: target.url,
          profile: parseProfile({ ...target.profile, randomness: { maxTime: '20s' } }),
          samples: 3000,
        });
        t.diagnostic(
          `${target.name}: audit ${(report.durationMs / 1000).toFixed(1)} s, ${report.requestsSent} requests, ` +
            `${report.randomness?.sampleSize ?? 0} tokens sampled; findings: ${ruleIds(report).join(', ')}`,
        );
        assert.ok(
          report.checks.every((ch) => ch.status !== 'error'),
          JSON.stringify(statuses(report)),
        );
        assert.equal(report.sessionCookie, c.cookie);
        assert.deepEqual(ruleIds(report), c.facts);
        assert.equal(report.randomness?.verdict, 'strong');
        assert.equal(report.randomness?.encoding, c.encoding);
        assert.equal(report.stack, c.stack[0]);
        assert.match(report.findings.find((f) => f.ruleId === c.stack[1])?.fix?.hint ?? '', c.stack[2]);
        for (const format of FORMATS) assert.ok(render(report, format).length > 0);
      } finally {
        await target.close();
      }
    });
  }
});
