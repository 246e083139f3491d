/**
 * Sequential sampling: it stops as soon as the verdict is settled (predictable at the first
 * look; strong once a million bits pass), keeps the same answer, reports size and speed, and
 * backs off on 5xx without losing the audit.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { auditFixture, ruleIds, statuses } from './helpers.ts';

describe('sequential sampling', () => {
  test('a counter is settled at the first look (500 tokens), not after 20,000', async () => {
    const report = await auditFixture({ ids: 'sequential' }, { only: ['randomness'], samples: 20_000 });
    assert.deepEqual(ruleIds(report), ['TOKEN-PREDICTABLE']);
    assert.equal(report.sampling?.collected, 500);
    assert.match(report.sampling?.stoppedBecause ?? '', /predictable/);
  });

  test('a CSPRNG is settled strong once a million bits pass every test', async () => {
    const report = await auditFixture(
      { ids: 'crypto' },
      {
        only: ['randomness'],
        samples: 20_000,
        profile: { randomness: { modelBudget: '1s', maxTime: '120s' } },
      },
    );
    assert.deepEqual(ruleIds(report), []);
    const s = report.sampling;
    assert.ok(s, 'sampling stats');
    assert.ok(s.collected < 20_000, `${s.collected} tokens`);
    assert.match(s.stoppedBecause ?? '', /strong/);
    assert.ok((report.randomness?.bitsAnalyzed ?? 0) >= 1_000_000);
    const notes = report.checks.find((c) => c.check === 'randomness')?.notes[0] ?? '';
    assert.match(notes, /^Sampled \d+ tokens \(cap 20000\) in [\d.]+ s at \d+ requests\/s/);
  });

  test('5xx answers are backed off and counted; the audit still completes', async () => {
    const report = await auditFixture({ flaky503Every: 7 }, { only: ['randomness'], samples: 200 });
    assert.ok(
      report.checks.every((c) => c.status !== 'error'),
      JSON.stringify(statuses(report)),
    );
    assert.deepEqual(ruleIds(report), []);
    assert.ok((report.sampling?.serverErrors ?? 0) > 0);
    assert.equal(report.sampling?.collected, 200);
    assert.match(report.checks.find((c) => c.check === 'randomness')?.notes.join(' ') ?? '', /backed off/);
  });
});
