/**
 * The `tessera` operator commands, run in-process against a temporary SQLite store; and the bin
 * itself for the error path (one clear line, status 2) and `serve` printing the URLs and the code.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCommand } from 'citty';
import { main } from '../src/cli.ts';
import { output } from '../src/commands.ts';
import { resolveConfig } from '../src/config.ts';
import { createService } from '../src/service.ts';

const BIN = resolve(import.meta.dirname, '../bin/tessera.mjs');
/** The bin runs the sources inside the repository (as `npm start` does). */
const TSX = ['--import', 'tsx', '--conditions=tessera-source'];

describe('tessera operator commands', () => {
  let dir = '';
  let lines: string[] = [];
  const saved = { ...process.env };
  const run = async (...rawArgs: string[]) => {
    lines = [];
    await runCommand(main, { rawArgs });
    return lines.join('\n');
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
    process.env.TESSERA_DATA_DIR = dir;
    process.env.STORE = 'sqlite';
    process.env.PASSWORD_COST = '10';
    output.write = (l) => lines.push(l);
  });
  after(() => {
    process.env = saved;
    output.write = (l) => console.log(l);
    rmSync(dir, { recursive: true, force: true });
  });

  test('api-keys create / list / revoke: the secret is shown once and only its hash is stored', async () => {
    const out = await run('api-keys', 'create', '--name', 'billing', '--scopes', 'validate,manage');
    const key = /tsk_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}/.exec(out)?.[0];
    assert.ok(key);
    const listed = await run('api-keys', 'list');
    assert.match(listed, /billing {2}\[validate,manage\]/);
    assert.ok(!listed.includes(key.split('_')[2]!), 'list never shows the secret');
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(dir, 'tessera.db'));
    const dump = JSON.stringify(db.prepare('SELECT * FROM tessera_server_api_keys').all());
    db.close();
    assert.ok(!dump.includes(key.split('_')[2]!), 'the database holds no secret');
    const id = key.split('_')[1]!;
    assert.match(await run('api-keys', 'revoke', id), /revoked/);
    assert.match(await run('api-keys', 'list'), /REVOKED/);
    await assert.rejects(run('api-keys', 'revoke', id), /no live API key/);
    await assert.rejects(run('api-keys', 'create', '--name', 'x', '--scopes', 'root'), /--scopes/);
  });

  test('sessions list / revoke of a user', async () => {
    const config = resolveConfig({ store: 'sqlite', dataDir: dir, passwordCost: 10, demo: false });
    const svc = await createService(config, { bootstrap: false, logger: { warn: () => {} } });
    const a = await svc.sessions.login(
      null,
      'frank',
      {},
      {
        ip: '192.0.2.4',
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
      },
    );
    await svc.sessions.login(null, 'frank', {}, {});
    await svc.close();
    const listed = await run('sessions', 'list', '--user', 'frank');
    assert.equal(listed.split('\n').length, 2);
    assert.match(listed, /Firefox 128 on Linux {2}192\.0\.2\.4/);
    assert.match(await run('sessions', 'revoke', '--id', a.session.id), /revoked/);
    assert.match(await run('sessions', 'revoke', '--user', 'frank'), /Revoked 1 session/);
    assert.match(await run('sessions', 'list', '--user', 'frank'), /No live sessions/);
    await assert.rejects(run('sessions', 'revoke'), /exactly one of --user or --id/);
  });

  test('admin: bootstrap-code only while no admin exists; create reads the password from the environment', async () => {
    assert.match(await run('admin', 'bootstrap-code'), /[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}/);
    process.env.TESSERA_ADMIN_PASSWORD = 'short';
    await assert.rejects(run('admin', 'create', '--username', 'ops'), /password: between 8/);
    process.env.TESSERA_ADMIN_PASSWORD = 'a long enough password';
    assert.match(await run('admin', 'create', '--username', 'ops'), /created/);
    delete process.env.TESSERA_ADMIN_PASSWORD;
    await assert.rejects(run('admin', 'bootstrap-code'), /already exists/);
  });

  test('keys generate and rotate; migrate', async () => {
    const gen = await run('keys', 'generate');
    assert.match(gen, /^TESSERA_KEYS=k\d{8}[0-9a-f]{4}:[A-Za-z0-9+/]{43}=$/);
    process.env.TESSERA_KEYS = gen.slice('TESSERA_KEYS='.length);
    const rotated = await run('keys', 'rotate');
    const entries = rotated.slice('TESSERA_KEYS='.length).split(',');
    assert.equal(entries.length, 2);
    assert.equal(entries[1], process.env.TESSERA_KEYS, 'the old key stays, after the new one');
    process.env.TESSERA_KEYS = 'not a key';
    await assert.rejects(run('keys', 'rotate'), /TESSERA_KEYS is invalid/);
    delete process.env.TESSERA_KEYS;
    assert.match(await run('migrate'), /schema up to date/);
  });

  test('audit-log verify: OK over real events, and names the first broken link after tampering', async () => {
    const config = resolveConfig({ store: 'sqlite', dataDir: dir, passwordCost: 10, demo: false });
    const svc = await createService(config, { bootstrap: false, logger: { warn: () => {} } });
    const s = await svc.sessions.login(null, 'gina', {}, {});
    await svc.sessions.logout(s.session);
    await svc.close();
    assert.match(await run('audit-log', 'verify'), /Audit log OK: \d+ entries/);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(dir, 'tessera.db'));
    const row = db
      .prepare("SELECT seq FROM tessera_audit WHERE kind = 'session.authenticated' ORDER BY seq DESC LIMIT 1")
      .get() as { seq: number };
    db.prepare("UPDATE tessera_audit SET body = replace(body, 'gina', 'mallory') WHERE seq = ?").run(row.seq);
    db.close();
    await assert.rejects(run('audit-log', 'verify'), (err: Error) => err.name === 'AuditBrokenError');
    assert.match(lines.join('\n'), new RegExp(`BROKEN at entry #${row.seq} \\(hash-mismatch\\)`));
  });

  test('bad configuration and unavailable stores fail with an error naming the field', async () => {
    await assert.rejects(run('migrate', '--store', 'mysql://x'), /`store`/);
    await assert.rejects(run('migrate', '--store', 'memory'), /STORE=memory lives inside/);
  });
});

