import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { analyzeTokens, type RandomnessReport } from '../../src/randomness/index.ts';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

function kinds(r: RandomnessReport, onlyVerdict = false): string[] {
  return r.patterns.filter((p) => !onlyVerdict || p.affectsVerdict).map((p) => p.kind);
}

function failedIds(r: RandomnessReport): string[] {
  return r.tests.filter((t) => !t.passed).map((t) => t.id);
}

test('sequential decimal ids, from a sample of ten', () => {
  const r = analyzeTokens(Array.from({ length: 10 }, (_, i) => String(4_000_000_017 + i)));
  assert.equal(r.verdict, 'broken');
  assert.equal(r.encoding, 'decimal');
  assert.ok(kinds(r, true).includes('sequential'), r.summary);
  assert.match(r.summary, /^Broken \(sequential/);
});

test('hex of increasing numbers with a random low part, 1,000 tokens', () => {
  const r = analyzeTokens(
    Array.from(
      { length: 1000 },
      (_, i) => (0x10_0000n + BigInt(i)).toString(16).padStart(16, '0') + randomBytes(8).toString('hex'),
    ),
  );
  assert.equal(r.verdict, 'broken');
  assert.ok(kinds(r, true).includes('sequential'), r.summary);
});

test('Math.random ids (base36): broken as too short, bit tests on the base-36 reading', () => {
  const r = analyzeTokens(Array.from({ length: 2000 }, () => Math.random().toString(36).slice(2, 10)));
  assert.equal(r.verdict, 'broken');
  assert.equal(r.encoding, 'base36');
  assert.ok(kinds(r, true).includes('short'), r.summary);
  assert.ok(r.effectiveEntropyBits < 64);
  assert.ok(r.bitsAnalyzed > 0);
});

test('millisecond timestamp in hex followed by 64 random bits', () => {
  const r = analyzeTokens(
    Array.from({ length: 50 }, (_, i) => (NOW + 37 * i).toString(16) + randomBytes(8).toString('hex')),
    { now: NOW },
  );
  assert.equal(r.verdict, 'broken');
  assert.ok(kinds(r, true).includes('timestamp'), r.summary);
  assert.match(r.patterns.find((p) => p.kind === 'timestamp')?.detail ?? '', /milliseconds/);
});

test('unix seconds in decimal, shuffled, with a random suffix', () => {
  const s = Math.floor(NOW / 1000);
  const offsets = [5, 1, 9, 3, 7, 0, 8, 2, 6, 4];
  const r = analyzeTokens(
    offsets.map((o) => `${s - o}.${randomBytes(12).toString('base64url')}`),
    { now: NOW },
  );
  assert.equal(r.verdict, 'broken');
  assert.ok(kinds(r, true).includes('timestamp'), r.summary);
});

test('constant prefix over 56 random bits: the prefix is named and the tokens are broken', () => {
  const r = analyzeTokens(
    Array.from({ length: 5000 }, () => `f00dfacecafe0000${randomBytes(7).toString('hex')}`),
  );
  assert.equal(r.verdict, 'broken');
  assert.deepEqual(kinds(r), ['constant-prefix', 'short']);
  assert.equal(r.structure.prefix, 'f00dfacecafe0000');
  assert.equal(r.nominalBits, 56);
  assert.ok(r.effectiveEntropyBits < 64);
  assert.match(r.summary, /short/);
});

test('constant prefix over exactly 64 random bits: weak (64 is the minimum, 128 recommended)', () => {
  const r = analyzeTokens(
    Array.from({ length: 5000 }, () => `f00dfacecafe0000${randomBytes(8).toString('hex')}`),
  );
  assert.equal(r.verdict, 'weak');
  assert.equal(r.nominalBits, 64);
  assert.match(r.summary, /f00dfacecafe0000/);
});

test('constant prefix over 96 random bits: weak', () => {
  const r = analyzeTokens(Array.from({ length: 5000 }, () => `f00dface${randomBytes(12).toString('hex')}`));
  assert.equal(r.verdict, 'weak');
  assert.ok(kinds(r).includes('constant-prefix'));
});

test('biased bits (P(1) = 0.55): weak, with the frequency tests named', () => {
  const tokens = Array.from({ length: 4000 }, () => {
    const r = randomBytes(256);
    const out = Buffer.alloc(32);
    for (let i = 0; i < 256; i++) if (r[i]! < 141) out[i >> 3]! |= 0x80 >> (i & 7);
    return out.toString('base64url');
  });
  const r = analyzeTokens(tokens);
  assert.equal(r.verdict, 'weak', r.summary);
  assert.equal(r.fullEntropyConsistent, false); // 0xff is (0.55/0.45)^8 ≈ 5× as common as 0x00
  assert.ok(r.assessedEntropyBits < 256);
  const failed = failedIds(r);
  for (const id of ['nist-frequency', 'nist-cusum-forward', 'fips140-2-monobit', 'nist-runs']) {
    assert.ok(failed.includes(id), `${id} should fail: ${failed.join(', ')}`);
  }
  assert.match(r.summary, /NIST frequency|FIPS 140-2 monobit/);
  assert.ok(r.bitBias.every((b) => b > 0.5));
});

test('a generator with one stuck bit per token fails the position and bit tests', () => {
  const tokens = Array.from({ length: 5000 }, () => {
    const b = randomBytes(32);
    b[5]! |= 0x10;
    return b.toString('hex');
  });
  const r = analyzeTokens(tokens);
  assert.equal(r.verdict, 'weak', r.summary);
  assert.ok(failedIds(r).includes('positions-worst'));
  assert.equal(r.bitBias[5 * 8 + 3], 1);
});

test('duplicates break the verdict', () => {
  const tokens = Array.from({ length: 300 }, () => randomBytes(32).toString('hex'));
  tokens.push(tokens[17]!);
  const r = analyzeTokens(tokens);
  assert.equal(r.verdict, 'broken');
  assert.deepEqual(kinds(r), ['duplicate']);
});

test('UUID v4: constant positions found, 122 random bits rated weak, not broken', () => {
  const r = analyzeTokens(Array.from({ length: 2000 }, () => randomUUID()));
  assert.equal(r.verdict, 'weak', r.summary);
  assert.deepEqual(r.structure.constantPositions, [8, 13, 14, 18, 23]);
  assert.ok(r.nominalBits < 128);
});
