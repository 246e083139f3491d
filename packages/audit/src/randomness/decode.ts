import { lgamma } from './special.ts';
import type { TokenEncoding } from './types.ts';

const DIGITS = '0123456789';
const HEX_LOWER = '0123456789abcdef';
const HEX_UPPER = '0123456789ABCDEF';
const B64_CORE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const BASE64_ALPHABET = `${B64_CORE}+/`;
export const BASE64URL_ALPHABET = `${B64_CORE}-_`;

/** Sorted string of the distinct characters of `tokens` ('=' padding at the end excluded). */
export function observedAlphabet(tokens: readonly string[]): string {
  const seen = new Set<string>();
  for (const t of tokens) {
    const body = t.replace(/=+$/, '');
    for (const ch of body) seen.add(ch);
  }
  return [...seen].sort().join('');
}

function subsetOf(chars: string, set: string): boolean {
  for (const ch of chars) if (!set.includes(ch)) return false;
  return true;
}

/**
 * Detects the encoding from the observed alphabet. Digits only → decimal; [0-9a-f] or [0-9A-F] →
 * hex; [A-Za-z0-9+/] → base64; [A-Za-z0-9_-] → base64url. An alphanumeric alphabet is taken for
 * base64url only while the sample is too small for the missing symbols to be chance (P < 10⁻⁶,
 * union bound over which symbols are missing): otherwise it is base62/base36 ('unknown').
 */
export function detectEncoding(tokens: readonly string[]): TokenEncoding {
  const alphabet = observedAlphabet(tokens);
  if (alphabet.length === 0) return 'unknown';
  if (subsetOf(alphabet, DIGITS)) return 'decimal';
  if (subsetOf(alphabet, HEX_LOWER) || subsetOf(alphabet, HEX_UPPER)) return 'hex';
  const hasStd = /[+/]/.test(alphabet);
  const hasUrl = /[-_]/.test(alphabet);
  if (hasStd && hasUrl) return 'unknown';
  if (!subsetOf(alphabet, hasStd ? BASE64_ALPHABET : BASE64URL_ALPHABET)) return 'unknown';
  const missing = 64 - alphabet.length;
  if (missing > 0) {
    let total = 0;
    for (const t of tokens) total += t.replace(/=+$/, '').length;
    // P(some `missing` symbols never show up in `total` uniform draws) ≤ C(64, missing)·(1 − missing/64)^total
    const logP = lgamma(65) - lgamma(missing + 1) - lgamma(65 - missing) + total * Math.log1p(-missing / 64);
    if (logP < Math.log(1e-6)) return 'unknown';
  }
  return hasStd ? 'base64' : 'base64url';
}

/** The symbol set an encoder of `encoding` draws from (the observed alphabet for unknown ones). */
export function expectedAlphabet(encoding: TokenEncoding, observed: string): string {
  switch (encoding) {
    case 'hex':
      return /[A-F]/.test(observed) ? HEX_UPPER : HEX_LOWER;
    case 'base64':
      return BASE64_ALPHABET;
    case 'base64url':
      return BASE64URL_ALPHABET;
    case 'decimal':
      return DIGITS;
    default:
      return observed;
  }
}

/** Bits carried by one symbol of the encoding (hex 4, base64 6, otherwise log2 of the alphabet). */
export function bitsPerSymbol(encoding: TokenEncoding, alphabetSize: number): number {
  if (encoding === 'hex') return 4;
  if (encoding === 'base64' || encoding === 'base64url') return 6;
  return alphabetSize > 1 ? Math.log2(alphabetSize) : 0;
}

/** True for the encodings whose tokens decode to bytes (and so get bit-level tests). */
export function isBinaryEncoding(encoding: TokenEncoding): encoding is 'hex' | 'base64' | 'base64url' {
  return encoding === 'hex' || encoding === 'base64' || encoding === 'base64url';
}

/**
 * Decodes one token to bytes: hex two symbols per byte (a trailing odd symbol is dropped), base64
 * and base64url 6 bits per symbol, MSB first, trailing bits that do not fill a byte dropped.
 */
export function decodeToken(token: string, encoding: 'hex' | 'base64' | 'base64url'): Uint8Array {
  if (encoding === 'hex') {
    const out = new Uint8Array(token.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(token.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  const alphabet = encoding === 'base64' ? BASE64_ALPHABET : BASE64URL_ALPHABET;
  const body = token.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((body.length * 6) / 8));
  let acc = 0;
  let nbits = 0;
  let j = 0;
  for (let i = 0; i < body.length && j < out.length; i++) {
    acc = ((acc << 6) | alphabet.indexOf(body[i]!)) & 0xffffff;
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out[j++] = (acc >> nbits) & 0xff;
    }
  }
  return out;
}

/** Concatenates the bytes of all tokens into one bit sequence (one 0/1 byte per bit, MSB first). */
export function bytesToBits(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.length;
  const bits = new Uint8Array(total * 8);
  let k = 0;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++) {
      const b = c[i]!;
      for (let s = 7; s >= 0; s--) bits[k++] = (b >> s) & 1;
    }
  }
  return bits;
}

/** Parses a string of '0'/'1' characters (whitespace ignored) into a bit sequence. */
export function parseBitString(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const bits = new Uint8Array(clean.length);
  for (let i = 0; i < clean.length; i++) {
    const ch = clean[i];
    if (ch !== '0' && ch !== '1') throw new Error(`not a bit string: ${JSON.stringify(ch)} at ${i}`);
    bits[i] = ch === '1' ? 1 : 0;
  }
  return bits;
}
