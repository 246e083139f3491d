import { generateToken, isWellFormedToken, sessionIdFromToken } from '../crypto/token.ts';
import {
  ConfigError,
  InvalidArgumentError,
  ReauthRequiredError,
  SessionConflictError,
  SessionDataInvalidError,
  SessionRevokedError,
  StoreUnavailableError,
  TesseraError,
} from '../errors.ts';
import type {
  EndReason,
  FederatedIdentity,
  SessionRecord,
  Store,
  Tombstone,
  TombstoneTemplate,
} from '../store/types.ts';
import { tombstoneFromTemplate } from '../store/types.ts';
import type { RequestContext } from './binding.ts';
import { describeClient, ipPrefixChanged, userAgentChanged } from './binding.ts';
import { ClientLimits } from './client-limits.ts';
import { CsrfTokens } from './csrf-tokens.ts';
import type { ReuseHolder, RevokeActor, SessionEvent } from './events.ts';
import { deliver, SessionEvents } from './events.ts';
import { type EventFields, patchRecord, revokeFamily, validateNow } from './internal.ts';
import type { ResolvedOptions, SessionManagerOptions } from './options.ts';
import { resolveOptions } from './options.ts';
import type { Session } from './session.ts';
import { recordOf, toSession } from './session.ts';
import { SessionData } from './session-data.ts';
import { enforceSessionLimit, type SessionLimitDeps } from './session-limit.ts';
import { type SweeperOptions, startSweeper } from './sweeper.ts';

/** A session together with the token to send to the client. The token is shown once; only its hash is stored. */
export interface IssuedSession {
  session: Session;
  token: string;
}

/** Why a token did not yield a session. */
export type NoSessionReason =
  | 'missing'
  | 'malformed'
  | 'unknown'
  | 'expired'
  | 'revoked'
  | 'reuse'
  | 'binding'
  /** The session's data was sealed with a key no longer in the key ring: the session was ended. */
  | 'unreadable';

/**
 * The outcome of {@link SessionManager.validate}: a session (and, when it was renewed, the new
 * token to set on the response), or why there is none. A session that expired says which deadline
 * passed (`null` when the token's session had already been ended as expired by an earlier request)
 * and whether a user was logged in on it, so the caller can say "your session expired" rather than
 * "please log in"; `noSessionError(result)` turns any failure into the error to throw.
 */
export type ValidateResult =
  | {
      ok: true;
      session: Session;
      /** A new token when the session was renewed; set it on the response. */
      token: string | null;
    }
  | {
      ok: false;
      reason: 'expired';
      /** Which deadline passed; null when an earlier request had already ended the session. */
      deadline: 'idle' | 'absolute' | null;
      /** A user was logged in on the expired session. */
      authenticated: boolean;
    }
  | { ok: false; reason: Exclude<NoSessionReason, 'expired'> };

/** Options of {@link SessionManager.login}. */
export interface LoginOptions {
  /** Assurance level of this authentication (1 = password, 2 = MFA, …). Default 1. */
  authLevel?: number;
  /** Opt into a longer, lower-trust session. Default false. */
  rememberMe?: boolean;
  /** Carry the anonymous session's data (a cart) into the new session. Default true. */
  carryData?: boolean;
  /**
   * For logins through an OpenID Connect provider: the ID token's `iss`, `sub` and `sid`. Recorded
   * with the session (and indexed by the store) so the provider's back-channel logout can end it.
   */
  federated?: { iss: string; sub: string; sid?: string | null };
}

const MAX_CAS_ATTEMPTS = 8;

/**
 * A store failure as the engine reports it: Tessera errors pass (the stores map their own, a
 * duplicate id included), anything else is STORE_UNAVAILABLE with the original as `cause`.
 */
function storeFailure(operation: string, err: unknown): TesseraError {
  return err instanceof TesseraError ? err : new StoreUnavailableError(operation, { cause: err });
}

/**
 * The session engine: issues, validates, rotates and ends sessions with safe defaults. It knows
 * nothing of HTTP; adapters call it with the cookie's token and a {@link RequestContext}.
 */
export class SessionManager {
  /** Lifecycle events (no tokens, no data). */
  readonly events: SessionEvents;
  readonly #o: ResolvedOptions;
  readonly #store: Store;
  readonly #limits: ClientLimits;
  readonly #csrf: CsrfTokens;
  readonly #data: SessionData;
  readonly #sessionLimit: SessionLimitDeps;

