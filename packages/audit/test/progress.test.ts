/** Progress output: lines every few seconds without a terminal, no ANSI codes without colour, a closing summary. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditReport } from '../src/audit.ts';
import { makeFinding } from '../src/findings.ts';
import { progressReporter, wantsColor } from '../src/progress.ts';

const ESC = String.fromCharCode(27);

function fakeReport(): AuditReport {
  const f = makeFinding('COOKIE-NO-SECURE', { evidence: [], steps: [] });
  return {
    schemaVersion: 1,
    tool: { name: 'tessera-audit', version: '0' },
    target: 'http://127.0.0.1:1',
    startedAt: '',
    finishedAt: '',
    durationMs: 12_000,
    sessionCookie: 'sid',
    stack: null,
    requestsSent: 5000,
    checks: [],
    findings: [f],
    counts: { high: 0, medium: 1, low: 0, info: 0 },
    randomness: null,
    sampling: {
      mode: 'page',
      requested: 20000,
      collected: 4000,
      missing: 0,
      rateLimited: 0,
      serverErrors: 0,
      stoppedEarly: false,
      durationMs: 8000,
      requestsSent: 4000,
    },
  };
}

test('without a terminal: a line per check, a sampling line every interval with ETA, a summary; no ANSI', () => {
  let out = '';
  let clock = 0;
  const p = progressReporter((t) => (out += t), undefined, {
    tty: false,
    color: false,
    intervalMs: 5000,
    now: () => clock,
  });
  for (let done = 0; done <= 1000; done += 100) {
    p.phase({ phase: 'token sampling', done, total: 1000 });
    clock += 1000;
  }
  p.check({ check: 'randomness', status: 'passed', summary: 'no findings', durationMs: 11_000 });
  p.summary(fakeReport(), ['/tmp/r.json', '/tmp/r.md']);
  const sampling = out.split('\n').filter((l) => l.includes('token sampling'));
  assert.equal(sampling.length, 3, out); // at 0 s, 5 s and 10 s
  assert.match(sampling[1] ?? '', /500\/1000 \(50%, about 5\.0 s left\)/);
  assert.match(out, /✓ randomness\s+passed {2}no findings \(11 s\)/);
  assert.match(
    out,
    /1 finding \(0 high, 1 medium, 0 low, 0 info\) in 12 s, 5000 requests; 4000 tokens sampled at 500 requests\/s/,
  );
  assert.match(out, /MEDIUM Session cookie/);
  assert.match(out, /Report written to \/tmp\/r\.json\nReport written to \/tmp\/r\.md/);
  assert.ok(!out.includes(ESC));
});

test('colour only on a terminal without NO_COLOR', () => {
  assert.equal(wantsColor({ isTTY: true }, {}), true);
  assert.equal(wantsColor({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.equal(wantsColor({ isTTY: false }, {}), false);
  let out = '';
  const p = progressReporter((t) => (out += t), undefined, { tty: false, color: true });
  p.check({ check: 'csrf', status: 'failed', summary: '1 finding', durationMs: 5 });
  assert.ok(out.includes(`${ESC}[31m`));
});
