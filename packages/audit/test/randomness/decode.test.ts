import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  bytesToBits,
  decodeToken,
  detectEncoding,
  observedAlphabet,
  parseBitString,
} from '../../src/randomness/decode.ts';
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

test('a large alphanumeric sample that never uses - or _ is not base64 (base62/base36 → unknown)', () => {
  const small = Array.from({ length: 3 }, (_, i) =>
    Buffer.from(fixedBytes(`s${i}`, 9)).toString('base64url'),
  );
  const alnum = small.map((t) => t.replace(/[-_]/g, 'A'));
  assert.equal(detectEncoding(alnum), 'base64url');
  const base36 = Array.from({ length: 500 }, (_, i) =>
    BigInt(`0x${Buffer.from(fixedBytes(`b${i}`, 8)).toString('hex')}`).toString(36),
  );
  assert.equal(detectEncoding(base36), 'unknown');
  // 30 base62 tokens (720 symbols) without '-' or '_': P < 10⁻⁶ for base64url, so not base64url
  const b62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const base62 = Array.from({ length: 30 }, (_, i) =>
    Array.from(fixedBytes(`c${i}`, 24), (b) => b62[b % 62]).join(''),
  );
  assert.equal(detectEncoding(base62), 'unknown');
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
