/**
 * The session cookie reader and writer: only an exact, single occurrence of the cookie name counts;
 * duplicates (cookie tossing), oversized headers and look-alike names are "no session"; whatever the
 * header holds, reading never throws.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { generateToken } from '../../src/crypto/token.ts';
import {
  clearedCookie,
  DUPLICATE,
  readSessionCookie,
  sessionCookie,
  sessionCookieValue,
} from '../../src/http/cookie-header.ts';
import { resolveCookieOptions } from '../../src/http/cookie-options.ts';

const NAME = '__Host-sid';
const T = generateToken();
const U = generateToken();

describe('readSessionCookie', () => {
  const cases: Array<[string, string | string[] | undefined, ReturnType<typeof readSessionCookie>]> = [
    ['no header', undefined, { kind: 'none' }],
    ['empty header', '', { kind: 'none' }],
    ['other cookies only', 'a=1; b=2', { kind: 'none' }],
    ['the cookie alone', `${NAME}=${T}`, { kind: 'one', value: T }],
    ['among others, spaces around', `a=1;  ${NAME}=${T} ; b=2`, { kind: 'one', value: T }],
    ['no space after the semicolon', `a=1;${NAME}=${T}`, { kind: 'one', value: T }],
    ['a quoted value is unquoted', `${NAME}="${T}"`, { kind: 'one', value: T }],
    ['a lone quote stays as it is', `${NAME}="`, { kind: 'one', value: '"' }],
    ['an empty value', `${NAME}=`, { kind: 'one', value: '' }],
    ['percent escapes are not decoded', `${NAME}=%41%42`, { kind: 'one', value: '%41%42' }],
    ['an "=" inside the value is kept', `${NAME}=a=b`, { kind: 'one', value: 'a=b' }],
    ['twice, same value (tossing)', `${NAME}=${T}; ${NAME}=${T}`, { kind: 'duplicate', count: 2 }],
    ['twice, different values', `${NAME}=${U}; a=1; ${NAME}=${T}`, { kind: 'duplicate', count: 2 }],
    ['twice, one empty', `${NAME}=${T}; ${NAME}=`, { kind: 'duplicate', count: 2 }],
    ['twice, with spaces around the name', `${NAME}=${T}; ${NAME} =${U}`, { kind: 'duplicate', count: 2 }],
    ['three times', `${NAME}=1;${NAME}=2;${NAME}=3`, { kind: 'duplicate', count: 3 }],
    ['split over two Cookie headers', [`${NAME}=${T}`, `${NAME}=${U}`], { kind: 'duplicate', count: 2 }],
    ['two Cookie headers, one session cookie', ['a=1', `${NAME}=${T}`], { kind: 'one', value: T }],
    ['a longer name is another cookie', `${NAME}2=${T}`, { kind: 'none' }],
    ['a prefixed name is another cookie', `x${NAME}=${T}`, { kind: 'none' }],
    ['names are case-sensitive', `__host-sid=${T}`, { kind: 'none' }],
    ['the name without "=" is not a cookie', `${NAME}; a=1`, { kind: 'none' }],
    ['the name only as a value', `a=${NAME}`, { kind: 'none' }],
  ];
  for (const [what, header, expected] of cases) {
    test(what, () => assert.deepEqual(readSessionCookie(header, NAME), expected));
  }

  test('a header over 16 KiB is never read as a session', () => {
    const huge = `${NAME}=${T}; pad=${'x'.repeat(16 * 1024)}`;
    assert.notEqual(readSessionCookie(huge, NAME).kind, 'one');
    const hugeArray = [`${NAME}=${T}`, `pad=${'x'.repeat(16 * 1024)}`];
    assert.notEqual(readSessionCookie(hugeArray, NAME).kind, 'one');
  });

  test('a header just under the limit is still read', () => {
    const big = `pad=${'x'.repeat(16 * 1024 - 100)}; ${NAME}=${T}`;
    assert.deepEqual(readSessionCookie(big, NAME), { kind: 'one', value: T });
  });

  test('never throws, and finds the cookie exactly when it occurs once (property)', () => {
    const other = fc
      .tuple(fc.stringMatching(/^[a-zA-Z0-9_-]{1,12}$/), fc.string({ maxLength: 20 }))
      .filter(([n]) => n !== NAME)
      .map(([n, v]) => `${n}=${v.replaceAll(';', '')}`);
    fc.assert(
      fc.property(
        fc.array(other, { maxLength: 6 }),
        fc.integer({ min: 0, max: 3 }),
        fc.nat(),
        (others, n, at) => {
          const parts = [...others];
          for (let i = 0; i < n; i++) parts.splice((at + i) % (parts.length + 1), 0, `${NAME}=${T}`);
          const read = readSessionCookie(parts.join('; '), NAME);
          if (n === 0) assert.equal(read.kind, 'none');
          else if (n === 1) assert.deepEqual(read, { kind: 'one', value: T });
          else assert.equal(read.kind, 'duplicate');
        },
      ),
      { numRuns: 300, seed: 7 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (junk) => {
        readSessionCookie(junk, NAME);
        readSessionCookie([junk, junk], NAME);
      }),
      { numRuns: 300, seed: 8 },
    );
  });
});

describe('sessionCookieValue (the per-request reader)', () => {
  /** The plain reading: split on `;`, a pair's name is what precedes its first `=`, blanks trimmed. */
  const reference = (text: string): string | null | typeof DUPLICATE => {
    const values = text
      .split(';')
      .filter(
        (pair) =>
          pair.includes('=') && pair.slice(0, pair.indexOf('=')).replace(/^[ \t]+|[ \t]+$/g, '') === NAME,
      )
      .map((pair) => pair.slice(pair.indexOf('=') + 1).trim());
    if (values.length > 1) return DUPLICATE;
    const v = values[0];
    if (v === undefined) return null;
    return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
  };

  test('agrees with the plain split-and-trim reading on headers made of name fragments (property)', () => {
    const piece = fc.constantFrom(
      NAME,
      '__Host-',
      'sid',
      ';',
      '=',
      ' ',
      '\t',
      '"',
      'a',
      'x=1',
      T,
      `${NAME}=`,
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 14 }), (pieces) => {
        const header = pieces.join('');
        assert.equal(sessionCookieValue(header, NAME), reference(header), JSON.stringify(header));
      }),
      { numRuns: 3000, seed: 11 },
    );
  });

  test("the name inside another cookie's value or name is not the session cookie", () => {
    assert.equal(sessionCookieValue(`a=${NAME}=${T}`, NAME), null);
    assert.equal(sessionCookieValue(`a${NAME}=${T}`, NAME), null);
    assert.equal(sessionCookieValue(`a=${NAME}=${U}; ${NAME}=${T}`, NAME), T);
  });
});

