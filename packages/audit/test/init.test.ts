/**
 * `tessera-audit init <url>`: the login form, the logged-in page, logout and a state-changing form
 * are found on the fixtures, and the written profile audits them with rotation, CSRF and logout
 * checks running instead of being skipped.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runAudit } from '../src/audit.ts';
import { runCli } from '../src/cli.ts';
import { parseProfileText } from '../src/profile.ts';
import { startExpressDefault } from './fixtures/express-default.ts';
import { startFixture } from './fixtures/flawed-app.ts';

const ENV = { TESSERA_AUDIT_USERNAME: 'alice', TESSERA_AUDIT_PASSWORD: 'wonderland' };

async function init(url: string, env: NodeJS.ProcessEnv) {
  const dir = await mkdtemp(join(tmpdir(), 'audit-init-'));
  const out = join(dir, 'p.yaml');
  let err = '';
  try {
    const code = await runCli(['init', url, '--out', out], {
      stdout: () => {},
      stderr: (t) => (err += t),
      env,
    });
    assert.equal(code, 0, err);
    return { yaml: await readFile(out, 'utf8'), err };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('init', () => {
  test('flawed fixture from its base URL: login form with CSRF field, logged-in page, logout', async () => {
    const app = await startFixture({});
    try {
      const { yaml, err } = await init(app.url, ENV);
      assert.match(err, /CSRF field "_csrf"/);
      assert.ok(!yaml.includes('wonderland'), 'the password is never written');
      const profile = parseProfileText(yaml);
      assert.equal(profile.login.form?.page, '/login');
      assert.equal(profile.login.form?.passwordEnv, 'TESSERA_AUDIT_PASSWORD');
      assert.deepEqual(profile.loggedIn, { path: '/account', status: 200, text: 'alice' });
      assert.equal(profile.logout?.path, '/logout');
      assert.equal(profile.logout?.hiddenFieldsFrom, '/account');
      const report = await runAudit({
        target: app.url,
        profile,
        env: ENV,
        only: ['session-cookie', 'logout', 'fixation'],
      });
      assert.ok(
        report.checks.every((c) => c.status === 'passed'),
        JSON.stringify(report.checks.map((c) => c.status)),
      );
    } finally {
      await app.close();
    }
  });

  test('without credentials: the login form only, and a note saying how to finish', async () => {
    const app = await startExpressDefault();
    try {
      const { yaml, err } = await init(`${app.url}/`, {});
      assert.match(err, /No credentials/);
      const profile = parseProfileText(yaml);
      assert.equal(profile.login.form?.page, '/login');
      assert.equal(profile.loggedIn.path, '/CHANGE-ME');
      assert.match(yaml, /# CHANGE ME: a page only a logged-in user sees/);
    } finally {
      await app.close();
    }
  });
});
