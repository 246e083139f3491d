import * as crypto from 'node:crypto';
import { createHash, createHmac } from 'node:crypto';
import type { TokenSample } from './predictability.ts';

/**
 * The generator-model check: tokens that pass every statistical test can still be a hash of
 * something an attacker can guess. For common constructions — MD5, SHA-1, SHA-256, SHA-512, plain
 * or as an HMAC with an empty or well-known default key — over inputs the auditor can enumerate
 * (the issue time in seconds, milliseconds or PHP `uniqid()`/`microtime()` form inside the window
 * the request and the server's `Date` header pin down; small counters, process ids and seeds;
 * those combined; the previous token), it tries to reproduce observed tokens. A construction that
 * reproduces one token is confirmed on the others before it is reported. Bounded by a CPU budget.
 */

/** A construction that reproduced observed tokens. */
export interface RecoveredModel {
  /** e.g. `md5(milliseconds since the epoch, decimal)`. */
  construction: string;
  /** Tokens it reproduced, of those checked. */
  reproduced: number;
  checked: number;
}

/** Outcome of the search, also when nothing was found (for the report's notes). */
export interface ModelSearch {
  found: RecoveredModel | undefined;
  candidatesTried: number;
  durationMs: number;
  exhausted: boolean;
}

const ALGORITHMS = [
  ['md5', 16],
  ['sha1', 20],
  ['sha256', 32],
  ['sha512', 64],
] as const;

/** Keys a developer leaves in place: empty, and the defaults of tutorials and frameworks. */
export const DEFAULT_KEYS = [
  '',
  'secret',
  'keyboard cat',
  'changeme',
  'change-me',
  'default',
  'key',
  'password',
  'your-secret-key',
  'supersecret',
];

/** Node's one-shot `crypto.hash` (20.12+) is about twice as fast as createHash for short inputs. */
function oneShot(alg: string): (input: string) => Buffer {
  const fast = (crypto as { hash?: (a: string, d: string, e: 'buffer') => Buffer }).hash;
  return fast ? (i) => fast(alg, i, 'buffer') : (i) => createHash(alg).update(i).digest();
}

type Mac = { label: string; digest: (input: string) => Buffer; bytes: number };

function macs(bytes: number): Mac[] {
  const out: Mac[] = [];
  for (const [alg, len] of ALGORITHMS) {
    if (len < bytes) continue;
    out.push({ label: alg, digest: oneShot(alg), bytes: len });
    for (const key of DEFAULT_KEYS)
      out.push({
        label: `HMAC-${alg.toUpperCase()} with ${key === '' ? 'an empty key' : `the default key "${key}"`}`,
        digest: (i) => createHmac(alg, key).update(i).digest(),
        bytes: len,
      });
  }
  return out;
}

/** The token's bytes when it reads as a digest (hex or base64/base64url), else undefined. */
export function digestBytes(token: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{32,128}$/.test(token) && token.length % 2 === 0) return Buffer.from(token, 'hex');
  if (/^[A-Za-z0-9+/_-]{22,88}={0,2}$/.test(token)) {
    const b = Buffer.from(token.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length >= 16) return b;
  }
  return undefined;
}

/**
 * One family of guessable inputs: a label and the candidate strings for a sample. A family that
 * does not depend on the sample (`shared`) is hashed once and compared with every token.
 */
interface Family {
  label: string;
  inputs: (s: TokenSample) => Iterable<string>;
  shared?: boolean;
}

function* range(lo: number, hi: number): Iterable<number> {
  for (let i = lo; i <= hi; i++) yield i;
}

function windowMs(s: TokenSample, slack = 3): [number, number] {
  return [s.requestedAt - slack, s.receivedAt + slack];
}

function windowS(s: TokenSample): [number, number] {
  const lo = Math.floor(Math.min(s.requestedAt, s.serverDate ?? s.requestedAt) / 1000) - 1;
  const hi = Math.floor(Math.max(s.receivedAt, s.serverDate ?? s.receivedAt) / 1000) + 1;
  return [lo, hi];
}

const SEPARATORS = ['', '-', ':', '.'];

const ms: Family = {
  label: 'milliseconds since the epoch',
  inputs: function* (s) {
    const [lo, hi] = windowMs(s);
    for (const t of range(lo, hi)) {
      yield String(t);
      yield t.toString(16);
    }
  },
};
const secs: Family = {
  label: 'seconds since the epoch',
  inputs: function* (s) {
    const [lo, hi] = windowS(s);
    for (const t of range(lo, hi)) {
      yield String(t);
      yield t.toString(16);
    }
  },
};
const uniqid: Family = {
  label: 'PHP uniqid()/microtime() of the issue time',
  inputs: function* (s) {
    const [lo, hi] = windowMs(s);
    for (let us = lo * 1000; us <= hi * 1000 + 999; us++) {
      const sec = Math.floor(us / 1_000_000);
      const usec = us % 1_000_000;
      yield sec.toString(16).padStart(8, '0') + usec.toString(16).padStart(5, '0');
      yield `0.${String(usec).padStart(6, '0')}00 ${sec}`;
      yield `${sec}.${String(usec).padStart(6, '0')}`;
    }
  },
};
const SMALL_MAX = 2 ** 16;
const small: Family = {
  label: 'a small integer (a counter, process id or seed)',
  shared: true,
  inputs: function* () {
    for (let i = 0; i <= SMALL_MAX; i++) yield String(i);
  },
};
const timeAndCounter = (unit: 'ms' | 's', max: number): Family => ({
  label: `${unit === 'ms' ? 'milliseconds' : 'seconds'} since the epoch joined with a small counter or process id`,
  inputs: function* (s) {
    const [lo, hi] = unit === 'ms' ? windowMs(s, 1) : windowS(s);
    for (let c = 0; c <= max; c++) {
      for (let t = lo; t <= hi; t++) {
        for (const sep of SEPARATORS) {
          yield `${t}${sep}${c}`;
          yield `${c}${sep}${t}`;
        }
      }
    }
  },
});

