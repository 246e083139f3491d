/**
 * Structured session cookies: the part that carries the randomness is found before any statistics,
 * so a signature or a JSON header is not mistaken for a weak generator. Recognised shapes:
 * express-session's `s:<id>.<signature>` (URL-encoded), JWTs, and `<id><sep><mac>` where the mac is
 * a fixed-length digest. `session.tokenPattern` overrides the detection.
 */

/** How the session cookie's values were read for analysis. */
export interface TokenStructure {
  kind: 'pattern' | 'express-signed' | 'jwt' | 'id-mac' | 'plain';
  /** What is analysed and why, for the report. */
  explanation: string;
  /** The analysed part of one cookie value. */
  extract: (value: string) => string;
}

function urlDecode(v: string): string {
  if (!v.includes('%')) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function b64urlJson(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const EXPRESS = /^s:([^.]+)\.([A-Za-z0-9+/_-]{20,}={0,2})$/;
const JWT = /^(eyJ[A-Za-z0-9_-]*)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/;
const MAC = /^(?:[0-9a-fA-F]{32,128}|[A-Za-z0-9+/_-]{22,88}={0,2})$/;
const TIME_CLAIMS = new Set(['iat', 'exp', 'nbf', 'auth_time']);

/**
 * Detects the structure of a sample of cookie values (all of them must share it). A manual
 * `pattern` (first capture group, else the whole match) wins.
 */
export function detectTokenStructure(values: readonly string[], pattern?: string): TokenStructure {
  if (pattern) {
    const re = new RegExp(pattern);
    return {
      kind: 'pattern',
      explanation: `the part matched by session.tokenPattern ${pattern} (set in the profile)`,
      extract: (v) => {
        const d = urlDecode(v);
        const m = re.exec(d);
        return m?.[1] ?? m?.[0] ?? d;
      },
    };
  }
  const decoded = values.map(urlDecode);
  if (decoded.length > 0 && decoded.every((v) => EXPRESS.test(v))) {
    return {
      kind: 'express-signed',
      explanation:
        'express-session signed cookie s:<id>.<signature>: only the id is analysed; the signature is an HMAC of the id, derived from it, not a second source of randomness',
      extract: (v) => EXPRESS.exec(urlDecode(v))?.[1] ?? urlDecode(v),
    };
  }
  if (decoded.length > 0 && decoded.every((v) => JWT.test(v) && b64urlJson(v.split('.')[0] as string)?.alg)) {
    const payloads = decoded.map((v) => b64urlJson(v.split('.')[1] as string) ?? {});
    const keys = new Set(payloads.flatMap((p) => Object.keys(p)));
    const varying = [...keys].filter(
      (k) =>
        !TIME_CLAIMS.has(k) &&
        payloads.every((p) => typeof p[k] === 'string') &&
        new Set(payloads.map((p) => p[k])).size > Math.max(1, payloads.length / 2),
    );
    const claim = varying.sort(
      (a, b) => String(payloads[0]?.[b]).length - String(payloads[0]?.[a]).length,
    )[0];
    if (claim) {
      return {
        kind: 'jwt',
        explanation: `JWT: the varying claim "${claim}" is analysed; header, time claims and signature are structure or derived from the payload`,
        extract: (v) => {
          const p = b64urlJson(urlDecode(v).split('.')[1] ?? '');
          return typeof p?.[claim] === 'string' ? (p[claim] as string) : urlDecode(v);
        },
      };
    }
    return {
      kind: 'jwt',
      explanation:
        'JWT without a random claim: only its signature is analysed, which shows nothing about guessability — the token is as strong as its signing key',
      extract: (v) => urlDecode(v).split('.')[2] ?? urlDecode(v),
    };
  }
  for (const sep of ['.', '|', ':', '--']) {
    const parts = decoded.map((v) => v.split(sep));
    if (decoded.length < 2 || !parts.every((p) => p.length === 2)) continue;
    const macs = parts.map((p) => p[1] as string);
    const macLen = macs[0]?.length ?? 0;
    if (!macs.every((m) => m.length === macLen && MAC.test(m))) continue;
    if (!parts.every((p) => (p[0] as string).length >= 8)) continue;
    return {
      kind: 'id-mac',
      explanation: `<id>${sep}<mac> cookie: only the id is analysed; the ${macLen}-character second part has the fixed length of a digest and is taken for a signature of the id`,
      extract: (v) => urlDecode(v).split(sep)[0] ?? urlDecode(v),
    };
  }
  return {
    kind: 'plain',
    explanation: 'no structure recognised: the whole (URL-decoded) cookie value is analysed',
    extract: urlDecode,
  };
}
