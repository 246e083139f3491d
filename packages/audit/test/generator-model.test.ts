/**
 * The generator-model check: each construction is a fixture server whose tokens pass the
 * statistics but are a hash of guessable inputs; the audit must report TOKEN-PREDICTABLE naming
 * the construction, as the one finding of the randomness check (one root cause, one finding).
 * A CSPRNG fixture must get nothing.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { digestBytes, searchGeneratorModel } from '../src/generator-model.ts';
import type { FixtureOptions } from './fixtures/flawed-app.ts';
import { auditFixture, ruleIds, statuses } from './helpers.ts';

const CASES: Array<{ ids: NonNullable<FixtureOptions['ids']>; construction: RegExp }> = [
  { ids: 'timestamp-hash', construction: /^md5\(milliseconds since the epoch\)$/ },
  { ids: 'sha1-seconds-counter', construction: /^sha1\(seconds since the epoch joined with a small counter/ },
  { ids: 'hmac-empty-ms', construction: /^HMAC-SHA256 with an empty key\(milliseconds since the epoch\)$/ },
  { ids: 'md5-uniqid', construction: /^md5\(PHP uniqid\(\)\/microtime\(\) of the issue time\)$/ },
  { ids: 'sha256-previous', construction: /^sha256\(the previous token\)$/ },
  { ids: 'md5-counter', construction: /^md5\(a small integer/ },
];

describe('generator model: predictable constructions are recovered', () => {
  for (const c of CASES) {
    test(`${c.ids}`, async () => {
      // A generous budget: the machine running the tests may be busy; the search stops at the first hit.
      const report = await auditFixture(
        { ids: c.ids },
        {
          only: ['randomness'],
          samples: 200,
          // Fewer requests in flight keep each token's issue window narrow, as on a quiet server.
          profile: {
            randomness: { modelBudget: '30s' },
            limits: { requestsPerSecond: 2000, concurrency: 4 },
          },
        },
      );
      assert.ok(
        report.checks.every((ch) => ch.status !== 'error'),
        JSON.stringify(statuses(report)),
      );
      assert.deepEqual(ruleIds(report), ['TOKEN-PREDICTABLE']);
      const f = report.findings[0];
      const model = f?.evidence.find((e) => e.startsWith('generator model: '));
      assert.ok(model, f?.evidence.join('\n'));
      assert.match(model.replace(/^generator model: /, '').replace(/ reproduced .*$/, ''), c.construction);
    });
  }

  test('a CSPRNG: no construction found, no finding, the search bounded by its budget', async () => {
    const started = Date.now();
    const report = await auditFixture(
      { ids: 'crypto' },
      { only: ['randomness'], samples: 200, profile: { randomness: { modelBudget: '1s' } } },
    );
    assert.deepEqual(ruleIds(report), []);
    const notes = report.checks.find((c) => c.check === 'randomness')?.notes.join(' ') ?? '';
    assert.match(notes, /Generator model: no common construction reproduced the tokens/);
    assert.ok(Date.now() - started < 60_000);
  });

  test('a counter is one finding with the statistics as evidence, not three', async () => {
    const report = await auditFixture({ ids: 'sequential' }, { only: ['randomness'], samples: 200 });
    assert.deepEqual(ruleIds(report), ['TOKEN-PREDICTABLE']);
    const evidence = report.findings[0]?.evidence.join('\n') ?? '';
    assert.match(evidence, /counter/);
    assert.match(evidence, /^statistics: verdict broken/m);
    assert.match(evidence, /^entropy: /m);
  });
});

describe('generator model: the search itself', () => {
  test('reads hex and base64 digests, not random text', () => {
    assert.equal(digestBytes('d41d8cd98f00b204e9800998ecf8427e')?.length, 16);
    assert.equal(digestBytes(randomBytes(32).toString('base64url'))?.length, 32);
    assert.equal(digestBytes('hello'), undefined);
  });

  test('a hash of the server Date second is found through the Date header window', () => {
    const now = 1_760_000_000_000;
    const samples = Array.from({ length: 10 }, (_, i) => {
      const sec = Math.floor(now / 1000) + i;
      return {
        value: createHash('sha256').update(`${sec}:${i}`).digest('hex'),
        requestedAt: sec * 1000 + 400,
        receivedAt: sec * 1000 + 420,
        serverDate: sec * 1000,
      };
    });
    const r = searchGeneratorModel(samples, 30_000);
    assert.match(r.found?.construction ?? '', /^sha256\(seconds since the epoch joined/);
  });
});
