/** Configuration: defaults < file < environment < flags, and errors that name the bad field. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isTesseraError } from '@tessera-sessions/core';
import { loadConfigFromArgs } from '../src/cli-config.ts';
import { configFromEnv, configFromFile, resolveConfig } from '../src/config.ts';

test('defaults are the documented ones', () => {
  const c = resolveConfig();
  assert.equal(c.port, 3000);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.store, 'sqlite');
  assert.equal(c.sessionCreationLimit, 60);
});

test('file < environment < flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-config-'));
  const file = join(dir, 'tessera.json');
  writeFileSync(file, JSON.stringify({ port: 4000, host: '0.0.0.0', store: 'memory', demo: false }));
  const saved = { ...process.env };
  try {
    process.env.PORT = '5000';
    delete process.env.HOST;
    delete process.env.STORE;
    delete process.env.DEMO;
    const c = loadConfigFromArgs({ config: file, store: 'sqlite:/tmp/x.db' });
    assert.equal(c.port, 5000, 'environment over file');
    assert.equal(c.host, '0.0.0.0', 'file over default');
    assert.equal(c.store, 'sqlite:/tmp/x.db', 'flag over file');
    assert.equal(c.demo, false);
  } finally {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad values throw CONFIG_INVALID naming the field', () => {
  const field = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      assert.ok(isTesseraError(err, 'CONFIG_INVALID'), String(err));
      return (err as unknown as { field: string }).field;
    }
    assert.fail('no error');
  };
  assert.equal(
    field(() => configFromEnv({ PORT: '80x' })),
    'PORT',
  );
  assert.equal(
    field(() => configFromEnv({ DEMO: 'maybe' })),
    'DEMO',
  );
  assert.equal(
    field(() => configFromEnv({ SESSION_CREATION_LIMIT: '-1' })),
    'SESSION_CREATION_LIMIT',
  );
  assert.equal(
    field(() => resolveConfig({ port: 70000 })),
    'port',
  );
  assert.equal(
    field(() => resolveConfig({ store: 'mysql://db' })),
    'store',
  );
  assert.equal(
    field(() => resolveConfig({ publicOrigin: 'not a url' })),
    'publicOrigin',
  );
  assert.equal(
    field(() => resolveConfig({ stepUpMaxAge: 'soon' as never })),
    'stepUpMaxAge',
  );
  assert.equal(
    field(() => resolveConfig({ unknown: 1 } as never)),
    'unknown',
  );
  assert.equal(
    field(() => loadConfigFromArgs({ port: 'http' })),
    '--port',
  );
  assert.equal(
    field(() => configFromFile('/nonexistent/tessera.json')),
    '--config',
  );
});
