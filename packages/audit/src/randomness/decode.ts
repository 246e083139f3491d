import { lgamma } from './special.ts';
import type { TokenEncoding } from './types.ts';

const DIGITS = '0123456789';
const HEX_LOWER = '0123456789abcdef';
const HEX_UPPER = '0123456789ABCDEF';
const B64_CORE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const BASE64_ALPHABET = `${B64_CORE}+/`;
export const BASE64URL_ALPHABET = `${B64_CORE}-_`;

/** PHP's alphabets for `session.sid_bits_per_character` 5 and 6 (ext/session `bin_to_readable`). */
export const PHP32_ALPHABET = '0123456789abcdefghijklmnopqrstuv';
export const PHP64_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,-';
export const RFC32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE36_LOWER = '0123456789abcdefghijklmnopqrstuvwxyz';
const BASE36_UPPER = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

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
  let total = 0;
  for (const t of tokens) total += t.replace(/=+$/, '').length;
  // An alphabet fits when it holds every observed symbol and the ones it lacks could be chance.
  const fits = (set: string): boolean =>
    subsetOf(alphabet, set) && plausiblyMissing(set.length - alphabet.length, set.length, total);
  if (fits(PHP32_ALPHABET) || fits(RFC32_ALPHABET)) return 'base32';
  if (fits(BASE36_LOWER) || fits(BASE36_UPPER)) return 'base36';
  const hasStd = /[+/]/.test(alphabet);
  const hasUrl = /[-_]/.test(alphabet);
  if (/,/.test(alphabet) && fits(PHP64_ALPHABET)) return 'php64';
  if (hasStd && hasUrl) return 'unknown';
  if (fits(hasStd ? BASE64_ALPHABET : BASE64URL_ALPHABET)) return hasStd ? 'base64' : 'base64url';
  if (fits(BASE62)) return 'base62';
  return 'unknown';
}

/**
 * Whether `missing` symbols of a `size`-symbol alphabet could plausibly never show up in `total`
 * uniform draws (P ≥ 10⁻⁶, union bound over which symbols are missing).
 */
function plausiblyMissing(missing: number, size: number, total: number): boolean {
  if (missing <= 0) return true;
  const logP =
    lgamma(size + 1) - lgamma(missing + 1) - lgamma(size + 1 - missing) + total * Math.log1p(-missing / size);
  return logP >= Math.log(1e-6);
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
    case 'base32':
      return subsetOf(observed, PHP32_ALPHABET) ? PHP32_ALPHABET : RFC32_ALPHABET;
    case 'php64':
      return PHP64_ALPHABET;
    case 'base36':
      return /[A-Z]/.test(observed) ? BASE36_UPPER : BASE36_LOWER;
    case 'base62':
      return BASE62;
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
 * Bits from tokens over any alphabet of N symbols, so every token gets the bit-level battery.
 * N = 2^k (PHP's base32 and php64): each symbol is its k bits, MSB first. Otherwise (base36,
 * base62, decimal) a token of L symbols is a uniform integer x in [0, N^L) when the generator is
 * sound; keeping x only when x < 2^m, m = ⌊L·log2 N⌋, leaves a uniform m-bit number (rejection
 * sampling: at least half of the tokens are kept). Bits that do not fill a byte are dropped.
 * Returns the bytes of the kept tokens and a sentence saying what was done.
 */
export function symbolsToBytes(
  tokens: readonly string[],
  alphabet: string,
): { bytes: Uint8Array[]; source: string } | null {
  const n = alphabet.length;
  if (n < 2 || tokens.length === 0) return null;
  const index = new Map([...alphabet].map((ch, i) => [ch, i]));
  const k = Math.log2(n);
  if (Number.isInteger(k)) {
    const bytes = tokens.map((t) => {
      const out = new Uint8Array(Math.floor((t.length * k) / 8));
      let acc = 0;
      let nbits = 0;
      let j = 0;
      for (const ch of t) {
        acc = ((acc << k) | (index.get(ch) ?? 0)) & 0xffffff;
        nbits += k;
        if (nbits >= 8 && j < out.length) {
          nbits -= 8;
          out[j++] = (acc >> nbits) & 0xff;
        }
      }
      return out;
    });
    return { bytes, source: `each of the ${n} symbols read as its ${k} bits` };
  }
  const big = BigInt(n);
  let minLen = Number.POSITIVE_INFINITY;
  for (const t of tokens) minLen = Math.min(minLen, t.length);
  const m = Math.floor(minLen * Math.log2(n) + 1e-9);
  if (m < 1) return null;
  // Kept tokens contribute exactly m bits each, packed one after another into one byte stream.
  const stream: number[] = [];
  let acc = 0;
  let nbits = 0;
  let kept = 0;
  for (const t of tokens) {
    if (t.length !== minLen) continue;
    let x = 0n;
    for (const ch of t) x = x * big + BigInt(index.get(ch) ?? 0);
    if (x >> BigInt(m) !== 0n) continue; // x ≥ 2^m: rejected
    kept++;
    const bits = x.toString(2).padStart(m, '0');
    for (let i = 0; i < m; i++) {
      acc = (acc << 1) | (bits.charCodeAt(i) - 48);
      if (++nbits === 8) {
        stream.push(acc);
        acc = 0;
        nbits = 0;
      }
    }
  }
  if (kept === 0) return null;
  return {
    bytes: [Uint8Array.from(stream)],
    source: `each token read as a base-${n} integer and kept when below 2^${m} (${kept} of ${tokens.length} tokens), its ${m} bits in a row`,
  };
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
