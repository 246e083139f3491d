/**
 * Verifies DBSC proofs: the compact JWS a browser sends in `Secure-Session-Response`, with
 * `typ: dbsc+jwt`, signed ES256 (P-256) or RS256, carrying the challenge as `jti`. At registration
 * the header carries the new public key (`jwk`) and the proof must verify under it; at refresh it
 * must verify under the key stored with the session (a `jwk` in the header is ignored). Signature
 * checks run in `jose` with an explicit algorithm allow-list, so `none` and HMAC never verify.
 * @internal
 */
import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import type { DbscFailureReason } from '../../engine/events.ts';

/** The algorithms DBSC allows (the specification's `none` is never accepted). */
export type DbscAlgorithm = 'ES256' | 'RS256';

/** Longest proof accepted, in characters (an RS256 registration with a 4096-bit key is ~1.6 KB). */
export const MAX_PROOF_LENGTH = 8192;

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A verified proof. */
export interface VerifiedProof {
  alg: DbscAlgorithm;
  /** The public key (minimal members) — at registration the new key, at refresh the stored one. */
  jwk: Record<string, string>;
  /** The challenge the browser signed. */
  jti: string;
}

export type ProofResult = { ok: true; proof: VerifiedProof } | { ok: false; reason: DbscFailureReason };

/** The public members of an acceptable key for `alg`, or null (private parts, wrong type or curve, small RSA). */
export function publicJwk(jwk: unknown, alg: DbscAlgorithm): Record<string, string> | null {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) return null;
  const k = jwk as Record<string, unknown>;
  for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) if (secret in k) return null;
  const str = (name: string, max: number) =>
    typeof k[name] === 'string' &&
    /^[A-Za-z0-9_-]+$/.test(k[name] as string) &&
    (k[name] as string).length <= max;
  if (alg === 'ES256') {
    if (k.kty !== 'EC' || k.crv !== 'P-256' || !str('x', 43) || !str('y', 43)) return null;
    return { kty: 'EC', crv: 'P-256', x: k.x as string, y: k.y as string };
  }
  if (k.kty !== 'RSA' || !str('n', 1366) || !str('e', 8)) return null;
  // 2048-bit moduli and up (342 base64url characters; a leading zero octet is not allowed).
  if ((k.n as string).length < 342) return null;
  return { kty: 'RSA', n: k.n as string, e: k.e as string };
}

/**
 * Checks a proof. `registration`: the key comes from the header and must be one of `algorithms`;
 * `refresh`: the stored key and algorithm are used. Never throws.
 */
export async function verifyProof(
  token: string,
  key:
    | { kind: 'registration'; algorithms: readonly DbscAlgorithm[] }
    | { kind: 'refresh'; alg: DbscAlgorithm; jwk: Record<string, string> },
): Promise<ProofResult> {
  if (token.length > MAX_PROOF_LENGTH || !COMPACT.test(token)) return { ok: false, reason: 'malformed' };
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (header.typ !== 'dbsc+jwt') return { ok: false, reason: 'malformed' };
  if (Array.isArray(header.crit)) return { ok: false, reason: 'malformed' };
  const alg = header.alg;
  if (alg !== 'ES256' && alg !== 'RS256') return { ok: false, reason: 'algorithm' };
  let jwk: Record<string, string> | null;
  if (key.kind === 'registration') {
    if (!key.algorithms.includes(alg)) return { ok: false, reason: 'algorithm' };
    jwk = publicJwk(header.jwk, alg);
    if (!jwk) return { ok: false, reason: 'malformed' };
  } else {
    if (alg !== key.alg) return { ok: false, reason: 'algorithm' };
    jwk = key.jwk;
  }
  let payload: Uint8Array;
  try {
    const cryptoKey = await importJWK(jwk as JWK, alg);
    ({ payload } = await compactVerify(token, cryptoKey, { algorithms: [alg] }));
  } catch {
    return { ok: false, reason: 'signature' };
  }
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const jti = (claims as { jti?: unknown } | null)?.jti;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256)
    return { ok: false, reason: 'challenge' };
  return { ok: true, proof: { alg, jwk, jti } };
}
