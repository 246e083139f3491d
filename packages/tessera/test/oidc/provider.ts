/**
 * A local stand-in for an OpenID Connect provider (Keycloak, Entra ID, …) as far as back-channel
 * logout goes: a real JWKS endpoint over HTTP, real signing keys that can be rotated, and signed
 * Logout Tokens built with `jose` — valid ones, and every way of getting them wrong.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export const ISSUER = 'https://sso.example.test/realms/shop';
export const CLIENT_ID = 'shop-app';
export const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKey(alg: 'RS256' | 'ES256' = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export class Provider {
  jwksUrl = '';
  /** How often the JWKS was fetched. */
  fetches = 0;
  #server: Server | null = null;
  #keys: SigningKey[] = [];

  static async start(): Promise<Provider> {
    const p = new Provider();
    p.#keys = [await newKey()];
    p.#server = createServer((req, res) => {
      if (req.url !== '/certs') {
        res.writeHead(404).end();
        return;
      }
      p.fetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: p.#keys.map((k) => k.jwk) }));
    });
    await new Promise<void>((resolve) => p.#server!.listen(0, '127.0.0.1', resolve));
    p.jwksUrl = `http://127.0.0.1:${(p.#server.address() as AddressInfo).port}/certs`;
    return p;
  }

  get current(): SigningKey {
    return this.#keys[0]!;
  }

  /** Publishes a new key and signs with it from now on; the old key is withdrawn. */
  async rotate(): Promise<void> {
    this.#keys = [await newKey('ES256')];
  }

  /** A Logout Token: the valid claims at `now` (seconds), overridden by `claims` (undefined removes one). */
  async logoutToken(
    now: number,
    claims: Record<string, unknown> = {},
    options: { key?: SigningKey; kid?: string; typ?: string } = {},
  ): Promise<string> {
    const key = options.key ?? this.current;
    const body: Record<string, unknown> = {
      iss: ISSUER,
      aud: CLIENT_ID,
      iat: now,
      exp: now + 120,
      jti: randomUUID(),
      sub: 'kc-user-1',
      sid: 'kc-session-1',
      events: { [EVENT]: {} },
      ...claims,
    };
    for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
    return new SignJWT(body as Record<string, unknown>)
      .setProtectedHeader({
        alg: (key.jwk.alg as string) ?? 'RS256',
        kid: options.kid ?? key.kid,
        typ: options.typ ?? 'logout+jwt',
      })
      .sign(key.privateKey);
  }

  /** A key the provider never published (an attacker's). */
  static async attackerKey(kid?: string): Promise<SigningKey> {
    const k = await newKey();
    return kid ? { ...k, kid } : k;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server?.close(() => resolve());
      this.#server?.closeAllConnections();
    });
  }
}
