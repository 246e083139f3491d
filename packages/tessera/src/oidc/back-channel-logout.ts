/**
 * OpenID Connect Back-Channel Logout 1.0, the relying party's side: the identity provider POSTs a
 * signed `logout_token`; Tessera validates it exactly as section 2.6 asks and ends the matching
 * sessions in the store (so on every node at once), answering 200, or 400 with an OAuth-style error.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import { rejectUnknownKeys } from '../config-check.ts';
import { type Duration, parseDuration } from '../duration.ts';
import { emitEvent } from '../engine/internal.ts';
import type { SessionManager } from '../engine/session-manager.ts';
import { ConfigError, TesseraError } from '../errors.ts';
import { memoryReplayCache, type ReplayCache } from './replay-cache.ts';

/** The `events` member that marks a Logout Token. */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** Asymmetric algorithms accepted by default (`none` and HMAC never). */
const DEFAULT_ALGORITHMS = [
  'RS256',
  'PS256',
  'ES256',
  'RS384',
  'PS384',
  'ES384',
  'RS512',
  'PS512',
  'ES512',
  'EdDSA',
];

/** Longest `logout_token` accepted, in characters. */
const MAX_TOKEN = 16 * 1024;

/** Options of {@link backChannelLogout}. */
export interface BackChannelLogoutOptions {
  /** The provider's issuer identifier, exactly as in its tokens (`https://sso.example/realms/shop`). */
  issuer: string;
  /** This app's client id(s) at the provider: the token's `aud` must contain one. */
  audience: string | string[];
  /**
   * The provider's keys: its `jwks_uri` (fetched, cached, and fetched again when a token names a key
   * id not in the cache — which is how key rotation is followed), or a JWK set.
   */
  jwks: URL | string | JSONWebKeySet;
  /** Signature algorithms accepted. Default: RS/PS/ES 256–512 and EdDSA (never `none`, never HMAC). */
  algorithms?: string[];
  /** How old (by `iat`) a token may be. Default `'5m'`. */
  maxTokenAge?: Duration;
  /** Clock skew tolerated for `iat`/`exp`. Default `'30s'`. */
  clockTolerance?: Duration;
  /** Where seen `jti`s are remembered (default: in this process). Share one across nodes to refuse replays everywhere. */
  replayCache?: ReplayCache;
  /** How long fetched keys are trusted before they are fetched again. Default `'10m'`. */
  jwksCacheMaxAge?: Duration;
  /**
   * The least time between two fetches of the provider's keys (a token naming an unknown key id
   * triggers one). Default `'30s'`: a flood of forged tokens with random key ids costs one fetch per period.
   */
  jwksCooldown?: Duration;
}

/** The receiver's answer. */
export interface BackChannelLogoutResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** How many sessions ended (0 on errors). */
  revoked: number;
}

/** The back-channel logout endpoint, in three shapes: neutral, web `Request`, node:http. */
export interface BackChannelLogout {
  /** Handles the POSTed form body (raw text, parsed params, or a body parser's object). */
  handle(
    body: string | URLSearchParams | Record<string, unknown> | undefined,
  ): Promise<BackChannelLogoutResponse>;
  /** For web-standard servers (Hono, Bun, Deno): POST only, form-encoded body. */
  fetch(request: Request): Promise<Response>;
  /** For node:http, Express (with or without `express.urlencoded()`) and Fastify's `reply.raw`. */
  node(req: IncomingMessage & { body?: unknown }, res: ServerResponse): Promise<void>;
}

class LogoutTokenError extends Error {
  constructor(
    readonly reason: string,
    readonly description: string,
  ) {
    super(description);
  }
}

/**
 * Receives OpenID Connect back-channel logouts for one provider and ends the sessions they name.
 * Record the provider's `iss`/`sub`/`sid` at login (`session.login(user, { federated })`).
 *
 * @example
 * const logout = backChannelLogout(manager, {
 *   issuer: 'https://sso.example/realms/shop',
 *   audience: 'shop',
 *   jwks: 'https://sso.example/realms/shop/protocol/openid-connect/certs',
 * });
 * app.post('/oidc/backchannel-logout', express.urlencoded({ extended: false }), (req, res) => logout.node(req, res));
 */
