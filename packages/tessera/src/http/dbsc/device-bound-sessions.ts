/**
 * The server side of Device Bound Session Credentials (W3C WebAppSec DBSC draft): the registration
 * and refresh endpoints, the registration offer at login, and the per-request check that a bound
 * session still carries its bound cookie. Framework-neutral: the session handler mounts it, the
 * adapters only map requests and responses.
 * @internal
 */
import { randomBytes } from 'node:crypto';
import { serialize } from 'cookie';
import type { RequestContext } from '../../engine/binding.ts';
import type { DbscFailureReason, SessionEvent } from '../../engine/events.ts';
import { emitEvent, patchRecord, revokeFamily } from '../../engine/internal.ts';
import type { Session } from '../../engine/session.ts';
import { recordOf, toSession } from '../../engine/session.ts';
import type { SessionManager } from '../../engine/session-manager.ts';
import type { DeviceBinding } from '../../store/types.ts';
import { DUPLICATE, sessionCookieValue } from '../cookie-header.ts';
import type { ResolvedCookie } from '../cookie-options.ts';
import type { ResponseSink } from '../request-session.ts';
import { boundCookieValue, readBoundCookie } from './bound-cookie.ts';
import {
  challengeHash,
  checkRegistrationChallenge,
  refreshChallenge,
  registrationChallenge,
} from './challenge.ts';
import type { ResolvedDeviceBound } from './options.ts';
import { verifyProof } from './proof.ts';
import { readSkipped, readStringItem, sfString } from './structured-headers.ts';

/** Clock skew and network latency allowed around the bound cookie's lifetime. */
const LEEWAY_MS = 30_000;

/** A complete response for one of Tessera's own endpoints; the adapter writes it as is. */
export interface EndpointResponse {
  status: number;
  headers: Record<string, string>;
  /** Set-Cookie values, each for a different cookie. */
  cookies: string[];
  body: string;
}

/** What the per-request check decided for a validated session. */
export type DeviceCheck =
  /** Not bound (or DBSC off): ordinary cookie session. */
  | { kind: 'unbound' }
  /** Bound, and the bound cookie is genuine and fresh; `issuedAt` is when the key was last proven. */
  | { kind: 'proven'; issuedAt: number }
  /** Bound moments ago; the bound cookie may not have arrived yet. Served, but not proven. */
  | { kind: 'grace' }
  /** The browser said it skipped the refresh (`Secure-Session-Skipped`): no session for this request, nobody logged out. */
  | { kind: 'skipped' }
  /** Treated as stolen: the family was revoked. */
  | { kind: 'revoked' }
  /** Treated as stolen under `onMissingProof: 'step-up'`: served flagged for step-up. */
  | { kind: 'step-up'; session: Session };

/** The request facts the endpoints need. */
export interface EndpointRequest {
  header(name: string): string | undefined;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

export class DeviceBoundSessions {
  readonly options: ResolvedDeviceBound;
  /** Name of the bound cookie (`<session cookie>-bound`). */
  readonly cookieName: string;
  readonly #manager: SessionManager;
  readonly #cookie: ResolvedCookie;
  readonly #registerPath: string;
  readonly #refreshPath: string;

  constructor(manager: SessionManager, cookie: ResolvedCookie, options: ResolvedDeviceBound) {
    this.#manager = manager;
    this.#cookie = cookie;
    this.options = options;
    this.cookieName = `${cookie.name}-bound`;
    this.#registerPath = `${options.path}/register`;
    this.#refreshPath = `${options.path}/refresh`;
  }

  /** Which endpoint a request URL (path and query) is for, if any. */
  endpointFor(url: string | undefined): 'register' | 'refresh' | null {
    if (url === undefined || !url.startsWith(this.options.path)) return null;
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    return path === this.#registerPath ? 'register' : path === this.#refreshPath ? 'refresh' : null;
  }

  /** True when the session must be device-bound under `required-for`. */
  requiresBinding(session: Session): boolean {
    return this.options.mode === 'required-for' && session.authLevel >= this.options.requiredAuthLevel;
  }

  /**
   * Offers registration (after login or step-up): `Secure-Session-Registration` with the allowed
   * algorithms, the registration path and a one-time challenge tied to this session.
   */
  offer(sink: ResponseSink, session: Session): void {
    const rec = recordOf(session);
    if (rec.userId === null || rec.deviceBinding) return;
    const challenge = registrationChallenge(
      rec.csrfSecret,
      this.#manager.now() + this.options.registrationLifetimeMs,
    );
    sink.setHeader(
      'Secure-Session-Registration',
      `(${this.options.algorithms.join(' ')});path=${sfString(this.#registerPath)};challenge=${sfString(challenge)}`,
    );
  }

