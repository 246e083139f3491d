/** The CLI as a function: arguments, error codes, exit codes, output files and the tokens subcommand. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import YAML from 'yaml';
import { type CliIo, runCli } from '../src/cli.ts';
import { FIXTURE_PROFILE, type Fixture, startFixture } from './fixtures/flawed-app.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-audit-cli-'));
});

function io(env: NodeJS.ProcessEnv = {}): CliIo & { out: string; err: string } {
  const r = {
    out: '',
    err: '',
    env,
    stdout: (t: string) => {
      r.out += t;
    },
    stderr: (t: string) => {
      r.err += t;
    },
  };
  return r;
}

async function profileFile(name: string, profile: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, YAML.stringify(profile));
  return path;
}

describe('usage and errors', () => {
  test('no arguments: usage on stdout, exit 2', async () => {
    const o = io();
    assert.equal(await runCli([], o), 2);
    assert.match(o.out, /--profile/);
  });

  test('--help: exit 0', async () => {
    const o = io();
    assert.equal(await runCli(['--help'], o), 0);
    assert.match(o.out, /--fail-on/);
  });

  test('missing --profile: USAGE', async () => {
    const o = io();
    assert.equal(await runCli(['http://127.0.0.1:1'], o), 2);
    assert.match(o.err, /USAGE: .*--profile/);
  });

  test('unknown --only check: USAGE naming it', async () => {
    const p = await profileFile('ok.yaml', FIXTURE_PROFILE);
    const o = io();
    assert.equal(await runCli(['http://127.0.0.1:1', '--profile', p, '--only', 'csrf,bogus'], o), 2);
    assert.match(o.err, /USAGE: --only: unknown check bogus/);
  });

  test('profile file missing: PROFILE_NOT_FOUND', async () => {
    const o = io();
    assert.equal(await runCli(['http://127.0.0.1:1', '--profile', join(dir, 'nope.yaml')], o), 2);
    assert.match(o.err, /PROFILE_NOT_FOUND/);
  });

  test('invalid profile: PROFILE_INVALID naming the field', async () => {
    const p = await profileFile('bad.yaml', { ...FIXTURE_PROFILE, loggedIn: { status: 'two hundred' } });
    const o = io();
    assert.equal(await runCli(['http://127.0.0.1:1', '--profile', p], o), 2);
    assert.match(o.err, /PROFILE_INVALID: .*loggedIn\.path/);
    assert.match(o.err, /loggedIn\.status/);
  });

  test('unknown profile key: PROFILE_INVALID', async () => {
    const p = await profileFile('typo.yaml', { ...FIXTURE_PROFILE, logut: { path: '/logout' } });
    const o = io();
    assert.equal(await runCli(['http://127.0.0.1:1', '--profile', p], o), 2);
    assert.match(o.err, /PROFILE_INVALID: .*logut/);
  });

  test('credentials from a missing env var: PROFILE_INVALID naming the variable', async () => {
    const p = await profileFile('env.yaml', {
      ...FIXTURE_PROFILE,
      login: { form: { usernameEnv: 'AUDIT_USER', passwordEnv: 'AUDIT_PASS' } },
    });
    const o = io({ AUDIT_USER: 'alice' });
    assert.equal(await runCli(['http://127.0.0.1:1', '--profile', p], o), 2);
    assert.match(
      o.err,
      /PROFILE_INVALID: login\.form\.passwordEnv: environment variable AUDIT_PASS is not set/,
    );
  });

  test('unreachable target: TARGET_UNREACHABLE', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    const p = await profileFile('ok.yaml', FIXTURE_PROFILE);
    const o = io();
    assert.equal(await runCli([`http://127.0.0.1:${port}`, '--profile', p], o), 2);
    assert.match(o.err, /TARGET_UNREACHABLE: cannot reach http:\/\/127\.0\.0\.1:\d+/);
  });

  test('not a URL: TARGET_INVALID', async () => {
    const p = await profileFile('ok.yaml', FIXTURE_PROFILE);
    const o = io();
    assert.equal(await runCli(['ftp://x', '--profile', p], o), 2);
    assert.match(o.err, /TARGET_INVALID/);
  });
});

describe('against a fixture', () => {
  let good: Fixture;
  let privateCache: Fixture;
  before(async () => {
    good = await startFixture();
    privateCache = await startFixture({ cacheControl: 'private' });
  });
  after(async () => {
    await good.close();
    await privateCache.close();
  });

  test('wrong password: LOGIN_FAILED with what happened', async () => {
    const p = await profileFile('wrong.yaml', {
      ...FIXTURE_PROFILE,
      login: { form: { username: 'alice', password: 'nope' } },
    });
    const o = io();
    assert.equal(await runCli([good.url, '--profile', p], o), 2);
    assert.match(o.err, /LOGIN_FAILED: login did not work: after POST \/login → 401/);
    assert.doesNotMatch(o.err, /nope/);
  });

  test('values a profile takes from the environment never appear in the report', async () => {
    const secret = `s3cr3t-${randomBytes(6).toString('hex')}`;
    process.env.AUDIT_TEST_SECRET = secret;
    // A fixture whose logout is client-only, so the report shows the logout request as a step.
    const flawed = await startFixture({ logout: 'client-only' });
    try {
      const p = await profileFile('env-secret.yaml', {
        ...FIXTURE_PROFILE,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a profile placeholder, not a JS template
        logout: { ...FIXTURE_PROFILE.logout, path: '/logout?ref=${env:AUDIT_TEST_SECRET}' },
      });
      const out = join(dir, 'env-secret.md');
      const o = io();
      await runCli([flawed.url, '--profile', p, '--only', 'logout', '--format', 'md', '--out', out], o);
      const report = await readFile(out, 'utf8');
      assert.match(report, /\/logout\?ref=/, 'the request with the substituted value is in the report');
      assert.ok(!report.includes(secret), 'the substituted value is redacted');
      assert.ok(!o.err.includes(secret) && !o.out.includes(secret));
    } finally {
      delete process.env.AUDIT_TEST_SECRET;
      await flawed.close();
    }
  });

  test('credentials from env vars work', async () => {
    const p = await profileFile('env-ok.yaml', {
      ...FIXTURE_PROFILE,
      login: { form: { usernameEnv: 'AUDIT_USER', passwordEnv: 'AUDIT_PASS' } },
    });
    const o = io({ AUDIT_USER: 'alice', AUDIT_PASS: 'wonderland' });
    assert.equal(await runCli([good.url, '--profile', p, '--only', 'caching'], o), 0, o.err);
  });

  test('a profile request to another origin is refused: OFF_ORIGIN', async () => {
    const p = await profileFile('off.yaml', {
      ...FIXTURE_PROFILE,
      loggedIn: { path: 'http://example.invalid/account' },
    });
    const o = io();
    assert.equal(await runCli([good.url, '--profile', p], o), 2);
    assert.match(o.err, /OFF_ORIGIN: refusing to send a request to http:\/\/example\.invalid/);
  });

  test('exit status follows --fail-on', async () => {
    const p = await profileFile('ok.yaml', FIXTURE_PROFILE);
    const args = [privateCache.url, '--profile', p, '--only', 'caching', '--format', 'json'];
    assert.equal(await runCli([...args, '--fail-on', 'medium'], io()), 0); // one low finding
    assert.equal(await runCli([...args, '--fail-on', 'low'], io()), 1);
    assert.equal(await runCli([good.url, '--profile', p, '--only', 'caching', '--fail-on', 'low'], io()), 0);
  });

  test('--out writes the report, --format picks it', async () => {
    const p = await profileFile('ok.yaml', FIXTURE_PROFILE);
    const out = join(dir, 'report.sarif');
    const o = io();
    assert.equal(
      await runCli(
        [privateCache.url, '--profile', p, '--only', 'caching', '--format', 'sarif', '--out', out],
        o,
      ),
      0,
    );
    assert.equal(o.out, '');
    const sarif = JSON.parse(await readFile(out, 'utf8'));
    assert.equal(sarif.version, '2.1.0');
    assert.equal(sarif.runs[0].results[0].ruleId, 'CACHE-PRIVATE-ONLY');
  });

  test('--samples and --only randomness', async () => {
    const p = await profileFile('ok.yaml', FIXTURE_PROFILE);
    const o = io();
    assert.equal(
      await runCli(
        [good.url, '--profile', p, '--only', 'randomness', '--samples', '200', '--format', 'json'],
        o,
      ),
      0,
      o.err,
    );
    const report = JSON.parse(o.out);
    assert.equal(report.randomness.sampleSize, 200);
    assert.equal(await runCli([good.url, '--profile', p, '--samples', '5'], io()), 2);
  });
});

describe('tokens subcommand', () => {
  test('prints every test with statistic and p-value; exit 0 for strong tokens', async () => {
    const file = join(dir, 'tokens.txt');
    await writeFile(
      file,
      `${Array.from({ length: 500 }, () => randomBytes(32).toString('hex')).join('\n')}\n`,
    );
    const o = io();
    assert.equal(await runCli(['tokens', '--file', file, '--format', 'json'], o), 0, o.err);
    const r = JSON.parse(o.out);
    assert.equal(r.sampleSize, 500);
    assert.equal(r.encoding, 'hex');
    assert.ok(r.tests.length >= 8);
    for (const t of r.tests) {
      assert.equal(typeof t.statistic, 'number', t.id);
      assert.ok(t.pValue === null || typeof t.pValue === 'number', t.id);
    }
  });

  test('counter tokens: exit 1', async () => {
    const file = join(dir, 'seq.txt');
    await writeFile(file, Array.from({ length: 200 }, (_, i) => String(1_000_000 + i)).join('\n'));
    const o = io();
    assert.equal(await runCli(['tokens', '--file', file, '--format', 'md'], o), 1);
    assert.match(o.out, /sequential: all 200 tokens/);
  });

  test('empty file: TOKENS_FILE_INVALID', async () => {
    const file = join(dir, 'empty.txt');
    await writeFile(file, '\n');
    const o = io();
    assert.equal(await runCli(['tokens', '--file', file], o), 2);
    assert.match(o.err, /TOKENS_FILE_INVALID/);
  });
});

test('the bin runs (here on the sources: #cli resolves to src/cli.ts under tessera-source)', () => {
  const bin = resolve(import.meta.dirname, '../bin/tessera-audit.mjs');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=tessera-source', bin, '--help'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /tessera-audit/);
});

test('--version prints the version in package.json (no second copy in the code)', async () => {
  const manifest = JSON.parse(await readFile(resolve(import.meta.dirname, '../package.json'), 'utf8')) as {
    version: string;
  };
  const o = io();
  assert.equal(await runCli(['--version'], o), 0);
  assert.equal(o.out, `${manifest.version}\n`);
});
