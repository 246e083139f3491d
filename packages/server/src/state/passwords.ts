/**
 * Password hashing with node's scrypt (memory-hard; OWASP's parameters N=2^17, r=8, p=1 by default).
 * The hash string carries its parameters, so raising the cost later keeps old hashes verifiable.
 * Format: `$scrypt$ln=17,r=8,p=1$<salt b64>$<hash b64>`.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

const KEYLEN = 32;

function derive(password: string, salt: Buffer, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEYLEN, o, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const params = (ln: number, r: number, p: number): ScryptOptions => ({
  N: 2 ** ln,
  r,
  p,
  maxmem: 128 * r * 2 ** ln * 2 + 1024 * 1024,
});

/** Hashes a password; `cost` is log2(N) (default 17). */
export async function hashPassword(password: string, cost = 17): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params(cost, 8, 1));
  return `$scrypt$ln=${cost},r=8,p=1$${salt.toString('base64')}$${key.toString('base64')}`;
}

const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/** True when `password` matches `hash` (constant-time comparison). A malformed hash never matches. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = FORMAT.exec(hash);
  if (!m) return false;
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (ln < 10 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const key = await derive(password, Buffer.from(m[4]!, 'base64'), params(ln, r, p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}
