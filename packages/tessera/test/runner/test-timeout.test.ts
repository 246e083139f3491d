/**
 * scripts/test.mjs bounds every test and every test file (TEST_TIMEOUT, default 10 min): a test
 * stuck on a hung server, or a file kept alive by a server nobody closed, fails the run after the
 * timeout instead of stalling CI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const hung = fileURLToPath(new URL('./fixtures-data/hung-server.test.ts', import.meta.url));
const openServer = fileURLToPath(new URL('./fixtures-data/open-server.test.ts', import.meta.url));

/** Runs scripts/test.mjs on one file with TEST_TIMEOUT=1500: a fresh runner, writing no CI summary of its own. */
function runWithTimeout(file: string): {
  status: number | null;
  signal: string | null;
  stdout: string;
  took: number;
} {
  const { NODE_TEST_CONTEXT: _child, ...env } = process.env;
  const started = Date.now();
  const run = spawnSync(process.execPath, ['scripts/test.mjs', file], {
    cwd: root,
    env: { ...env, TEST_TIMEOUT: '1500', TEST_SUMMARY_FILE: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, signal: run.signal, stdout: run.stdout, took: Date.now() - started };
}

for (const [title, file] of [
  ['a test waiting on a hung server', hung],
  ['a file kept alive by a server left open', openServer],
] as const) {
  test(`${title} fails the run after TEST_TIMEOUT`, () => {
    const run = runWithTimeout(file);
    assert.equal(run.signal, null, 'the runner ended by itself (it was not killed by this test)');
    assert.notEqual(run.status, 0, 'the run fails');
    assert.match(run.stdout, /timed out after 1500ms/);
    assert.ok(run.took < 30_000, `it took ${run.took} ms`);
  });
}
