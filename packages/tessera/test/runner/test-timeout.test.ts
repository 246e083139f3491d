/**
 * scripts/test.mjs bounds every test (TEST_TIMEOUT, default 10 min): a test stuck on a hung
 * server fails the run after the timeout instead of stalling CI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const hung = fileURLToPath(new URL('./fixtures-data/hung-server.test.ts', import.meta.url));

test('a hung test fails the run after TEST_TIMEOUT', () => {
  // A fresh runner, not a child of this one (NODE_TEST_CONTEXT), writing no CI summary of its own.
  const { NODE_TEST_CONTEXT: _child, ...env } = process.env;
  const started = Date.now();
  const run = spawnSync(process.execPath, ['scripts/test.mjs', hung], {
    cwd: root,
    env: { ...env, TEST_TIMEOUT: '1500', TEST_SUMMARY_FILE: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const took = Date.now() - started;
  assert.equal(run.signal, null, 'the runner ended by itself (it was not killed by this test)');
  assert.notEqual(run.status, 0, 'the run fails');
  assert.match(run.stdout, /timed out after 1500ms/);
  assert.ok(took < 30_000, `it took ${took} ms`);
});
