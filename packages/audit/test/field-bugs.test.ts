/**
 * Bugs found by auditing real stacks (issue 15), each reproduced on the fixture first: the login's
 * own Set-Cookie, live tokens in reports, the timeout check without budget, a wrong
 * `session.cookie`, and the small ones.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runAudit } from '../src/audit.ts';
import { runCli } from '../src/cli.ts';
import { isAuditError } from '../src/errors.ts';
import { parseProfile, parseProfileText } from '../src/profile.ts';
import { FORMATS, render } from '../src/report/index.ts';
import { FIXTURE_PROFILE, type FixtureOptions, startFixture } from './fixtures/flawed-app.ts';
import { NO_RANDOMNESS, ruleIds, statuses } from './helpers.ts';

async function withFixture<T>(
  flaws: FixtureOptions,
  run: (url: string, issued: () => string[]) => Promise<T>,
) {
  const fixture = await startFixture(flaws);
  try {
    return await run(fixture.url, fixture.issued);
  } finally {
    await fixture.close();
  }
}

describe('the login response’s Set-Cookie', () => {
  test('a cookie set only by the POST is the one cookie-attributes reads (no cookie before login)', async () => {
    await withFixture({ lazySession: true, sameSite: null, httpOnly: false }, async (url) => {
      const report = await runAudit({
        target: url,
        profile: parseProfile(FIXTURE_PROFILE),
        only: NO_RANDOMNESS,
      });
      assert.ok(
        report.checks.every((c) => c.status !== 'error' && c.status !== 'skipped'),
        JSON.stringify(statuses(report)),
      );
      assert.deepEqual(ruleIds(report), ['COOKIE-NO-HTTPONLY', 'COOKIE-NO-SAMESITE']);
      const step = report.findings[0]?.steps[0];
      assert.match(step?.request ?? '', /^POST \/login/);
      assert.match(step?.response ?? '', /^303/);
    });
  });

  test('fixation steps are the requests sent, in order, with the right labels', async () => {
    await withFixture({ rotateOnLogin: false }, async (url) => {
      const report = await runAudit({
        target: url,
        profile: parseProfile(FIXTURE_PROFILE),
        only: ['fixation'],
      });
      const f = report.findings.find((x) => x.ruleId === 'FIXATION-NO-ROTATION');
      assert.ok(f);
      assert.deepEqual(
        f.steps.map((s) => `${s.action} | ${s.request?.split('\n')[0]}`),
        [
          'Open the login page as an anonymous visitor | GET /login',
          'Submit the login form (same browser) | POST /login',
          'Follow the redirect (same browser) | GET /account',
          'Check that the session is logged in (same browser) | GET /account',
        ],
      );
    });
  });

  test('a wrong loggedIn.text names the POST that should have logged in', async () => {
    await withFixture({}, async (url) => {
      const profile = parseProfile({
        ...FIXTURE_PROFILE,
        loggedIn: { path: '/account', text: 'Welcome back' },
      });
      await assert.rejects(
        runAudit({ target: url, profile, only: ['cookie-attributes'] }),
        (err) => isAuditError(err, 'LOGIN_FAILED') && /after POST \/login → 303/.test(err.message),
      );
    });
  });
});

describe('no live token in any report', () => {
  const cases: Array<{ name: string; flaws: FixtureOptions }> = [
    { name: 'Tomcat-style ;jsessionid= in URLs', flaws: { idInUrl: 'path', acceptIdInUrl: true } },
    { name: '?sid= in URLs and a reflected token', flaws: { idInUrl: true, reflectToken: true } },
    {
      name: 'tokens of 5 characters, no rotation, client-only logout',
      flaws: { ids: 'short', idInUrl: true, rotateOnLogin: false, logout: 'client-only', cookieName: 'sid' },
    },
  ];
  for (const c of cases) {
    test(`${c.name}: every issued id is absent from every format`, async () => {
      await withFixture(c.flaws, async (url, issued) => {
        const report = await runAudit({ target: url, profile: parseProfile(FIXTURE_PROFILE), samples: 120 });
        assert.ok(report.findings.length > 0);
        const ids = issued();
        assert.ok(ids.length > 100, `${ids.length} ids issued`);
        for (const format of FORMATS) {
          const text = render(report, format);
          const leaked = ids.filter((id) => text.includes(id) || text.includes(encodeURIComponent(id)));
          assert.deepEqual(leaked, [], `${format} report carries live tokens`);
        }
      });
    });
  }
});

describe('the timeout check', () => {
  test('a declared timeout longer than the budget is skipped, naming the budget it needs', async () => {
    await withFixture({}, async (url) => {
      const profile = parseProfile({
        ...FIXTURE_PROFILE,
        timeouts: { idle: '30m', absolute: '8h', longRunning: true },
        limits: { ...FIXTURE_PROFILE.limits, totalTime: '2m' },
      });
      const report = await runAudit({ target: url, profile, only: ['timeout'] });
      const check = report.checks.find((c) => c.check === 'timeout');
      assert.equal(check?.status, 'skipped');
      assert.match(
        check?.summary ?? '',
        /idle probe waits 37\.5 min.*limits\.totalTime of at least 3[89] min/,
      );
      assert.match(check?.summary ?? '', /absolute-lifetime probe waits 10 h/);
    });
  });
});

describe('a wrong session.cookie', () => {
  test('naming a cookie that does not carry the session stops with the right name', async () => {
    await withFixture({ extraCookie: 'csrftoken' }, async (url) => {
      const profile = parseProfile({ ...FIXTURE_PROFILE, session: { cookie: 'csrftoken' } });
      for (const only of [undefined, ['csrf' as const]]) {
        await assert.rejects(
          runAudit({ target: url, profile, ...(only ? { only } : {}) }),
          (err) =>
            isAuditError(err, 'SESSION_COOKIE_MISMATCH') &&
            /"csrftoken" does not carry the session.*"__Host-sid" does/.test(err.message),
        );
      }
    });
  });

  test('without session.cookie the carrier is found among several cookies', async () => {
    await withFixture({ extraCookie: 'csrftoken' }, async (url) => {
      const report = await runAudit({
        target: url,
        profile: parseProfile(FIXTURE_PROFILE),
        only: ['session-cookie'],
      });
      assert.equal(report.sessionCookie, '__Host-sid');
    });
  });
});

const ESC = String.fromCharCode(27);

describe('small ones', () => {
  test('logout deletions are not counted as issued tokens in the URL scan', async () => {
    await withFixture({}, async (url) => {
      const report = await runAudit({
        target: url,
        profile: parseProfile(FIXTURE_PROFILE),
        only: ['logout', 'token-in-url'],
      });
      const note = report.checks.find((c) => c.check === 'token-in-url')?.notes.join(' ') ?? '';
      assert.doesNotMatch(note, /shorter than/);
    });
  });

  test('an empty YAML section is taken as absent', () => {
    const p = parseProfileText(
      'login: { form: { username: a, password: b } }\nloggedIn: { path: /account }\nsession:\nlimits:\n',
    );
    assert.equal(p.session.rotationGrace, 0);
    assert.equal(p.limits, undefined);
  });

  test('usage errors carry no ANSI codes when not in a terminal', async () => {
    let err = '';
    const code = await runCli(['http://127.0.0.1:1', '--profile', 'x.yaml', '--only', 'nope'], {
      stdout: () => {},
      stderr: (t) => {
        err += t;
      },
    });
    assert.equal(code, 2);
    assert.ok(!err.includes(ESC), err);
    let usage = '';
    await runCli(['--help'], { stdout: (t) => (usage += t), stderr: () => {} });
    assert.ok(!usage.includes(ESC));
  });

  test('several formats from one run, one audit', async () => {
    await withFixture({ cacheControl: null }, async (url) => {
      const dir = await mkdtemp(join(tmpdir(), 'audit-formats-'));
      try {
        const profile = join(dir, 'p.json');
        await writeFile(profile, JSON.stringify(FIXTURE_PROFILE));
        let err = '';
        const code = await runCli(
          [
            url,
            '--profile',
            profile,
            '--only',
            'caching',
            '--format',
            'json,md,html,sarif',
            '--out',
            join(dir, 'r'),
          ],
          { stdout: () => {}, stderr: (t) => (err += t) },
        );
        assert.equal(code, 1, err);
        const json = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8'));
        const md = await readFile(join(dir, 'r.md'), 'utf8');
        const html = await readFile(join(dir, 'r.html'), 'utf8');
        await readFile(join(dir, 'r.sarif'), 'utf8');
        // One audit: every format carries the same start time.
        assert.ok(md.includes(json.startedAt));
        assert.ok(html.includes(json.startedAt));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  test('check notes are separate lines in the Markdown table', async () => {
    await withFixture({}, async (url) => {
      const report = await runAudit({
        target: url,
        profile: parseProfile(FIXTURE_PROFILE),
        only: ['fixation'],
      });
      const fixation = report.checks.find((c) => c.check === 'fixation');
      assert.ok((fixation?.notes.length ?? 0) >= 2);
      const row = render(report, 'md')
        .split('\n')
        .find((l) => l.startsWith('| fixation'));
      assert.match(row ?? '', /\.<br>A /);
    });
  });
});