  /** The Set-Cookie that expires the bound cookie (forces a DBSC browser to refresh). */
  expiredCookie(): string {
    return serialize(this.cookieName, '', { ...this.#attributes(), maxAge: 0, expires: new Date(0) });
  }

  /**
   * Checks a validated session on an ordinary request. A bound session must present a genuine,
   * unexpired bound cookie; otherwise it is treated as stolen — unless it was bound moments ago, or
   * the browser says it skipped the refresh.
   */
  check(
    session: Session,
    req: EndpointRequest & { cookie: string | string[] | undefined },
    ctx: RequestContext,
  ): DeviceCheck | Promise<DeviceCheck> {
    const binding = recordOf(session).deviceBinding;
    if (!binding) return { kind: 'unbound' };
    const now = this.#manager.now();
    const raw = sessionCookieValue(req.cookie, this.cookieName);
    const value = raw === DUPLICATE ? null : raw;
    const issuedAt = readBoundCookie(binding, value, now, this.options.cookieLifetimeMs, LEEWAY_MS);
    if (issuedAt !== null) return { kind: 'proven', issuedAt };
    if (now - binding.boundAt < this.options.registrationGraceMs && value === null) return { kind: 'grace' };
    const skipped = readSkipped(req.header('secure-session-skipped')).find((s) => s.sessionId === binding.id);
    if (skipped) {
      this.#emit('session.dbsc_skipped', session, ctx, { reason: skipped.reason.slice(0, 32) });
      return { kind: 'skipped' };
    }
    const reason: DbscFailureReason = value === null ? 'bound-cookie-missing' : 'bound-cookie-invalid';
    return this.#onMissingProof(session, ctx, reason);
  }

  async #onMissingProof(
    session: Session,
    ctx: RequestContext,
    reason: DbscFailureReason,
  ): Promise<DeviceCheck> {
    const action = this.options.onMissingProof;
    this.#emit('session.dbsc_proof_failed', session, ctx, { stage: 'request', reason, action });
    if (action === 'revoke') {
      await this.#manager[revokeFamily](session, 'binding', ctx);
      return { kind: 'revoked' };
    }
    if (session.userId === null || session.stepUpRequired) return { kind: 'step-up', session };
    const flagged = await this.#manager[patchRecord](session, (r) =>
      r.deviceBinding ? { stepUpRequired: true } : null,
    );
    // Lost to a concurrent write (or the binding is gone): this request is still held to step-up.
    return { kind: 'step-up', session: flagged ?? toSession({ ...recordOf(session), stepUpRequired: true }) };
  }

  /** Answers the registration or refresh endpoint for the request's session (null: none). */
  async serve(
    kind: 'register' | 'refresh',
    session: Session | null,
    req: EndpointRequest,
    ctx: RequestContext,
  ): Promise<EndpointResponse> {
    return kind === 'register' ? this.#register(session, req, ctx) : this.#refresh(session, req, ctx);
  }