describe('the tessera bin', () => {
  test('--version prints the package version; --help the commands', () => {
    const v = spawnSync(process.execPath, [...TSX, BIN, '--version'], { encoding: 'utf8' });
    assert.equal(v.status, 0);
    assert.match(v.stdout.trim(), /^\d+\.\d+\.\d+/);
    const h = spawnSync(process.execPath, [...TSX, BIN, '--help'], { encoding: 'utf8' });
    assert.equal(h.status, 0);
    for (const c of ['serve', 'admin', 'api-keys', 'sessions', 'keys', 'migrate'])
      assert.match(h.stdout, new RegExp(c));
  });

  test('a bad PORT: one line naming it, exit status 2, no stack trace', () => {
    const r = spawnSync(process.execPath, [...TSX, BIN, 'serve'], {
      env: { ...process.env, PORT: 'eighty' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), 'tessera: Invalid option `PORT`: expected a port number, got "eighty".');
  });

  test('serve prints the URLs and the one-time bootstrap code, and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-serve-'));
    const child = spawn(process.execPath, [...TSX, BIN, 'serve', '--port', '0'], {
      env: { ...process.env, TESSERA_DATA_DIR: dir, STORE: 'sqlite', PASSWORD_COST: '10' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    try {
      const until = Date.now() + 20_000;
      while (!/one-time code/.test(out) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      assert.match(out, /Demo shop {7}http:\/\/localhost:\d+\//);
      assert.match(out, /Admin console {3}http:\/\/localhost:\d+\/admin/);
      assert.match(out, /[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}/);
      const url = /Demo shop {7}(http:\/\/localhost:\d+)/.exec(out)![1]!;
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const code = await new Promise<number | null>((r) => {
        child.once('exit', r);
        child.kill('SIGTERM');
      });
      assert.equal(code, 0);
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
