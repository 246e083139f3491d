/** Guessing and malformed tokens: every odd input is "no session", never an exception, never a store lookup. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import {
  generateToken,
  isWellFormedToken,
  sessionIdFromToken,
  TOKEN_LENGTH,
} from '../../src/crypto/token.ts';
import { type Harness, harness, STORE_KINDS } from '../helpers/engine.ts';

const valid = generateToken();
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Last characters that would carry bits beyond the 256 of the token (non-canonical spelling). */
const nonCanonicalLast = [...BASE64URL].filter((ch) => BASE64URL.indexOf(ch) % 4 !== 0);

const malformed: Array<[string, unknown]> = [
  ['one short', valid.slice(0, 42)],
  ['one long', `${valid}A`],
  ['standard base64 alphabet', `+/${valid.slice(2)}`],
  ['padding', `${valid.slice(0, 42)}=`],
  ['space inside', `${valid.slice(0, 20)} ${valid.slice(21)}`],
  ['trailing newline', `${valid.slice(0, 42)}\n`],
  ['leading space', ` ${valid.slice(1)}`],
  ['NUL byte', `${valid.slice(0, 42)}\0`],
  ['non-ASCII lookalike', `${valid.slice(0, 42)}А`],
  ['emoji', `${valid.slice(0, 41)}😀`],
  ['percent-encoded', encodeURIComponent(`${valid.slice(0, 40)}+/=`)],
  ['hex of 32 bytes', Buffer.from(valid, 'base64url').toString('hex')],
  ['1 MiB string', 'A'.repeat(1 << 20)],
  ['43 spaces', ' '.repeat(43)],
  ['number', 12345],
  ['NaN', Number.NaN],
  ['boolean', true],
  ['object', { token: valid }],
  ['array', [valid]],
  ['Buffer', Buffer.from(valid)],
  ['String object', new String(valid)],
  ['function', () => valid],
  ['symbol', Symbol('t')],
  ['bigint', 10n],
  ...nonCanonicalLast.map((ch): [string, unknown] => [
    `non-canonical last char ${ch}`,
    valid.slice(0, 42) + ch,
  ]),
];

test('generated tokens: 43 base64url characters, canonical, unique, 256 bits', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const t = generateToken();
    assert.equal(t.length, TOKEN_LENGTH);
    assert.ok(isWellFormedToken(t), t);
    assert.equal(Buffer.from(t, 'base64url').length, 32);
    assert.equal(Buffer.from(t, 'base64url').toString('base64url'), t, 'one spelling per token');
    seen.add(t);
  }
  assert.equal(seen.size, 5000);
});

test('the stored id is SHA-256 of the token, and is not the token', () => {
  const t = generateToken();
  assert.equal(sessionIdFromToken(t), sessionIdFromToken(t));
  assert.notEqual(sessionIdFromToken(t), t);
  assert.equal(Buffer.from(sessionIdFromToken(t), 'base64url').length, 32);
});

test('every non-canonical last character is refused by isWellFormedToken', () => {
  assert.equal(nonCanonicalLast.length, 48);
  for (const ch of nonCanonicalLast) assert.equal(isWellFormedToken(valid.slice(0, 42) + ch), false, ch);
});

for (const kind of STORE_KINDS) {
  describe(`guessing and malformed tokens (${kind})`, () => {
    let h: Harness;
    beforeEach(() => {
      h = harness(kind);
    });
    afterEach(() => h.close());

    test('missing tokens are "missing"', async () => {
      for (const t of [undefined, null, '']) {
        assert.deepEqual(await h.manager.validate(t), { ok: false, reason: 'missing' });
      }
      assert.equal(h.store.calls.size, 0);
    });

    for (const [label, value] of malformed) {
      test(`malformed: ${label} → "malformed", no store access, no throw`, async () => {
        const result = await h.manager.validate(value as string);
        assert.deepEqual(result, { ok: false, reason: 'malformed' });
        assert.equal(h.store.calls.size, 0, 'a malformed token never reaches the store');
        const ev = h.events.find((e) => e.type === 'session.invalid_token');
        assert.ok(ev && ev.type === 'session.invalid_token' && ev.reason === 'malformed');
      });
    }

    test('a real token with one character changed is unknown', async () => {
      const { token } = await h.manager.login(null, 'alice');
      const i = 10;
      const swapped = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
      assert.deepEqual(await h.manager.validate(swapped), { ok: false, reason: 'unknown' });
      assert.ok((await h.manager.validate(token)).ok);
    });

    test('500 random well-formed guesses are all unknown and create nothing', async () => {
      await h.manager.login(null, 'alice');
      h.store.reset();
      for (let i = 0; i < 500; i++) {
        assert.deepEqual(await h.manager.validate(generateToken()), { ok: false, reason: 'unknown' });
      }
      assert.equal(h.store.writes, 0);
    });
  });
}