export function backChannelLogout(
  manager: SessionManager,
  options: BackChannelLogoutOptions,
): BackChannelLogout {
  rejectUnknownKeys(
    options,
    [
      'issuer',
      'audience',
      'jwks',
      'algorithms',
      'maxTokenAge',
      'clockTolerance',
      'replayCache',
      'jwksCacheMaxAge',
      'jwksCooldown',
    ],
    'backChannelLogout',
  );
  if (typeof options.issuer !== 'string' || options.issuer.length === 0)
    throw new ConfigError('backChannelLogout.issuer', 'must be the provider’s issuer identifier.');
  const audiences = [options.audience].flat();
  if (audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a.length === 0))
    throw new ConfigError(
      'backChannelLogout.audience',
      'must be the client id (or ids) registered at the provider.',
    );
  const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
  if (!Array.isArray(algorithms) || algorithms.length === 0 || algorithms.some((a) => typeof a !== 'string'))
    throw new ConfigError('backChannelLogout.algorithms', 'must be a non-empty list of algorithm names.');
  if (algorithms.some((a) => a === 'none' || /^HS/i.test(a)))
    throw new ConfigError('backChannelLogout.algorithms', 'only asymmetric algorithms are accepted.');
  const maxAgeMs = parseDuration(options.maxTokenAge ?? '5m', 'backChannelLogout.maxTokenAge');
  const toleranceMs = parseDuration(options.clockTolerance ?? '30s', 'backChannelLogout.clockTolerance');
  const cacheMs = parseDuration(options.jwksCacheMaxAge ?? '10m', 'backChannelLogout.jwksCacheMaxAge');
  const cooldownMs = parseDuration(options.jwksCooldown ?? '30s', 'backChannelLogout.jwksCooldown');
  const jwks = options.jwks as unknown;
  if (typeof jwks === 'string' && !URL.canParse(jwks))
    throw new ConfigError(
      'backChannelLogout.jwks',
      'must be the provider’s jwks_uri (an absolute URL) or a JWK set.',
    );
  if (
    typeof jwks !== 'string' &&
    !(jwks instanceof URL) &&
    !Array.isArray((jwks as { keys?: unknown } | null)?.keys)
  )
    throw new ConfigError(
      'backChannelLogout.jwks',
      'must be the provider’s jwks_uri (an absolute URL) or a JWK set.',
    );
  if (
    options.replayCache !== undefined &&
    typeof (options.replayCache as { seen?: unknown } | null)?.seen !== 'function'
  )
    throw new ConfigError('backChannelLogout.replayCache', 'must have a seen(key, expiresAt) method.');
  const keys =
    typeof options.jwks === 'string' || options.jwks instanceof URL
      ? createRemoteJWKSet(new URL(options.jwks), {
          cacheMaxAge: cacheMs,
          cooldownDuration: cooldownMs,
          timeoutDuration: 5000,
        })
      : createLocalJWKSet(options.jwks);
  const replay = options.replayCache ?? memoryReplayCache({ now: () => manager.now() });
  const issuer = options.issuer;

  const reject = (reason: string, description: string): BackChannelLogoutResponse => {
    emitEvent(manager, {
      type: 'session.backchannel_logout_rejected',
      at: manager.now(),
      sessionId: null,
      userId: null,
      ip: null,
      reason,
    });
    return {
      status: 400,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify({ error: 'invalid_request', error_description: description }),
      revoked: 0,
    };
  };

  /** Section 2.6, steps 2–7 (an encrypted token, step 1, is not supported and fails as malformed). */
  async function validate(token: string): Promise<JWTPayload & { sid?: string; sub?: string; jti: string }> {
    if (token.length > MAX_TOKEN || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token))
      throw new LogoutTokenError('malformed', 'The logout_token is not a signed JWT.');
    let header: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(token) as Record<string, unknown>;
    } catch {
      throw new LogoutTokenError('malformed', 'The logout_token header cannot be read.');
    }
    // Explicitly typed tokens must be typed as logout tokens (an ID or access token is not one).
    if (header.typ !== undefined && !['logout+jwt', 'JWT', 'jwt'].includes(String(header.typ)))
      throw new LogoutTokenError('typ', 'The logout_token has the wrong type.');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer,
        audience: audiences,
        algorithms,
        maxTokenAge: Math.ceil(maxAgeMs / 1000),
        clockTolerance: Math.ceil(toleranceMs / 1000),
        requiredClaims: ['iat', 'jti'],
        currentDate: new Date(manager.now()),
      }));
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JOSE_GENERIC' || (err as Error).name === 'TypeError')
        throw new LogoutTokenError('keys', 'The provider’s keys could not be fetched.');
      const reason =
        code === 'ERR_JWT_EXPIRED'
          ? 'expired'
          : code === 'ERR_JWT_CLAIM_VALIDATION_FAILED'
            ? `claim-${String((err as { claim?: string }).claim ?? 'invalid')}`
            : code === 'ERR_JOSE_ALG_NOT_ALLOWED'
              ? 'algorithm'
              : 'signature';
      throw new LogoutTokenError(reason, 'The logout_token could not be validated.');
    }
    const events = payload.events;
    if (
      events === null ||
      typeof events !== 'object' ||
      Array.isArray(events) ||
      !Object.hasOwn(events, BACKCHANNEL_LOGOUT_EVENT) ||
      typeof (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT] !== 'object' ||
      (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT] === null
    )
      throw new LogoutTokenError('events', 'The logout_token lacks the back-channel logout event.');
    if (Object.hasOwn(payload, 'nonce'))
      throw new LogoutTokenError('nonce', 'A logout_token must not contain a nonce.');
    const sid = payload.sid;
    const sub = payload.sub;
    if (sid !== undefined && (typeof sid !== 'string' || sid.length === 0))
      throw new LogoutTokenError('sid', 'The logout_token has an invalid sid.');
    if (sub !== undefined && (typeof sub !== 'string' || sub.length === 0))
      throw new LogoutTokenError('sub', 'The logout_token has an invalid sub.');
    if (sid === undefined && sub === undefined)
      throw new LogoutTokenError('sid-sub', 'The logout_token names neither a sid nor a sub.');
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256)
      throw new LogoutTokenError('jti', 'The logout_token has an invalid jti.');
    return payload as JWTPayload & { sid?: string; sub?: string; jti: string };
  }

  async function handle(
    body: Parameters<BackChannelLogout['handle']>[0],
  ): Promise<BackChannelLogoutResponse> {
    const token =
      body === undefined
        ? undefined
        : typeof body === 'string'
          ? new URLSearchParams(body).getAll('logout_token')
          : body instanceof URLSearchParams
            ? body.getAll('logout_token')
            : [body.logout_token].flat();
    if (token?.length !== 1 || typeof token[0] !== 'string')
      return reject('missing', 'Exactly one logout_token parameter is required.');
    let claims: Awaited<ReturnType<typeof validate>>;
    try {
      claims = await validate(token[0]);
    } catch (err) {
      if (err instanceof LogoutTokenError) return reject(err.reason, err.description);
      throw err;
    }
    // Remembered for as long as the token could still pass the iat check, so a replay is always caught.
    const iat = (claims.iat ?? 0) * 1000;
    if (await replay.seen(`${issuer} ${claims.jti}`, iat + maxAgeMs + toleranceMs))
      return reject('replay', 'This logout_token was already received.');
    const revoked = await manager.revokeFederated(issuer, { sid: claims.sid, sub: claims.sub });
    emitEvent(manager, {
      type: 'session.backchannel_logout',
      at: manager.now(),
      sessionId: null,
      userId: null,
      ip: null,
      issuer,
      revoked,
    });
    return { status: 200, headers: { 'cache-control': 'no-store' }, body: '', revoked };
  }

  /** Store trouble or a misconfiguration: 5xx, so the provider may retry; nothing is leaked. */
  const failure = (err: unknown): BackChannelLogoutResponse => ({
    status: err instanceof TesseraError && err.status >= 500 ? err.status : 500,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify({ error: 'server_error' }),
    revoked: 0,
  });
  const safely = (body: Parameters<BackChannelLogout['handle']>[0]) => handle(body).catch(failure);

  return {
    handle: safely,
    async fetch(request) {
      let out: BackChannelLogoutResponse;
      if (request.method !== 'POST') out = { ...reject('method', 'Use POST.'), status: 405 };
      else if (!(request.headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded'))
        out = reject('content-type', 'The body must be application/x-www-form-urlencoded.');
      else {
        const text = await request.text();
        out =
          text.length > MAX_TOKEN + 64 ? reject('malformed', 'The body is too large.') : await safely(text);
      }
      return new Response(out.body || null, { status: out.status, headers: out.headers });
    },
    async node(req, res) {
      let out: BackChannelLogoutResponse;
      if (req.method !== 'POST') out = { ...reject('method', 'Use POST.'), status: 405 };
      else if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'))
        out = reject('content-type', 'The body must be application/x-www-form-urlencoded.');
      else if (req.body !== undefined && req.body !== null && typeof req.body === 'object')
        out = await safely(req.body as Record<string, unknown>);
      else {
        const text = await readBody(req, MAX_TOKEN + 64);
        out = text === null ? reject('malformed', 'The body is too large.') : await safely(text);
      }
      res.statusCode = out.status;
      for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
      res.end(out.body);
    },
  };
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