  constructor(options: SessionManagerOptions) {
    this.#o = resolveOptions(options);
    this.#store = this.#o.store;
    this.events = new SessionEvents((err) =>
      this.#o.logger.warn(
        `tessera: an event listener threw: ${err instanceof Error ? err.message : String(err)}`,
      ),
    );
    const publish = this.#emit.bind(this);
    this.#limits = new ClientLimits(this.#o, publish);
    this.#csrf = new CsrfTokens(this.#o.keys);
    this.#data = new SessionData(this.#o.keys, this.#o.maxDataBytes);
    this.#sessionLimit = {
      max: this.#o.maxSessionsPerUser,
      policy: this.#o.onSessionLimit,
      list: async (userId) => (await this.listForUser(userId)).map(recordOf),
      evict: async (r) => {
        await this.#guard('delete', this.#store.delete(r.id, this.#tomb(r, 'evicted', null)));
      },
      publish,
    };
  }

  /** The resolved policy values, in milliseconds (read-only). */
  get policy(): Readonly<Omit<ResolvedOptions, 'store' | 'keys' | 'clock' | 'logger' | 'rateLimiters'>> {
    const { store: _s, keys: _k, clock: _c, logger: _l, rateLimiters: _r, ...rest } = this.#o;
    return rest;
  }

  /** The current time from the manager's clock (milliseconds). */
  now(): number {
    return this.#o.clock.now();
  }

  /**
   * Starts a new anonymous session. Call it lazily, when something must be stored. Rate-limited
   * per client address ({@link RateLimitedError}).
   */
  async create(ctx: RequestContext = {}, data?: unknown): Promise<IssuedSession> {
    await this.#limits.create(ctx);
    const now = this.#now();
    const token = generateToken();
    const id = sessionIdFromToken(token);
    const client = describeClient(ctx, this.#o.v4Bits, this.#o.v6Bits);
    const record: SessionRecord = {
      id,
      userId: null,
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: now + this.#o.idleMs, // options guarantee idle <= absolute
      absoluteExpiresAt: now + this.#o.absoluteMs,
      authenticatedAt: null,
      authLevel: 0,
      rotatedAt: now,
      family: id,
      rememberMe: false,
      stepUpRequired: false,
      ...client,
      data: data === undefined ? null : this.#data.seal(data, id),
      csrfSecret: this.#csrf.newSecret(),
      version: 1,
      tokenSeenAt: now,
    };
    await this.#guard('create', this.#store.create(record));
    this.#emit('session.created', record, ctx, { anonymous: true });
    return { session: toSession(record), token };
  }

  /**
   * Checks a token from a request. Malformed, unknown, expired and revoked tokens are "no
   * session" (never an exception; an expired one says which deadline passed and whether a user was
   * logged in, see {@link ValidateResult} and `noSessionError`); a rotated-away token replayed
   * after the grace window revokes the whole rotation family. Extends the idle deadline
   * (throttled) and renews the token periodically. Throws only {@link StoreUnavailableError}
   * (fail closed).
   */
  async validate(token: string | null | undefined, ctx: RequestContext = {}): Promise<ValidateResult> {
    return this[validateNow](token, ctx);
  }

  /** @internal `validate`, answered synchronously when the store can and nothing needs writing. */
  [validateNow](
    token: string | null | undefined,
    ctx: RequestContext = {},
  ): ValidateResult | Promise<ValidateResult> {
    if (token === undefined || token === null || token === '') return { ok: false, reason: 'missing' };
    if (!isWellFormedToken(token)) {
      this.#emit('session.invalid_token', null, ctx, { reason: 'malformed' });
      return { ok: false, reason: 'malformed' };
    }
    const id = sessionIdFromToken(token);
    const store = this.#store;
    let record: SessionRecord | null | undefined;
    try {
      if (store.getSync !== undefined) record = store.getSync(id);
      else if (store.peekSync !== undefined) record = store.peekSync(id);
    } catch (err) {
      return Promise.reject(storeFailure('get', err));
    }
    if (record === undefined)
      return store.get(id).then(
        (found) => this.#validated(id, found, ctx),
        (err: unknown) => {
          throw storeFailure('get', err);
        },
      );
    return this.#validated(id, record, ctx);
  }

  #validated(
    id: string,
    record: SessionRecord | null,
    ctx: RequestContext,
  ): ValidateResult | Promise<ValidateResult> {
    if (!record) return this.#resolveMissing(id, ctx);
    if (record.data !== null && !this.#data.keyKnown(record.data)) return this.#endUnreadable(record, ctx);
    // The common case — live, bound to this client, nothing to write — stays synchronous.
    if (this.#quiet(record, ctx)) return { ok: true, session: toSession(record), token: null };
    return this.#check(record, ctx, 'own');
  }

  /**
   * Counts a login attempt for `account` from this client, before the password is checked: throws
   * {@link RateLimitedError} (RATE_LIMITED, with the time to wait) when the client address or the
   * account has used up its attempts. A {@link login} with the same `ctx` object is not counted again.
   */
  async loginAttempt(account: string, ctx: RequestContext = {}): Promise<void> {
    await this.#limits.loginAttempt(account, ctx);
  }

  /**
   * Logs a user in: always a new token (fixation defence). The old session, if any, is replaced and
   * tombstoned; its data is carried over unless `carryData` is false. Enforces the per-user limit.
   */
  async login(
    current: Session | null,
    userId: string,
    options: LoginOptions = {},
    ctx: RequestContext = {},
  ): Promise<IssuedSession> {
    if (typeof userId !== 'string' || userId.length === 0 || userId.length > 256) {
      throw new InvalidArgumentError('userId', 'must be a non-empty string of at most 256 characters.');
    }
    const authLevel = options.authLevel ?? 1;
    const rememberMe = options.rememberMe ?? false;
    const federated = federatedIdentity(options.federated);
    await this.#limits.login(userId, ctx);
    await enforceSessionLimit(this.#sessionLimit, userId, ctx);
    const now = this.#now();
    const prev = current ? recordOf(current) : null;
    // Data is carried over only from an anonymous session or the same user's: logging in as B on
    // a browser still signed in as A must not hand B what A stored.
    const carry =
      prev !== null && options.carryData !== false && (prev.userId === null || prev.userId === userId);
    // Data that no longer opens (its key left the ring) is not carried: the login starts clean.
    const dataOf = (r: SessionRecord) => (carry ? this.#data.openOrNothing(r) : undefined);
    const absolute = now + (rememberMe ? this.#o.rememberAbsoluteMs : this.#o.absoluteMs);
    const idle = Math.min(now + (rememberMe ? this.#o.rememberIdleMs : this.#o.idleMs), absolute);
    const client = describeClient(ctx, this.#o.v4Bits, this.#o.v6Bits);
    const build = (id: string, family: string, version: number, data: unknown): SessionRecord => ({
      id,
      userId,
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: idle,
      absoluteExpiresAt: absolute,
      authenticatedAt: now,
      authLevel,
      rotatedAt: now,
      family,
      rememberMe,
      stepUpRequired: false,
      binding: client.binding,
      device: { ...client.device, firstIp: prev?.device.firstIp ?? client.device.firstIp },
      data: data === undefined ? null : this.#data.seal(data, id),
      csrfSecret: this.#csrf.newSecret(),
      version,
      ...(federated ? { federated } : {}),
      tokenSeenAt: now,
    });
    const token = generateToken();
    const id = sessionIdFromToken(token);
    let next: SessionRecord;
    if (prev) {
      // Same person (anonymous → user, or the same user again): the rotation family goes on, so a
      // replayed pre-login token is detected as reuse. A different user starts a family of their own.
      const sameParty = prev.userId === null || prev.userId === userId;
      const family = sameParty ? prev.family : id;
      let cur: SessionRecord | null = prev;
      let rotated: SessionRecord | null = null;
      for (let attempt = 0; cur && attempt < MAX_CAS_ATTEMPTS && !rotated; attempt++) {
        // A concurrent write (a cart update racing the login) moved the version: rotate the fresh record.
        const candidate = build(id, family, cur.version + 1, dataOf(cur));
        const ok = await this.#guard(
          'rotate',
          this.#store.rotate(cur.id, cur.version, candidate, this.#tomb(cur, 'rotated-login', id)),
        );
        if (ok) rotated = candidate;
        else cur = await this.#guard('get', this.#store.get(prev.id));
      }
      if (rotated) next = rotated;
      else {
        // The old session was rotated or ended concurrently (or kept changing): whatever is left of its
        // chain ends now — login always ends the previous session — and the new one continues the family.
        await this.#guard(
          'deleteFamily',
          this.#store.deleteFamily(prev.family, this.#tombTemplate('rotated-login')),
        );
        next = build(id, family, 1, cur ? dataOf(cur) : undefined);
        await this.#guard('create', this.#store.create(next));
      }
    } else {
      next = build(id, id, 1, undefined);
      await this.#guard('create', this.#store.create(next));
    }
    await enforceSessionLimit(this.#sessionLimit, userId, ctx, next);
    this.#emit('session.authenticated', next, ctx, {
      authLevel,
      rememberMe,
      previousSessionId: prev?.id ?? null,
    });
    return { session: toSession(next), token };
  }

  /**
   * Rotates the token after a privilege change (role granted, MFA done). Optionally sets a new
   * `authLevel`. The old token stops working at once (no grace window for privilege changes).
   */
  async rotate(
    session: Session,
    options: { authLevel?: number } = {},
    ctx: RequestContext = {},
  ): Promise<IssuedSession> {
    return this.#rotate(recordOf(session), 'privilege', ctx, (r) => ({
      authLevel: options.authLevel ?? r.authLevel,
    }));
  }

  /**
   * Step-up: the user proved their identity again (password re-entered, MFA). Refreshes
   * `authenticatedAt`, clears a binding step-up flag, re-binds to the current client and rotates.
   */
  async reauthenticate(
    session: Session,
    options: { authLevel?: number } = {},
    ctx: RequestContext = {},
  ): Promise<IssuedSession> {
    const rec = recordOf(session);
    if (rec.userId === null) throw new ReauthRequiredError(this.#o.stepUpMs);
    const client = describeClient(ctx, this.#o.v4Bits, this.#o.v6Bits);
    const issued = await this.#rotate(rec, 'privilege', ctx, (r) => ({
      authenticatedAt: this.#now(),
      authLevel: Math.max(options.authLevel ?? r.authLevel, r.authLevel),
      stepUpRequired: false,
      binding: ctx.userAgent !== undefined || ctx.ip !== undefined ? client.binding : r.binding,
    }));
    this.#emit('session.step_up', recordOf(issued.session), ctx, {
      phase: 'completed',
      cause: 'reauthenticate',
    });
    return issued;
  }

  /**
   * Throws {@link ReauthRequiredError} unless the session authenticated within `maxAge`
   * (default: the `stepUpMaxAge` policy) and no binding policy asked for a step-up.
   */
  requireFresh(session: Session, maxAge?: number): void {
    const limit = maxAge ?? this.#o.stepUpMs;
    if (
      session.authenticatedAt === null ||
      session.stepUpRequired ||
      this.#now() - session.authenticatedAt > limit
    ) {
      throw new ReauthRequiredError(limit);
    }
  }

  /** The session's data (decrypted), or undefined when it holds none. */
  readData<T = unknown>(session: Session): T | undefined {
    return this.#data.open(recordOf(session)) as T | undefined;
  }

  /**
   * Changes the session's data with compare-and-set: `change` gets the current data and returns the
   * new data (or undefined to clear it); on a concurrent write it is called again with the fresh
   * data, so concurrent requests never lose each other's writes. Never resurrects a logged-out session.
   */
  async updateData<T>(
    session: Session,
    change: (current: T | undefined) => T | undefined,
    ctx: RequestContext = {},
  ): Promise<Session> {
    let rec: SessionRecord | null = recordOf(session);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      if (!rec) throw new SessionRevokedError('The session ended before its data could be saved.');
      const value = change(this.#data.open(rec) as T | undefined);
      const next: SessionRecord = {
        ...rec,
        data: value === undefined ? null : this.#data.seal(value, rec.id),
        version: rec.version + 1,
      };
      if (await this.#guard('update', this.#store.update(next, rec.version))) return toSession(next);
      rec = await this.#current(rec.id, ctx.receivedAt);
    }
    throw new SessionConflictError(MAX_CAS_ATTEMPTS);
  }

  /** Replaces the session's data (compare-and-set; see {@link updateData}). */
  async setData(session: Session, data: unknown): Promise<Session> {
    return this.updateData(session, () => data);
  }

  /** Ends the session: the record is deleted and tombstoned, so its token never works again. */
  async logout(session: Session, ctx: RequestContext = {}): Promise<void> {
    const rec = recordOf(session);
    await this.#guard('delete', this.#store.delete(rec.id, this.#tomb(rec, 'logout', null)));
    this.#emit('session.revoked', rec, ctx, { reason: 'logout', actor: 'user' });
  }

  /**
   * Revokes one session by its public id: admin termination, or a user ending one of their own
   * devices — then pass `userId`, and a session of anyone else is left alone (returns false).
   * Returns false if nothing was revoked. `actor` (default: `user` when `userId` is given, else
   * `admin`) and `actorId` go into the `session.revoked` event; an admin's revocation also emits
   * `session.admin_action`.
   */
  async revoke(
    sessionId: string,
    options: { reason?: EndReason; userId?: string; actor?: RevokeActor; actorId?: string } = {},
  ): Promise<boolean> {
    const reason = options.reason ?? 'revoked';
    const rec = await this.#guard('get', this.#store.get(sessionId));
    if (!rec) return false;
    if (options.userId !== undefined && rec.userId !== options.userId) return false;
    const done = await this.#guard('delete', this.#store.delete(rec.id, this.#tomb(rec, reason, null)));
    const actor = options.actor ?? (options.userId !== undefined ? 'user' : 'admin');
    const actorId = options.actorId ?? null;
    if (done) this.#emit('session.revoked', rec, {}, { reason, actor, actorId });
    if (done && actor === 'admin')
      this.#emit(
        'session.admin_action',
        rec,
        {},
        { action: 'revoke', actorId, targetUserId: rec.userId, count: 1 },
      );
    return done;
  }

  /**
   * Asks a session to re-authenticate before its next sensitive action (what the binding policy
   * `step-up` does, on demand: a detection rule, an administrator). Returns false when the session
   * is gone, anonymous, or already flagged.
   */
  async requireStepUp(
    sessionId: string,
    options: { actor?: RevokeActor; actorId?: string } = {},
  ): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const rec = await this.#guard('get', this.#store.get(sessionId));
      if (!rec || rec.userId === null || rec.stepUpRequired) return false;
      const next = { ...rec, stepUpRequired: true, version: rec.version + 1 };
      if (!(await this.#guard('update', this.#store.update(next, rec.version)))) continue;
      this.#emit('session.step_up', rec, {}, { phase: 'required', cause: 'detection' });
      if (options.actor === 'admin')
        this.#emit(
          'session.admin_action',
          rec,
          {},
          {
            action: 'require-step-up',
            actorId: options.actorId ?? null,
            targetUserId: rec.userId,
            count: 1,
          },
        );
      return true;
    }
    throw new SessionConflictError(MAX_CAS_ATTEMPTS);
  }

  /**
   * Ends an anonymous session that never authenticated, for a cap on anonymous sessions (a
   * session flood). Its tombstone lasts only the reuse grace window, so evicting a flood leaves
   * nothing behind (such a session has no rights a replay could regain). A session that logged
   * in meanwhile is left alone. Returns true when it was evicted.
   */
  async evictAnonymous(sessionId: string): Promise<boolean> {
    const rec = await this.#guard('get', this.#store.get(sessionId));
    if (!rec || rec.userId !== null) return false;
    const tomb = { ...this.#tomb(rec, 'evicted', null), expiresAt: this.#now() + this.#o.graceMs };
    const done = await this.#guard('delete', this.#store.delete(rec.id, tomb));
    if (done) this.#emit('session.revoked', rec, {}, { reason: 'evicted', actor: 'system' });
    return done;
  }

  /**
   * Revokes every session of a user (password change, role change, "sign out everywhere"),
   * optionally keeping one (the current). Returns how many were revoked.
   */
  async revokeAllForUser(
    userId: string,
    options: { exceptSessionId?: string; actor?: RevokeActor; actorId?: string } = {},
  ): Promise<number> {
    const ids = await this.#guard(
      'deleteByUser',
      this.#store.deleteByUser(userId, this.#tombTemplate('revoked-all'), options.exceptSessionId),
    );
    const actor = options.actor ?? 'user';
    const actorId = options.actorId ?? null;
    for (const id of ids)
      this.#emit('session.revoked', { id, userId }, {}, { reason: 'revoked-all', actor, actorId });
    if (actor === 'admin')
      this.#emit(
        'session.admin_action',
        { id: null, userId },
        {},
        {
          action: 'revoke-all',
          actorId,
          targetUserId: userId,
          count: ids.length,
        },
      );
    return ids.length;
  }

  /**
   * Ends every session an identity provider's logout names: those recorded at login (the
   * `federated` login option) with this issuer and the provider's session id `sid`, or — with only
   * `sub` — every session of that subject at that issuer. With both, a session must match both.
   * Returns how many were revoked. Needs a store with `listByFederated` (CONFIG_INVALID otherwise).
   */
  async revokeFederated(issuer: string, match: { sid?: string; sub?: string }): Promise<number> {
    const store = this.#store;
    if (typeof store.listByFederated !== 'function')
      throw new ConfigError('store', 'does not implement listByFederated, which federated logout needs.');
    const { sid, sub } = match;
    if (sid === undefined && sub === undefined) return 0;
    const rows = await this.#guard(
      'listByFederated',
      store.listByFederated(issuer, sid !== undefined ? { sid } : { sub: sub as string }),
    );
    let revoked = 0;
    for (const r of rows) {
      const f = r.federated;
      if (
        !f ||
        f.iss !== issuer ||
        (sid !== undefined && f.sid !== sid) ||
        (sub !== undefined && f.sub !== sub)
      )
        continue;
      if (await this.#guard('delete', store.delete(r.id, this.#tomb(r, 'revoked', null)))) {
        revoked++;
        this.#emit('session.revoked', r, {}, { reason: 'revoked' });
      }
    }
    return revoked;
  }

  /** The user's live sessions, newest activity first, with device facts for a "your devices" page. */
  async listForUser(userId: string): Promise<Session[]> {
    const now = this.#now();
    const rows = await this.#guard('listByUser', this.#store.listByUser(userId));
    return rows
      .filter((r) => r.idleExpiresAt > now && r.absoluteExpiresAt > now)
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt)
      .map(toSession);
  }

  /** A CSRF token for forms and headers: a fresh random salt and its HMAC under the session's CSRF key. */
  csrfToken(session: Session): string {
    return this.#csrf.token(recordOf(session).csrfSecret);
  }

  /** True when `token` was made by {@link csrfToken} for this session (constant-time comparison). */
  verifyCsrfToken(session: Session, token: unknown): boolean {
    return this.#csrf.verify(recordOf(session).csrfSecret, token);
  }

  /** Removes up to `limit` expired sessions and tombstones from the store; returns how many. */
  async sweep(limit = 1000): Promise<number> {
    return this.#guard('sweep', this.#store.sweep(this.#now(), limit));
  }

  /**
   * Sweeps expired sessions in the background: every `every` (default `'5m'`), batches of `batch`
   * (default 500) until a batch comes back short, so one sweep never holds the store for long.
   * The timer does not keep the process alive; a failed sweep is logged and retried next time.
   * Returns a function that stops it. Stores with their own expiry (Redis TTLs) do not need this.
   */
  startSweeper(options: SweeperOptions = {}): () => void {
    return startSweeper((batch) => this.sweep(batch), this.#o.logger, options);
  }

  /** @internal See {@link patchRecord}. */
  async [patchRecord](
    session: Session,
    change: (current: SessionRecord) => Partial<SessionRecord> | null,
  ): Promise<Session | null> {
    let rec = await this.#current(recordOf(session).id);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS && rec; attempt++) {
      const patch = change(rec);
      if (patch === null) return null;
      const next: SessionRecord = { ...rec, ...patch, id: rec.id, version: rec.version + 1 };
      if (await this.#guard('update', this.#store.update(next, rec.version))) return toSession(next);
      rec = await this.#current(rec.id);
    }
    if (rec) throw new SessionConflictError(MAX_CAS_ATTEMPTS);
    return null;
  }

  /** @internal See {@link revokeFamily}. Returns how many sessions ended. */
  async [revokeFamily](session: Session, reason: EndReason, ctx: RequestContext = {}): Promise<number> {
    const rec = recordOf(session);
    const ids = await this.#guard(
      'deleteFamily',
      this.#store.deleteFamily(rec.family, this.#tombTemplate(reason)),
    );
    for (const id of ids) this.#emit('session.revoked', { id, userId: rec.userId }, ctx, { reason });
    return ids.length;
  }

  // ---------------------------------------------------------------- internals

  #now(): number {
    return this.#o.clock.now();
  }

  async #guard<T>(operation: string, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (err) {
      throw storeFailure(operation, err);
    }
  }

  #emit<T extends SessionEvent['type']>(
    type: T,
    rec: { id: string | null; userId: string | null } | null,
    ctx: RequestContext,
    extra: EventFields<T>,
  ): void {
    if (!this.events.active) return;
    deliver(this.events, {
      type,
      at: this.#now(),
      sessionId: rec?.id ?? null,
      userId: rec?.userId ?? null,
      ip: ctx.ip ?? null,
      userAgent: ctx.userAgent ?? null,
      ...extra,
    } as unknown as SessionEvent);
  }

  /** Ends a session whose data cannot be opened any more: "no session", never an error on every request. */
  async #endUnreadable(rec: SessionRecord, ctx: RequestContext): Promise<ValidateResult> {
    await this.#guard('delete', this.#store.delete(rec.id, this.#tomb(rec, 'unreadable', null)));
    this.#emit('session.revoked', rec, ctx, { reason: 'unreadable' });
    return { ok: false, reason: 'unreadable' };
  }

  #tomb(rec: SessionRecord, reason: EndReason, successorId: string | null): Tombstone {
    return {
      ...tombstoneFromTemplate(rec, this.#tombTemplate(reason)),
      successorId,
      tokenSeenAt: rec.tokenSeenAt === undefined ? rec.rotatedAt : rec.tokenSeenAt,
    };
  }

  /** Tombstones as data, so a store applies them inside its own atomic step (bulk deletes). */
  #tombTemplate(reason: EndReason): TombstoneTemplate {
    const now = this.#now();
    // Long enough to recognise a replay for as long as the token could have been valid.
    return { reason, createdAt: now, keepUntil: now + this.#o.graceMs, extendMs: this.#o.renewalMs };
  }

  async #resolveMissing(id: string, ctx: RequestContext): Promise<ValidateResult> {
    const tomb = await this.#guard('getTombstone', this.#store.getTombstone(id));
    if (!tomb) {
      this.#emit('session.invalid_token', null, ctx, { reason: 'unknown' });
      return { ok: false, reason: 'unknown' };
    }
    const arrived = ctx.receivedAt ?? this.#now();
    if (tomb.reason === 'rotated-renewal') {
      // A token renewed away keeps working until its successor's token has been presented (the
      // renewing response may be slow, lost or aborted); from then on only within the grace window,
      // for requests already in flight; after that it is a replay.
      const chain = await this.#followRenewals(tomb);
      if (chain.live && chain.seenAt === null) return this.#check(chain.live, ctx, 'successor');
      if (chain.live && chain.seenAt !== null && arrived - chain.seenAt <= this.#o.graceMs)
        return this.#check(chain.live, ctx, 'read');
      if (chain.live) return this.#reuse(tomb, ctx);
      // The session ended after the successor was used: a replay all the same (one alarm — the
      // family's tombstones then say `reuse`), unless it is a request in flight or the end was the alarm.
      if (chain.seenAt !== null && arrived - chain.seenAt > this.#o.graceMs && chain.end?.reason !== 'reuse')
        return this.#reuse(tomb, ctx);
      return this.#ended(chain.end ?? tomb, ctx);
    }
    if (tomb.reason === 'rotated-login' || tomb.reason === 'rotated-privilege') {
      // No grace for login and privilege rotations: the old token must never gain the new rights.
      // Within the grace window it is a request that was in flight (reported, not an alarm).
      if (arrived - tomb.createdAt <= this.#o.graceMs) {
        this.#emit('session.invalid_token', { id: tomb.id, userId: tomb.userId }, ctx, { reason: 'retired' });
        return { ok: false, reason: 'revoked' };
      }
      return this.#reuse(tomb, ctx);
    }
    return this.#ended(tomb, ctx);
  }

  /** "No session" for a token whose session ended (logout, revocation, expiry, an earlier reuse alarm). */
  #ended(tomb: Tombstone, ctx: RequestContext): ValidateResult {
    this.#emit('session.invalid_token', { id: tomb.id, userId: tomb.userId }, ctx, { reason: 'revoked' });
    if (tomb.reason === 'expired')
      return { ok: false, reason: 'expired', deadline: null, authenticated: tomb.userId !== null };
    return { ok: false, reason: tomb.reason === 'reuse' ? 'reuse' : 'revoked' };
  }

  /**
   * A retired token replayed after its successor was used: revokes the rotation family (cost: its
   * size) and re-marks the replayed token's tombstone as `reuse`, so replaying it again is one read
   * and raises no second alarm.
   */
  async #reuse(tomb: Tombstone, ctx: RequestContext): Promise<ValidateResult> {
    const holders = this.events.active ? await this.#liveSuccessor(tomb) : [];
    const revoked = await this.#guard(
      'deleteFamily',
      this.#store.deleteFamily(tomb.family, this.#tombTemplate('reuse')),
    );
    await this.#guard(
      'delete',
      this.#store.delete(tomb.id, { ...tomb, reason: 'reuse', successorId: null, createdAt: this.#now() }),
    );
    this.#emit('session.reuse', { id: tomb.id, userId: tomb.userId }, ctx, {
      family: tomb.family,
      revoked: revoked.length,
      holders,
    });
    return { ok: false, reason: 'reuse' };
  }

  /**
   * Follows a chain of periodic renewals from a renewed-away token to the live record. `seenAt` is
   * when the first successor whose token the client presented was first presented (null: none was);
   * `end` is the tombstone where the chain stopped, when no record is live.
   */
  async #followRenewals(
    tomb: Tombstone,
  ): Promise<{ live: SessionRecord | null; seenAt: number | null; end: Tombstone | null }> {
    let seenAt: number | null = null;
    let at = tomb;
    for (let hop = 0; hop < 8 && at.reason === 'rotated-renewal' && at.successorId; hop++) {
      const next = at.successorId;
      const rec = await this.#guard('get', this.#store.get(next));
      if (rec) {
        if (seenAt === null && rec.tokenSeenAt !== null) seenAt = rec.tokenSeenAt ?? at.createdAt;
        return { live: rec, seenAt, end: null };
      }
      const t = await this.#guard('getTombstone', this.#store.getTombstone(next));
      if (!t) return { live: null, seenAt, end: null };
      if (seenAt === null && t.tokenSeenAt !== null) seenAt = t.tokenSeenAt ?? at.createdAt;
      at = t;
    }
    return { live: null, seenAt, end: at };
  }

  /** The live session a rotated-away token leads to (the other party of a reuse), for the event only. */
  async #liveSuccessor(tomb: Tombstone): Promise<ReuseHolder[]> {
    let at = tomb.successorId;
    for (let hop = 0; at && hop < 8; hop++) {
      const rec = await this.#guard('get', this.#store.get(at));
      if (rec) {
        const agent = [rec.device.browser, rec.device.os].filter(Boolean).join(' on ') || null;
        return [{ sessionId: rec.id, ip: rec.device.lastIp, agent }];
      }
      at = (await this.#guard('getTombstone', this.#store.getTombstone(at)))?.successorId ?? null;
    }
    return [];
  }

  /** True when a request needs no work beyond reading: no deadline passed, no binding changed, no renewal or touch due. */
  #quiet(rec: SessionRecord, ctx: RequestContext): boolean {
    const o = this.#o;
    const now = o.clock.now();
    return (
      now < rec.absoluteExpiresAt &&
      now < rec.idleExpiresAt &&
      now - rec.rotatedAt < o.renewalMs &&
      now - rec.lastSeenAt < o.touchMs &&
      rec.tokenSeenAt !== null &&
      (o.uaPolicy === 'off' || !userAgentChanged(rec.binding, ctx.userAgent)) &&
      (o.ipPolicy === 'off' || !ipPrefixChanged(rec.binding, rec.device.lastIp, ctx.ip, o.v4Bits, o.v6Bits))
    );
  }

  /**
   * Validates a record and does what is due. `own`: the request presented this record's token;
   * `successor`: it presented a predecessor's token whose renewal the client has not picked up yet
   * (the request may write, but does not mark this token presented); `read`: a predecessor's token
   * within the grace window (nothing is written).
   */
  async #check(
    record: SessionRecord,
    ctx: RequestContext,
    via: 'own' | 'successor' | 'read',
  ): Promise<ValidateResult> {
    const mayWrite = via !== 'read';
    if (record.data !== null && !this.#data.keyKnown(record.data)) return this.#endUnreadable(record, ctx);
    const now = this.#now();
    if (now >= record.absoluteExpiresAt || now >= record.idleExpiresAt) {
      const deadline = now >= record.absoluteExpiresAt ? 'absolute' : 'idle';
      await this.#guard('delete', this.#store.delete(record.id, this.#tomb(record, 'expired', null)));
      this.#emit('session.expired', record, ctx, { deadline });
      return { ok: false, reason: 'expired', deadline, authenticated: record.userId !== null };
    }
    let rec = record;
    const o = this.#o;
    const mismatches: Array<['user-agent' | 'ip-prefix', typeof o.uaPolicy]> = [];
    if (o.uaPolicy !== 'off' && userAgentChanged(rec.binding, ctx.userAgent))
      mismatches.push(['user-agent', o.uaPolicy]);
    if (o.ipPolicy !== 'off' && ipPrefixChanged(rec.binding, rec.device.lastIp, ctx.ip, o.v4Bits, o.v6Bits)) {
      mismatches.push(['ip-prefix', o.ipPolicy]);
    }
    for (const [binding, action] of mismatches) {
      this.#emit('session.binding_mismatch', rec, ctx, {
        binding,
        action: action as 'monitor' | 'step-up' | 'revoke',
        previousIp: rec.device.lastIp,
        lastSeenAt: rec.lastSeenAt,
      });
      if (action === 'revoke') {
        await this.#guard('delete', this.#store.delete(rec.id, this.#tomb(rec, 'binding', null)));
        this.#emit('session.revoked', rec, ctx, { reason: 'binding', actor: 'system' });
        return { ok: false, reason: 'binding' };
      }
      if (action === 'step-up' && !rec.stepUpRequired && rec.userId !== null && mayWrite) {
        const next = { ...rec, stepUpRequired: true, version: rec.version + 1 };
        if (await this.#guard('update', this.#store.update(next, rec.version))) {
          rec = next;
          this.#emit('session.step_up', rec, ctx, { phase: 'required', cause: 'binding' });
        } else {
          // A concurrent write won the race: this request is held to step-up, and nothing else is
          // written (a touch would record the new address and hide the mismatch from the next request).
          return { ok: true, session: toSession({ ...rec, stepUpRequired: true }), token: null };
        }
      }
    }
    if (!mayWrite) return { ok: true, session: toSession(rec), token: null };
    if (via === 'own' && rec.tokenSeenAt === null) {
      // The renewed token arrived: from now on its predecessor only has the grace window left.
      const seen = { ...rec, tokenSeenAt: now, version: rec.version + 1 };
      if (await this.#guard('update', this.#store.update(seen, rec.version))) rec = seen;
      else {
        const fresh = await this.#guard('get', this.#store.get(rec.id));
        if (!fresh) return { ok: false, reason: 'revoked' };
        rec = fresh;
      }
    }
    if (now - rec.rotatedAt >= o.renewalMs) {
      let issued: IssuedSession;
      try {
        issued = await this.#rotate(rec, 'renewal', ctx, () => ({}));
      } catch (err) {
        // The renewal re-seals the data; data that does not open ends the session instead of failing every request.
        if (err instanceof SessionDataInvalidError) return this.#endUnreadable(rec, ctx);
        // Ended by a concurrent request (logout, revocation) while this one renewed.
        if (err instanceof SessionRevokedError) return { ok: false, reason: 'revoked' };
        throw err;
      }
      return { ok: true, session: issued.session, token: issued.token === '' ? null : issued.token };
    }
    if (now - rec.lastSeenAt >= o.touchMs) {
      const patch = {
        lastSeenAt: now,
        idleExpiresAt: Math.min(now + this.#idleFor(rec), rec.absoluteExpiresAt),
        lastIp: ctx.ip ?? rec.device.lastIp,
      };
      if (!(await this.#guard('touch', this.#store.touch(rec.id, patch))))
        return { ok: false, reason: 'revoked' };
      rec = {
        ...rec,
        lastSeenAt: patch.lastSeenAt,
        idleExpiresAt: patch.idleExpiresAt,
        device: { ...rec.device, lastIp: patch.lastIp },
      };
      this.#emit('session.touched', rec, ctx, { idleExpiresAt: rec.idleExpiresAt });
    }
    return { ok: true, session: toSession(rec), token: null };
  }

  /**
   * The live record for `id`, following a periodic renewal that happened within the grace window, so
   * that a save from a request already in flight lands on the successor instead of failing. Login and
   * privilege rotations are not followed: a request that began before them must not write into the new session.
   */
  async #current(id: string, receivedAt?: number): Promise<SessionRecord | null> {
    const rec = await this.#guard('get', this.#store.get(id));
    if (rec) return rec;
    const tomb = await this.#guard('getTombstone', this.#store.getTombstone(id));
    if (tomb?.reason !== 'rotated-renewal') return null;
    const chain = await this.#followRenewals(tomb);
    if (!chain.live) return null;
    if (chain.seenAt !== null && (receivedAt ?? this.#now()) - chain.seenAt > this.#o.graceMs) return null;
    return chain.live;
  }

  #idleFor(rec: SessionRecord): number {
    return rec.rememberMe ? this.#o.rememberIdleMs : this.#o.idleMs;
  }

  async #rotate(
    rec: SessionRecord,
    reason: 'login' | 'privilege' | 'renewal',
    ctx: RequestContext,
    change: (r: SessionRecord) => Partial<SessionRecord>,
  ): Promise<IssuedSession> {
    const now = this.#now();
    const token = generateToken();
    const id = sessionIdFromToken(token);
    const data = this.#data.open(rec);
    const next: SessionRecord = {
      ...rec,
      ...change(rec),
      id,
      rotatedAt: now,
      lastSeenAt: now,
      idleExpiresAt: Math.min(now + this.#idleFor(rec), rec.absoluteExpiresAt),
      device: { ...rec.device, lastIp: ctx.ip ?? rec.device.lastIp },
      data: data === undefined ? null : this.#data.seal(data, id),
      version: rec.version + 1,
      // A renewed token is not known to have reached the client until it is presented; a login or
      // privilege rotation kills the old token at once, so the new one counts as delivered.
      tokenSeenAt: reason === 'renewal' ? null : now,
    };
    const ok = await this.#guard(
      'rotate',
      this.#store.rotate(rec.id, rec.version, next, this.#tomb(rec, `rotated-${reason}`, id)),
    );
    if (!ok) {
      // Someone else rotated or ended this session first. For a renewal, the in-flight request may
      // continue on the successor (read-only); anything else must retry from a fresh validation.
      if (reason === 'renewal') {
        // Lost to a concurrent renewal (follow it, within grace) or to a concurrent data write (the
        // record is still there): either way the request goes on, read-only, with no new token.
        const live = await this.#current(rec.id, ctx.receivedAt);
        if (live) return { session: toSession(live), token: '' };
      }
      throw new SessionRevokedError('The session was rotated or ended by a concurrent request.');
    }
    this.#emit('session.rotated', next, ctx, { reason, previousSessionId: rec.id });
    return { session: toSession(next), token };
  }
}

/** Checks and normalises `LoginOptions.federated`. */
function federatedIdentity(f: LoginOptions['federated']): FederatedIdentity | null {
  if (f === undefined || f === null) return null;
  const ok = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 1024;
  if (!ok(f.iss) || !ok(f.sub) || (f.sid != null && !ok(f.sid)))
    throw new InvalidArgumentError(
      'federated',
      'iss, sub and sid must be non-empty strings of at most 1024 characters.',
    );
  return { iss: f.iss, sub: f.sub, sid: f.sid ?? null };
}

/**
 * Creates the session engine. Options are validated at once; a bad one throws a
 * `ConfigError` (code `CONFIG_INVALID`) naming the field.
 *
 * @example
 * import { createSessionManager } from '@tessera-sessions/core';
 * import { memoryStore } from '@tessera-sessions/core/stores/memory';
 * const sessions = createSessionManager({ store: memoryStore(), idleTimeout: '30m' });
 * const { token } = await sessions.login(null, 'alice');
 * const result = await sessions.validate(token);
 */
export function createSessionManager(options: SessionManagerOptions): SessionManager {
  return new SessionManager(options);
}
