import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  bytesToBits,
  decodeToken,
  detectEncoding,
  observedAlphabet,
  parseBitString,
  symbolsToBytes,
} from '../../src/randomness/decode.ts';
import { fipsTests } from '../../src/randomness/fips140.ts';
import { analyzeTokens } from '../../src/randomness/index.ts';
import { nistTests } from '../../src/randomness/nist80022/index.ts';
import { fixedBytes } from './helpers.ts';

test('detects hex (either case), decimal, base64 and base64url from the alphabet', () => {
  assert.equal(detectEncoding(['00ff', 'a1b2', '9c3e']), 'hex');
  assert.equal(detectEncoding(['00FF', 'A1B2']), 'hex');
  assert.equal(detectEncoding(['12345', '67890']), 'decimal');
  assert.equal(detectEncoding(['ab+/Zz09', 'QQ==']), 'base64');
  assert.equal(detectEncoding(['ab-_Zz09', 'QQ']), 'base64url');
  assert.equal(detectEncoding(['ab+_Zz09']), 'unknown');
  assert.equal(detectEncoding(['sess.abc', 'x']), 'unknown');
});

test('a large alphanumeric sample that never uses - or _ is not base64 (base62, base36)', () => {
  const small = Array.from({ length: 3 }, (_, i) =>
    Buffer.from(fixedBytes(`s${i}`, 9)).toString('base64url'),
  );
  const alnum = small.map((t) => t.replace(/[-_]/g, 'A'));
  assert.equal(detectEncoding(alnum), 'base64url');
  const base36 = Array.from({ length: 500 }, (_, i) =>
    BigInt(`0x${Buffer.from(fixedBytes(`b${i}`, 8)).toString('hex')}`).toString(36),
  );
  assert.equal(detectEncoding(base36), 'base36');
  // 30 base62 tokens (720 symbols) without '-' or '_': P < 10⁻⁶ for base64url, so not base64url
  const b62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const base62 = Array.from({ length: 30 }, (_, i) =>
    Array.from(fixedBytes(`c${i}`, 24), (b) => b62[b % 62]).join(''),
  );
  assert.equal(detectEncoding(base62), 'base62');
});

test('decodes hex and base64url exactly like Buffer, MSB first, dropping partial trailing bits', () => {
  for (let i = 0; i < 50; i++) {
    const bytes = randomBytes(1 + (i % 40));
    assert.deepEqual(decodeToken(bytes.toString('hex'), 'hex'), new Uint8Array(bytes));
    assert.deepEqual(decodeToken(bytes.toString('base64url'), 'base64url'), new Uint8Array(bytes));
    assert.deepEqual(decodeToken(bytes.toString('base64'), 'base64'), new Uint8Array(bytes));
  }
  assert.equal(decodeToken('A'.repeat(43), 'base64url').length, 32); // 258 bits → 32 bytes
  assert.equal(decodeToken('abc', 'hex').length, 1); // trailing odd nibble dropped
});

test('bytesToBits concatenates tokens most significant bit first', () => {
  const bits = bytesToBits([new Uint8Array([0x80, 0x01]), new Uint8Array([0xa5])]);
  assert.deepEqual(Array.from(bits).join(''), '100000000000000110100101');
  assert.deepEqual(Array.from(parseBitString('10 01')), [1, 0, 0, 1]);
  assert.throws(() => parseBitString('102'));
});

test('observedAlphabet ignores base64 padding', () => {
  assert.equal(observedAlphabet(['QQ==', 'Qg==']), 'Qg');
});

describe('alphabets beyond hex and base64 get the bit-level battery', () => {
  const draw = (alphabet: string, len: number, n: number) =>
    Array.from({ length: n }, () =>
      Array.from({ length: len }, () => alphabet[randomInt(alphabet.length)]).join(''),
    );

  test("PHP's 5-bit alphabet and Django's base36 are recognised and read as bits", () => {
    const php = analyzeTokens(draw('0123456789abcdefghijklmnopqrstuv', 26, 1500));
    assert.equal(php.encoding, 'base32');
    assert.equal(php.bitsAnalyzed, 1500 * 128);
    assert.ok(php.tests.some((t) => t.standard.startsWith('FIPS')));
    const django = analyzeTokens(draw('abcdefghijklmnopqrstuvwxyz0123456789', 32, 1500));
    assert.equal(django.encoding, 'base36');
    assert.ok(django.bitsAnalyzed > 1500 * 0.5 * 160, String(django.bitsAnalyzed));
    assert.match(django.bitSource ?? '', /base-36 integer/);
  });

  test('the base-N reading is sound: uniform symbols give balanced bits, a skewed generator does not', () => {
    const fair = symbolsToBytes(
      draw('0123456789abcdefghijklmnopqrstuvwxyz', 20, 4000),
      '0123456789abcdefghijklmnopqrstuvwxyz',
    );
    assert.ok(fair);
    const bits = bytesToBits(fair.bytes);
    const ones = bits.reduce((a, b) => a + b, 0);
    // |ones − n/2| within 5 standard deviations
    assert.ok(Math.abs(ones - bits.length / 2) < 5 * Math.sqrt(bits.length / 4), `${ones} of ${bits.length}`);
    // A skewed generator written in base 36 (the square of a uniform number): its bits must fail.
    const skewed = symbolsToBytes(
      Array.from({ length: 1500 }, () =>
        (BigInt(`0x${randomBytes(10).toString('hex')}`) ** 2n).toString(36).padStart(32, '0'),
      ),
      '0123456789abcdefghijklmnopqrstuvwxyz',
    );
    assert.ok(skewed);
    const results = [
      ...fipsTests(bytesToBits(skewed.bytes), 0.01),
      ...nistTests(bytesToBits(skewed.bytes), 0.01).tests,
    ];
    assert.ok(results.some((t) => !t.passed));
  });
});
