#!/usr/bin/env node
// Runs every *.test.ts under packages/*/test (or the paths given) with node's built-in
// test runner and the tsx loader. Node 20's --test takes no globs, so we list the files.
// The workspace packages resolve to their TypeScript sources (export condition "tessera-source",
// set in NODE_OPTIONS so that servers the tests spawn resolve the same way): no build needed.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const roots =
  args.length > 0 ? args : readdirSync(join(root, 'packages')).map((p) => join('packages', p, 'test'));

function collect(path, out) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return out;
  }
  if (st.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path);
    return out;
  }
  for (const entry of readdirSync(path).sort()) {
    if (entry === 'node_modules' || entry === 'fixtures-data') continue;
    collect(join(path, entry), out);
  }
  return out;
}

const files = roots.flatMap((r) => collect(resolve(root, r), []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// A hung test fails after this long instead of stalling the run (TEST_TIMEOUT ms; default 10 min).
// Node applies it to each test and to each file's process, so a file kept alive by a server
// nobody closed fails too (counted as cancelled; .ci/run adds cancelled to failed).
// packages/tessera/test/runner/test-timeout.test.ts checks both.
const testTimeout = process.env.TEST_TIMEOUT ?? '600000';
// TEST_SUMMARY_FILE: also write a TAP copy there and a one-line JSON summary beside it, so that
// .ci/run can add up several runs (Node 20 and Node 24) into one closing line.
const summaryFile = process.env.TEST_SUMMARY_FILE;
const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout'];
if (summaryFile) reporters.push('--test-reporter=tap', `--test-reporter-destination=${summaryFile}.tap`);
const condition = '--conditions=tessera-source';
const nodeOptions = [process.env.NODE_OPTIONS, condition].filter(Boolean).join(' ');
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${testTimeout}`,
    ...reporters,
    ...files,
  ],
  { stdio: 'inherit', cwd: root, env: { ...process.env, NODE_OPTIONS: nodeOptions } },
);
if (summaryFile) {
  const tap = readFileSync(`${summaryFile}.tap`, 'utf8');
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  const summary = {
    pass: count('pass'),
    fail: count('fail'),
    skipped: count('skipped'),
    cancelled: count('cancelled'),
  };
  writeFileSync(summaryFile, JSON.stringify(summary));
}
process.exit(result.status ?? 1);