  async #register(
    session: Session | null,
    req: EndpointRequest,
    ctx: RequestContext,
  ): Promise<EndpointResponse> {
    const fail = (reason: DbscFailureReason, status = 400): EndpointResponse => {
      this.#emit('session.dbsc_proof_failed', session, ctx, {
        stage: 'registration',
        reason,
        action: 'refuse',
      });
      return problem(status, reason);
    };
    if (!session?.authenticated) return fail('no-session', 401);
    if (recordOf(session).deviceBinding) return fail('already-bound');
    const token = readStringItem(req.header('secure-session-response'), 8192);
    if (token === null) return fail('malformed');
    const verified = await verifyProof(token, { kind: 'registration', algorithms: this.options.algorithms });
    if (!verified.ok) return fail(verified.reason);
    const now = this.#manager.now();
    const challengeProblem = checkRegistrationChallenge(
      recordOf(session).csrfSecret,
      verified.proof.jti,
      now,
    );
    if (challengeProblem !== null) return fail('challenge');
    const next = refreshChallenge();
    const binding: DeviceBinding = {
      id: randomBytes(16).toString('base64url'),
      alg: verified.proof.alg,
      jwk: verified.proof.jwk,
      boundAt: now,
      secret: randomBytes(32).toString('base64url'),
      challenge: challengeHash(next),
      challengeExpiresAt: now + this.options.cookieLifetimeMs + LEEWAY_MS,
    };
    // The same csrfSecret means the same login; a record bound meanwhile (a replayed registration) loses.
    const secret = recordOf(session).csrfSecret;
    const bound = await this.#manager[patchRecord](session, (r) =>
      r.deviceBinding || r.csrfSecret !== secret ? null : { deviceBinding: binding },
    );
    if (!bound) return fail('already-bound');
    this.#emit('session.dbsc_registered', bound, ctx, { alg: binding.alg });
    return this.#instructions(binding, now, next);
  }

  async #refresh(
    session: Session | null,
    req: EndpointRequest,
    ctx: RequestContext,
  ): Promise<EndpointResponse> {
    const id = readStringItem(req.header('sec-secure-session-id'), 256);
    if (id === null) return problem(400, 'malformed');
    const fail = (reason: DbscFailureReason): void =>
      this.#emit('session.dbsc_proof_failed', session, ctx, { stage: 'refresh', reason, action: 'refuse' });
    // The Tessera session is over (or never was): tell the browser to end its DBSC session too.
    if (!session) return end();
    const binding = recordOf(session).deviceBinding;
    if (!binding) return end();
    if (binding.id !== id) {
      fail('wrong-session');
      return end();
    }
    const token = readStringItem(req.header('secure-session-response'), 8192);
    if (token === null) return this.#challenge(session, binding);
    const verified = await verifyProof(token, { kind: 'refresh', alg: binding.alg, jwk: binding.jwk });
    if (!verified.ok) {
      fail(verified.reason);
      if (verified.reason === 'challenge') return this.#challenge(session, binding);
      return problem(400, verified.reason);
    }
    const now = this.#manager.now();
    const presented = challengeHash(verified.proof.jti);
    const next = refreshChallenge();
    // Consuming the challenge is a compare-and-set: a proof replayed, even concurrently, finds it gone.
    const updated = await this.#manager[patchRecord](session, (r) => {
      const b = r.deviceBinding;
      if (!b || b.id !== binding.id || b.challenge !== presented || now >= b.challengeExpiresAt) return null;
      return {
        deviceBinding: {
          ...b,
          challenge: challengeHash(next),
          challengeExpiresAt: now + this.options.cookieLifetimeMs + LEEWAY_MS,
        },
      };
    });
    if (!updated) {
      fail('challenge');
      return this.#challenge(session, binding);
    }
    this.#emit('session.dbsc_refreshed', updated, ctx, {});
    return this.#instructions(binding, now, next);
  }

  /** 403 with a fresh single-use challenge, as the refresh protocol asks. */
  async #challenge(session: Session, binding: DeviceBinding): Promise<EndpointResponse> {
    const challenge = refreshChallenge();
    const now = this.#manager.now();
    const ok = await this.#manager[patchRecord](session, (r) =>
      r.deviceBinding?.id === binding.id
        ? {
            deviceBinding: {
              ...r.deviceBinding,
              challenge: challengeHash(challenge),
              challengeExpiresAt: now + this.options.challengeLifetimeMs,
            },
          }
        : null,
    );
    if (!ok) return end();
    return {
      status: 403,
      headers: {
        ...JSON_HEADERS,
        'secure-session-challenge': `${sfString(challenge)};id=${sfString(binding.id)}`,
      },
      cookies: [],
      body: '',
    };
  }

  /** 200 with the session instructions, a fresh bound cookie and the challenge for the next refresh. */
  #instructions(binding: DeviceBinding, now: number, nextChallenge: string): EndpointResponse {
    const attributes = this.#attributes();
    const credentialAttributes = [
      'Path=/',
      ...(attributes.secure ? ['Secure'] : []),
      'HttpOnly',
      `SameSite=${attributes.sameSite === 'strict' ? 'Strict' : 'Lax'}`,
    ].join('; ');
    const body = {
      session_identifier: binding.id,
      refresh_url: this.#refreshPath,
      scope: { include_site: false },
      credentials: [{ type: 'cookie', name: this.cookieName, attributes: credentialAttributes }],
    };
    return {
      status: 200,
      headers: {
        ...JSON_HEADERS,
        'secure-session-challenge': `${sfString(nextChallenge)};id=${sfString(binding.id)}`,
      },
      cookies: [
        serialize(this.cookieName, boundCookieValue(binding, now), {
          ...attributes,
          maxAge: Math.floor(this.options.cookieLifetimeMs / 1000),
        }),
      ],
      body: JSON.stringify(body),
    };
  }

  #attributes() {
    return {
      httpOnly: true,
      secure: this.#cookie.secure,
      path: '/',
      sameSite: this.#cookie.sameSite,
    } as const;
  }

  #emit<T extends SessionEvent['type']>(
    type: T,
    session: Session | null,
    ctx: RequestContext,
    extra: Omit<Extract<SessionEvent, { type: T }>, 'type' | 'at' | 'sessionId' | 'userId' | 'ip'>,
  ): void {
    emitEvent(this.#manager, {
      type,
      at: this.#manager.now(),
      sessionId: session?.id ?? null,
      userId: session?.userId ?? null,
      ip: ctx.ip ?? null,
      userAgent: ctx.userAgent ?? null,
      ...extra,
    } as SessionEvent);
  }
}

/** `{"continue": false}`: the browser ends its DBSC session (the Tessera session is gone or unbound). */
function end(): EndpointResponse {
  return { status: 200, headers: { ...JSON_HEADERS }, cookies: [], body: '{"continue":false}' };
}

function problem(status: number, reason: string): EndpointResponse {
  return {
    status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
    cookies: [],
    body: JSON.stringify({
      type: 'https://tessera.dev/problems/device-binding-refused',
      title: 'Device binding refused',
      status,
      detail: `The device-bound session request was refused (${reason}).`,
      code: 'DEVICE_BINDING_REFUSED',
    }),
  };
}
