/** What the store benchmarks share: the client every hot session comes from, the key ring, and figures. */
import { createKeyRing } from '../../packages/tessera/src/crypto/keyring.ts';
import type { SessionManager } from '../../packages/tessera/src/engine/session-manager.ts';

/** How many logged-in sessions the traffic validates over and over. */
export const HOT = 1000;

/** The request context of every bench request (a desktop Firefox). */
export const CTX = {
  ip: '203.0.113.7',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
};

/** A fixed key ring: the benchmarks need no secrecy, only the same sealing as production. */
export const keys = createKeyRing([{ id: 'bench', key: Buffer.alloc(32, 7) }]);

/** The p-th percentile of `xs` (nearest rank). */
export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

/** A number with `d` decimals. */
export const f = (n: number, d = 2): string => n.toFixed(d);

/** Logs in {@link HOT} users, each with a 3-item cart, and returns their tokens. */
export async function hotTokens(manager: SessionManager): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < HOT; i++) {
    const issued = await manager.create(CTX, { cart: ['book', 'pen', 'mug'] });
    tokens.push((await manager.login(issued.session, `user-${i}`, {}, CTX)).token);
  }
  return tokens;
}