describe('sessionCookie / clearedCookie', () => {
  const c = resolveCookieOptions();
  const attrs = (line: string) =>
    line
      .split(';')
      .slice(1)
      .map((a) => a.trim().split('=')[0]!.toLowerCase());

  test('the session cookie: __Host-sid, Secure, HttpOnly, Path=/, SameSite=Lax, no Domain, no Max-Age', () => {
    const line = sessionCookie(c, T);
    assert.ok(line.startsWith(`${NAME}=${T};`));
    assert.deepEqual(attrs(line).sort(), ['httponly', 'path', 'samesite', 'secure']);
    assert.match(line, /Path=\//);
    assert.match(line, /SameSite=Lax/);
  });

  test('Max-Age only when asked (remember-me), whole seconds, never negative', () => {
    assert.match(sessionCookie(c, T, 3600.9), /Max-Age=3600(;|$)/);
    assert.match(sessionCookie(c, T, -5), /Max-Age=0(;|$)/);
    assert.doesNotMatch(sessionCookie(c, T), /Max-Age|Expires|Domain/i);
  });

  test('SameSite=Strict when configured', () => {
    assert.match(sessionCookie(resolveCookieOptions({ sameSite: 'strict' }), T), /SameSite=Strict/);
  });

  test('the cleared cookie empties the value and expires it, with the same scope', () => {
    const line = clearedCookie(c);
    assert.ok(line.startsWith(`${NAME}=;`));
    assert.match(line, /Max-Age=0/);
    assert.match(line, /Expires=Thu, 01 Jan 1970/);
    assert.match(line, /Path=\//);
    assert.match(line, /Secure/);
    assert.doesNotMatch(line, /Domain/i);
  });
});