/** Which constructions each family is tried with, cheapest and likeliest first. */
function jobs(all: Mac[]): Array<{ family: Family; macs: Mac[] }> {
  const plain = all.filter((m) => !m.label.startsWith('HMAC'));
  const emptyKey = all.filter((m) => m.label.includes('empty key'));
  return [
    { family: ms, macs: all },
    { family: secs, macs: all },
    { family: small, macs: plain },
    { family: timeAndCounter('s', 1024), macs: plain },
    { family: timeAndCounter('ms', 256), macs: plain },
    { family: uniqid, macs: [...plain, ...emptyKey] },
    { family: small, macs: emptyKey },
  ];
}

/**
 * Searches for a construction that reproduces the sample's tokens (already reduced to their
 * analysed part). Gives up at `budgetMs` of CPU time. `values` are the raw tokens, for the
 * previous-token family.
 */
export function searchGeneratorModel(samples: readonly TokenSample[], budgetMs: number): ModelSearch {
  const started = Date.now();
  const deadline = started + budgetMs;
  let tried = 0;
  const targets = samples
    .slice(0, 64)
    .map((s) => ({ s, bytes: digestBytes(s.value) }))
    .filter((t): t is { s: TokenSample; bytes: Buffer } => t.bytes !== undefined)
    // The narrowest time windows first: the first target is searched exhaustively, the rest confirm.
    .sort((a, b) => a.s.receivedAt - a.s.requestedAt - (b.s.receivedAt - b.s.requestedAt));
  const none = (exhausted: boolean): ModelSearch => ({
    found: undefined,
    candidatesTried: tried,
    durationMs: Date.now() - started,
    exhausted,
  });
  if (targets.length < 3) return none(true);
  const len = targets[0]?.bytes.length ?? 0;
  if (!targets.every((t) => t.bytes.length === len)) return none(true);
  const constructions = macs(len);
  const hex = (b: Buffer) => b.subarray(0, len).toString('hex');
  const wanted = new Map(targets.map((t, i) => [t.bytes.toString('hex'), i]));

  // The previous token (or any other token of the sample) hashed: one pass over all values.
  for (const mac of constructions) {
    for (const s of samples) {
      tried++;
      if (wanted.has(hex(mac.digest(s.value)))) {
        const confirmed = samples.filter((x) => wanted.has(hex(mac.digest(x.value)))).length;
        if (confirmed >= 2) return found(`${mac.label}(the previous token)`, confirmed, targets.length);
      }
    }
    if (Date.now() > deadline) return none(false);
  }

  function found(construction: string, reproduced: number, checked: number): ModelSearch {
    return {
      found: { construction, reproduced, checked },
      candidatesTried: tried,
      durationMs: Date.now() - started,
      exhausted: false,
    };
  }

  // Time-based and small-integer families: search the first target, confirm on the others.
  for (const { family, macs: list } of jobs(constructions)) {
    for (const mac of list) {
      if (family.shared) {
        // Hashed once, compared with every token.
        let hits = 0;
        for (const input of family.inputs(targets[0]?.s as TokenSample)) {
          if (++tried % 4096 === 0 && Date.now() > deadline) return none(false);
          if (wanted.has(hex(mac.digest(input)))) hits++;
        }
        if (hits >= Math.min(2, targets.length))
          return found(`${mac.label}(${family.label})`, hits, targets.length);
        continue;
      }
      const first = targets[0] as { s: TokenSample; bytes: Buffer };
      const firstHex = first.bytes.toString('hex');
      let hitInput: string | undefined;
      for (const input of family.inputs(first.s)) {
        if (++tried % 4096 === 0 && Date.now() > deadline) return none(false);
        if (hex(mac.digest(input)) === firstHex) {
          hitInput = input;
          break;
        }
      }
      if (hitInput === undefined) continue;
      // Confirm on the next-narrowest targets until three tokens are reproduced (a hit on one
      // token could be chance only with a broken hash; two more make it certain).
      let confirmed = 1;
      let checked = 1;
      for (const t of targets.slice(1, 8)) {
        if (confirmed >= 3 || Date.now() > deadline) break;
        checked++;
        const h = t.bytes.toString('hex');
        for (const input of family.inputs(t.s)) {
          if (++tried % 4096 === 0 && Date.now() > deadline) break;
          if (hex(mac.digest(input)) === h) {
            confirmed++;
            break;
          }
        }
      }
      if (confirmed >= Math.min(2, targets.length))
        return found(`${mac.label}(${family.label})`, confirmed, checked);
    }
  }
  return none(true);
}
