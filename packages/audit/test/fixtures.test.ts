/**
 * Each deliberately flawed fixture is audited; the test asserts the exact set of findings, so a
 * flaw that is missed fails and so does a false alarm on a flaw the fixture does not have.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FixtureOptions } from './fixtures/flawed-app.ts';
import { auditFixture, NO_RANDOMNESS, ruleIds, statuses } from './helpers.ts';

const CASES: Array<{ name: string; flaws: FixtureOptions; expect: string[] }> = [
  {
    name: 'missing cookie flags (no Secure/HttpOnly/SameSite/prefix, 30-day Max-Age)',
    flaws: { cookieName: 'sid', secure: false, httpOnly: false, sameSite: null, maxAgeSeconds: 30 * 86400 },
    expect: [
      'COOKIE-NO-HTTPONLY',
      'COOKIE-NO-PREFIX',
      'COOKIE-NO-SAMESITE',
      'COOKIE-NO-SECURE',
      'COOKIE-PERSISTENT',
    ],
  },
  { name: 'no rotation on login', flaws: { rotateOnLogin: false }, expect: ['FIXATION-NO-ROTATION'] },
  {
    name: 'planted id adopted (and no rotation, without which adoption is moot)',
    flaws: { rotateOnLogin: false, adoptPlanted: true },
    expect: ['FIXATION-NO-ROTATION', 'FIXATION-PLANTED-ADOPTED'],
  },
  {
    name: 'logout only clears the cookie',
    flaws: { logout: 'client-only' },
    expect: ['LOGOUT-NOT-INVALIDATED'],
  },
  {
    name: 'session id in URL (and so accepted from it)',
    flaws: { idInUrl: true },
    expect: ['TOKEN-IN-URL', 'TOKEN-URL-ACCEPTED'],
  },
  {
    name: 'session id accepted from the URL though never put there',
    flaws: { acceptIdInUrl: true },
    expect: ['TOKEN-URL-ACCEPTED'],
  },
  { name: 'token reflected in page', flaws: { reflectToken: true }, expect: ['TOKEN-REFLECTED'] },
  {
    name: 'no CSRF defence (SameSite=Lax cookie)',
    flaws: { csrfDefence: false },
    expect: ['CSRF-CROSS-SITE-ACCEPTED'],
  },
  {
    name: 'no CSRF defence and SameSite=None',
    flaws: { csrfDefence: false, sameSite: 'None' },
    expect: ['COOKIE-SAMESITE-NONE', 'CSRF-CROSS-SITE-ACCEPTED'],
  },
  {
    name: 'no rotation on privilege change',
    flaws: { rotateOnPrivilege: false },
    expect: ['ROTATION-NO-ROTATION'],
  },
  {
    name: 'authenticated page without Cache-Control',
    flaws: { cacheControl: null },
    expect: ['CACHE-AUTHENTICATED-STORABLE'],
  },
  {
    name: 'authenticated page Cache-Control: private',
    flaws: { cacheControl: 'private, max-age=600' },
    expect: ['CACHE-PRIVATE-ONLY'],
  },
];

describe('flawed fixtures: each flaw found, nothing else', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const report = await auditFixture(c.flaws, { only: NO_RANDOMNESS });
      assert.ok(
        report.checks.every((ch) => ch.status !== 'error'),
        JSON.stringify(statuses(report)),
      );
      assert.deepEqual(ruleIds(report), c.expect);
    });
  }

  test('severity of CSRF depends on SameSite', async () => {
    const lax = await auditFixture({ csrfDefence: false }, { only: ['csrf'] });
    const none = await auditFixture({ csrfDefence: false, sameSite: 'None' }, { only: ['csrf'] });
    assert.equal(lax.findings[0]?.severity, 'medium');
    assert.equal(none.findings[0]?.severity, 'high');
  });

  test('the good fixture passes every check, randomness included', async () => {
    const report = await auditFixture({}, { samples: 300 });
    assert.deepEqual(ruleIds(report), [], JSON.stringify(report.findings.map((f) => f.evidence)));
    assert.deepEqual(
      report.checks.map((c) => `${c.check}:${c.status}`),
      [
        'session-cookie:passed',
        'cookie-attributes:passed',
        'fixation:passed',
        'logout:passed',
        'rotation:passed',
        'csrf:passed',
        'caching:passed',
        'timeout:skipped',
        'randomness:passed',
        'token-in-url:passed',
      ],
    );
    assert.equal(report.sessionCookie, '__Host-sid');
    assert.equal(report.randomness?.verdict, 'strong');
  });
});

describe('weak token generators', () => {
  test('sequential ids: one root cause, one finding (predictable), statistics and entropy as its evidence', async () => {
    const report = await auditFixture({ ids: 'sequential' }, { samples: 300 });
    assert.deepEqual(ruleIds(report), ['TOKEN-PREDICTABLE']);
    const evidence = report.findings[0]?.evidence ?? [];
    assert.match(evidence[0] ?? '', /counter/);
    assert.ok(evidence.some((e) => e.startsWith('statistics: verdict broken')));
    assert.ok(evidence.some((e) => e.startsWith('entropy: ')));
  });

  test('timestamp-hash ids: recognised as a hash of the issue time', async () => {
    const report = await auditFixture({ ids: 'timestamp-hash' }, { only: ['randomness'], samples: 300 });
    // One finding: duplicates (same millisecond) and any failed statistics are its evidence.
    assert.deepEqual(ruleIds(report), ['TOKEN-PREDICTABLE']);
    const evidence = report.findings[0]?.evidence.join('\n') ?? '';
    assert.match(evidence, /generator model: md5\(milliseconds since the epoch\)/);
    assert.match(evidence, /hash of the issue time/);
  });

  test('Math.random ids: two root causes (too short, biased generator) — and no other finding', async () => {
    const report = await auditFixture({ ids: 'math-random' }, { samples: 300 });
    assert.deepEqual(ruleIds(report), ['TOKEN-LOW-ENTROPY', 'TOKEN-WEAK-RANDOMNESS']);
  });
});

describe('timeouts (long-running mode)', () => {
  const declared = { timeouts: { longRunning: true, idle: '600ms', absolute: '1500ms', tolerance: 0.5 } };

  test('enforced timeouts: no finding, measured values reported', async () => {
    const report = await auditFixture(
      { idleMs: 600, absoluteMs: 1500 },
      { only: ['timeout'], profile: declared },
    );
    assert.deepEqual(ruleIds(report), []);
    const notes = report.checks.find((c) => c.check === 'timeout')?.notes.join(' ') ?? '';
    assert.match(notes, /Measured idle timeout: between/);
    assert.match(notes, /Measured absolute lifetime: about/);
  });

  test('no timeouts: both findings', async () => {
    const report = await auditFixture({}, { only: ['timeout'], profile: declared });
    assert.deepEqual(ruleIds(report), ['TIMEOUT-ABSOLUTE-NOT-ENFORCED', 'TIMEOUT-IDLE-NOT-ENFORCED']);
  });

  test('skipped unless long-running mode is on', async () => {
    const report = await auditFixture({}, { only: ['timeout'] });
    assert.equal(report.checks[0]?.status, 'skipped');
  });
});

describe('profile variants', () => {
  test('scripted login steps with credential placeholders and hidden fields from the previous page', async () => {
    const report = await auditFixture(
      {},
      {
        only: ['session-cookie', 'fixation', 'logout'],
        profile: {
          login: {
            username: 'alice',
            password: 'wonderland',
            steps: [
              { method: 'GET', path: '/login' },
              {
                method: 'POST',
                path: '/login',
                // biome-ignore lint/suspicious/noTemplateCurlyInString: the profile's placeholder syntax
                form: { username: '${username}', password: '${password}' },
                hiddenFieldsFrom: 'previous',
                expect: { status: 303 },
              },
            ],
          },
        },
      },
    );
    assert.ok(
      report.checks.every((c) => c.status === 'passed'),
      JSON.stringify(statuses(report)),
    );
    assert.deepEqual(ruleIds(report), []);
  });

  test('a declared session cookie that does not exist is a clear error', async () => {
    await assert.rejects(auditFixture({}, { only: ['caching'], profile: { session: { cookie: 'nope' } } }), {
      code: 'SESSION_COOKIE_NOT_FOUND',
      message: /session\.cookie: no cookie named "nope" after login \(have: __Host-sid\)/,
    });
  });
});
