import { randomUUID } from 'node:crypto';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { AuditLog } from '../audit-log/log.ts';
import type { Clock } from '../clock.ts';
import { integerOption, rejectUnknownKeys } from '../config-check.ts';
import { type Duration, parseDuration } from '../duration.ts';
import { ipPrefix } from '../engine/binding.ts';
import type { SessionEvent, SessionEventOf } from '../engine/events.ts';
import { emitEvent } from '../engine/internal.ts';
import type { SessionManager } from '../engine/session-manager.ts';
import { ConfigError, RateLimitedError } from '../errors.ts';
import type {
  Detection,
  DetectionParty,
  DetectionQuery,
  DetectionStore,
  RuleAction,
  RuleId,
} from './detections.ts';
import { memoryDetectionStore } from './detections.ts';
import { wrapValidation } from './instrument.ts';

/** Requests from an address throttled by the detector (too many invalid tokens). Code `RATE_LIMITED`, 429. */
export class AddressThrottledError extends RateLimitedError {
  constructor(retryAfterMs: number) {
    super(retryAfterMs);
    this.message = 'Too many invalid session tokens from this client; try again later.';
  }
}

/** Options of {@link createDetector}. Every rule has an `action`; `off` turns it off. */
export interface DetectorOptions {
  rules?: {
    /** A rotated-away token came back (the engine has already revoked the family). Default `flag`; `revoke` also ends every session of the user. */
    reuse?: { action?: RuleAction };
    /** The engine saw a binding change. Default `flag`, for `user-agent` changes only (IP changes go to `distantNetworks`). */
    bindingMismatch?: { action?: RuleAction; bindings?: ReadonlyArray<'user-agent' | 'ip-prefix'> };
    /**
     * One session used from two distant networks — a different IPv4 /16 or IPv6 /32 — within
     * `window` (default `'30m'`). Default `flag`. Needs the engine's `binding.ipPrefix` policy on
     * (`monitor`, the default, or stricter).
     */
    distantNetworks?: {
      action?: RuleAction;
      window?: Duration;
      ipv4PrefixBits?: number;
      ipv6PrefixBits?: number;
    };
    /**
     * More than `points` (default 20) invalid tokens from one address (IPv4, or IPv6 /64) within
     * `window` (default `'1m'`). Default `throttle`: every request from that address carrying a
     * token is refused with RATE_LIMITED for `blockFor` (default `'15m'`) without touching the store.
     * `limiter` replaces the in-process counter (e.g. a `RateLimiterRedis` shared by every server).
     */
    invalidTokenFlood?: {
      action?: RuleAction;
      points?: number;
      window?: Duration;
      blockFor?: Duration;
      limiter?: RateLimiterAbstract;
    };
    /**
     * A cap on live anonymous sessions created by this process (default 10,000): beyond it, the
     * oldest anonymous sessions that never logged in are evicted (`revoke`, the default), or only
     * reported (`flag`). Also reports addresses hitting the engine's creation rate limit.
     */
    anonymousFlood?: { action?: RuleAction; maxAnonymous?: number };
    /** A user went over the concurrent-session limit. Default `flag`; `step-up` / `revoke` act on all their sessions. */
    sessionLimit?: { action?: RuleAction };
    /**
     * Device Bound Session Credentials: a bound session without its bound cookie (the engine has
     * already revoked or flagged it), a refresh proof signed by another key, or a registration with
     * another session's challenge. A stale challenge at refresh (a network race) is not reported.
     * Default `flag`; `revoke` also ends every session of the user.
     */
    deviceProof?: { action?: RuleAction };
  };
  /** Where detections are kept (default: in memory, newest 10,000). */
  store?: DetectionStore;
  /** Also append every detection and acknowledgement to this audit log. */
  audit?: AuditLog;
  /** Default: the manager's clock. */
  clock?: Clock;
  /** Where failures of an action go (default `console.warn`). Never receives tokens. */
  onError?: (err: unknown) => void;
}

/** The detector: rules over the engine's events, and the detections API for the console. */
export interface Detector {
  readonly store: DetectionStore;
  /** Detections, newest first. */
  list(query?: DetectionQuery): Promise<Detection[]>;
  get(id: string): Promise<Detection | null>;
  /** Marks a detection acknowledged by `by` (an admin id), with an optional note. */
  acknowledge(id: string, by: string, note?: string): Promise<Detection | null>;
  /** Subscribes to new detections (webhooks, metrics). Returns an unsubscribe function. */
  onDetection(listener: (d: Detection) => void): () => void;
  /** Milliseconds an address is still throttled for (0: not throttled). */
  throttledFor(ip: string): number;
  /** Waits until every action and write started so far has finished (tests, shutdown). */
  settle(): Promise<void>;
  /** Detaches from the manager. */
  stop(): void;
}

const DEFAULTS: Record<RuleId, RuleAction> = {
  reuse: 'flag',
  'binding-mismatch': 'flag',
  'distant-networks': 'flag',
  'invalid-token-flood': 'throttle',
  'anonymous-flood': 'revoke',
  'session-limit': 'flag',
  'device-proof': 'flag',
};

const actionSchema = new Set<RuleAction>(['off', 'flag', 'step-up', 'revoke', 'throttle']);

/** The keys each rule takes (an unknown one is a typo, refused with CONFIG_INVALID). */
const RULE_KEYS: Record<keyof NonNullable<DetectorOptions['rules']>, readonly string[]> = {
  reuse: ['action'],
  bindingMismatch: ['action', 'bindings'],
  distantNetworks: ['action', 'window', 'ipv4PrefixBits', 'ipv6PrefixBits'],
  invalidTokenFlood: ['action', 'points', 'window', 'blockFor', 'limiter'],
  anonymousFlood: ['action', 'maxAnonymous'],
  sessionLimit: ['action'],
  deviceProof: ['action'],
};

/** Shape checks of {@link DetectorOptions}: every error names the key (`rules.reuse.acton`). */
function checkDetectorOptions(options: DetectorOptions): void {
  rejectUnknownKeys(options, ['rules', 'store', 'audit', 'clock', 'onError'], '');
  rejectUnknownKeys(options.rules, Object.keys(RULE_KEYS), 'rules');
  for (const [rule, keys] of Object.entries(RULE_KEYS))
    rejectUnknownKeys((options.rules as Record<string, unknown> | undefined)?.[rule], keys, `rules.${rule}`);
  const r = options.rules ?? {};
  const bindings = r.bindingMismatch?.bindings;
  if (
    bindings !== undefined &&
    (!Array.isArray(bindings) || bindings.some((b) => b !== 'user-agent' && b !== 'ip-prefix'))
  )
    throw new ConfigError('rules.bindingMismatch.bindings', "must list 'user-agent' and/or 'ip-prefix'.");
  const d = r.distantNetworks;
  if (d?.ipv4PrefixBits !== undefined)
    integerOption(d.ipv4PrefixBits, 'rules.distantNetworks.ipv4PrefixBits', 0, 32);
  if (d?.ipv6PrefixBits !== undefined)
    integerOption(d.ipv6PrefixBits, 'rules.distantNetworks.ipv6PrefixBits', 0, 128);
  const f = r.invalidTokenFlood;
  if (f?.points !== undefined) integerOption(f.points, 'rules.invalidTokenFlood.points', 1);
  if (f?.limiter !== undefined && typeof (f.limiter as { consume?: unknown } | null)?.consume !== 'function')
    throw new ConfigError('rules.invalidTokenFlood.limiter', 'must be a rate-limiter-flexible limiter.');
  if (options.store !== undefined && typeof (options.store as { add?: unknown } | null)?.add !== 'function')
    throw new ConfigError('store', 'must be a DetectionStore (memoryDetectionStore(), …).');
  if (
    options.audit !== undefined &&
    typeof (options.audit as { append?: unknown } | null)?.append !== 'function'
  )
    throw new ConfigError('audit', 'must be an AuditLog (createAuditLog(…)).');
  if (options.clock !== undefined && typeof (options.clock as { now?: unknown } | null)?.now !== 'function')
    throw new ConfigError('clock', 'must have a now() method.');
  if (options.onError !== undefined && typeof options.onError !== 'function')
    throw new ConfigError('onError', 'must be a function.');
}

/**
 * Detection rules acting on the engine's events: token reuse, binding mismatches, one session
 * from two distant networks, invalid-token floods (throttled per address), anonymous-session
 * floods (a global cap, oldest anonymous first) and sessions over the per-user limit. Every rule
 * is `off`, `flag`, `step-up`, `revoke` or `throttle`; every action taken is recorded as a
 * detection the admin console lists and acknowledges.
 *
 * @example
 * const detector = createDetector(manager, {
 *   rules: { distantNetworks: { window: '15m' }, invalidTokenFlood: { points: 30 } },
 *   audit,
 * });
 * detector.onDetection((d) => alerts.push(d));
 */
export function createDetector(manager: SessionManager, options: DetectorOptions = {}): Detector {
  checkDetectorOptions(options);
  const r = options.rules ?? {};
  const clock = options.clock ?? { now: () => manager.now() };
  const store = options.store ?? memoryDetectionStore();
  const onError =
    options.onError ??
    ((err: unknown) =>
      console.warn(
        `tessera: a detection action failed: ${err instanceof Error ? err.message : String(err)}`,
      ));
  const action = (rule: RuleId, configured: RuleAction | undefined, field: string): RuleAction => {
    const a = configured ?? DEFAULTS[rule];
    if (!actionSchema.has(a)) throw new ConfigError(field, 'must be off, flag, step-up, revoke or throttle.');
    return a;
  };
  const act = {
    reuse: action('reuse', r.reuse?.action, 'rules.reuse.action'),
    binding: action('binding-mismatch', r.bindingMismatch?.action, 'rules.bindingMismatch.action'),
    distant: action('distant-networks', r.distantNetworks?.action, 'rules.distantNetworks.action'),
    flood: action('invalid-token-flood', r.invalidTokenFlood?.action, 'rules.invalidTokenFlood.action'),
    anon: action('anonymous-flood', r.anonymousFlood?.action, 'rules.anonymousFlood.action'),
    limit: action('session-limit', r.sessionLimit?.action, 'rules.sessionLimit.action'),
    device: action('device-proof', r.deviceProof?.action, 'rules.deviceProof.action'),
  };
  const bindings = new Set(r.bindingMismatch?.bindings ?? ['user-agent']);
  const distantWindow = parseDuration(r.distantNetworks?.window ?? '30m', 'rules.distantNetworks.window');
  const v4Bits = r.distantNetworks?.ipv4PrefixBits ?? 16;
  const v6Bits = r.distantNetworks?.ipv6PrefixBits ?? 32;
  const floodWindow = parseDuration(r.invalidTokenFlood?.window ?? '1m', 'rules.invalidTokenFlood.window');
  const blockFor = parseDuration(r.invalidTokenFlood?.blockFor ?? '15m', 'rules.invalidTokenFlood.blockFor');
  const floodLimiter =
    r.invalidTokenFlood?.limiter ??
    new RateLimiterMemory({
      points: r.invalidTokenFlood?.points ?? 20,
      duration: Math.max(1, Math.ceil(floodWindow / 1000)),
    });
  const maxAnonymous = integerOption(
    r.anonymousFlood?.maxAnonymous ?? 10_000,
    'rules.anonymousFlood.maxAnonymous',
    1,
  );

  const listeners = new Set<(d: Detection) => void>();
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    const t = p.catch(onError).finally(() => pending.delete(t));
    pending.add(t);
  };
  /** Throttled address keys → until (ms). */
  const blocked = new Map<string, number>();
  /** Live anonymous sessions this process created, oldest first. */
  const anonymous = new Set<string>();
  /** Rate-limited addresses already reported in the current window → until. */
  const reported = new Map<string, number>();
  let evictedSinceReport = 0;
  let lastFloodReport = 0;

  const keyOf = (ip: string) => ipPrefix(ip, 32, 64) ?? ip;
  const once = (key: string, now: number, windowMs: number): boolean => {
    const until = reported.get(key);
    if (until !== undefined && until > now) return false;
    if (reported.size > 10_000) for (const [k, u] of reported) if (u <= now) reported.delete(k);
    reported.set(key, now + windowMs);
    return true;
  };

  const raise = (
    rule: RuleId,
    taken: RuleAction,
    e: Pick<SessionEvent, 'sessionId' | 'userId' | 'ip'>,
    fields: {
      severity: Detection['severity'];
      summary: string;
      parties?: DetectionParty[];
      details?: Detection['details'];
    },
  ): Detection | null => {
    if (taken === 'off') return null;
    const d: Detection = {
      id: randomUUID(),
      rule,
      action: taken,
      severity: fields.severity,
      at: clock.now(),
      sessionId: e.sessionId,
      userId: e.userId,
      ip: e.ip,
      summary: fields.summary,
      parties: fields.parties ?? [],
      details: fields.details ?? {},
      acknowledged: null,
    };
    track(
      (async () => {
        await store.add(d);
        await options.audit?.append('detection.raised', { ...d });
      })(),
    );
    for (const fn of listeners) {
      try {
        fn(d);
      } catch (err) {
        onError(err);
      }
    }
    return d;
  };

  const throttle = (ip: string | null, ms = blockFor) => {
    if (!ip) return;
    const now = clock.now();
    // Many addresses blocked at once (a distributed guess): forget the expired ones so the map stays bounded.
    if (blocked.size >= 10_000) for (const [k, until] of blocked) if (until <= now) blocked.delete(k);
    blocked.set(keyOf(ip), now + ms);
  };
  /** The generic part of an action: step-up or revoke the session, throttle the address. */
  const apply = (taken: RuleAction, e: Pick<SessionEvent, 'sessionId' | 'ip'>) => {
    if (taken === 'step-up' && e.sessionId) track(manager.requireStepUp(e.sessionId, { actor: 'system' }));
    if (taken === 'revoke' && e.sessionId)
      track(manager.revoke(e.sessionId, { reason: 'revoked', actor: 'system' }));
    if (taken === 'throttle') throttle(e.ip);
  };

  const partyOf = (role: DetectionParty['role'], e: SessionEvent): DetectionParty => ({
    role,
    sessionId: e.sessionId,
    ip: e.ip,
    agent: e.userAgent ?? null,
  });

  const handlers: Array<() => void> = [];
  const on = <T extends SessionEvent['type']>(type: T, fn: (e: SessionEventOf<T>) => void) =>
    handlers.push(manager.events.on(type, fn));

  // ---- reuse
  if (act.reuse !== 'off')
    on('session.reuse', (e) => {
      const holders: DetectionParty[] = (e.holders ?? []).map((h) => ({
        role: 'holder',
        sessionId: h.sessionId,
        ip: h.ip,
        agent: h.agent,
      }));
      raise('reuse', act.reuse, e, {
        severity: 'high',
        summary: `A rotated-away session token was used again; its family (${e.revoked} live session(s)) was revoked.`,
        parties: [partyOf('replayer', e), ...holders],
        details: { family: e.family, revoked: e.revoked },
      });
      if (act.reuse === 'revoke' && e.userId) track(manager.revokeAllForUser(e.userId, { actor: 'system' }));
      else if (act.reuse === 'throttle') throttle(e.ip);
    });

  // ---- device-bound sessions (DBSC)
  if (act.device !== 'off')
    on('session.dbsc_proof_failed', (e) => {
      const theft =
        e.stage === 'request' ||
        (e.stage === 'refresh' && (e.reason === 'signature' || e.reason === 'algorithm')) ||
        (e.stage === 'registration' && e.reason === 'challenge');
      if (!theft) return;
      raise('device-proof', act.device, e, {
        severity: e.stage === 'registration' ? 'medium' : 'high',
        summary:
          e.stage === 'request'
            ? `A device-bound session was used without its bound cookie (${e.reason}); engine policy: ${e.action}.`
            : e.stage === 'refresh'
              ? 'A device-bound session refresh was signed with a key that is not the registered one.'
              : 'A device key registration presented a challenge that was not offered to this session.',
        parties: [partyOf('client', e)],
        details: { stage: e.stage, reason: e.reason, enginePolicy: e.action },
      });
      if (act.device === 'revoke' && e.userId) track(manager.revokeAllForUser(e.userId, { actor: 'system' }));
      else apply(act.device, e);
    });

  // ---- binding mismatch and distant networks
  on('session.binding_mismatch', (e) => {
    if (act.binding !== 'off' && bindings.has(e.binding)) {
      raise('binding-mismatch', act.binding, e, {
        severity: e.binding === 'user-agent' ? 'high' : 'medium',
        summary: `The session was used with a different ${e.binding === 'user-agent' ? 'browser family' : 'network'} than it was bound to (engine policy: ${e.action}).`,
        parties: [
          { role: 'previous', sessionId: e.sessionId, ip: e.previousIp ?? null, agent: null },
          partyOf('current', e),
        ],
        details: { binding: e.binding, enginePolicy: e.action },
      });
      apply(act.binding, e);
    }
    if (act.distant !== 'off' && e.binding === 'ip-prefix' && e.previousIp && e.ip) {
      const before = ipPrefix(e.previousIp, v4Bits, v6Bits);
      const now = ipPrefix(e.ip, v4Bits, v6Bits);
      const sameFamily = before !== null && now !== null && before.includes(':') === now.includes(':');
      const elapsed = e.at - (e.lastSeenAt ?? Number.NEGATIVE_INFINITY);
      if (sameFamily && before !== now && elapsed <= distantWindow) {
        raise('distant-networks', act.distant, e, {
          severity: 'medium',
          summary: `The session was used from ${now} ${Math.round(elapsed / 60_000)} min after ${before}.`,
          parties: [
            { role: 'previous', sessionId: e.sessionId, ip: e.previousIp, agent: null },
            partyOf('current', e),
          ],
          details: { from: before, to: now, minutes: Math.round(elapsed / 60_000) },
        });
        apply(act.distant, e);
      }
    }
  });

  // ---- invalid-token flood
  if (act.flood !== 'off') {
    on('session.invalid_token', (e) => {
      if (!e.ip) return;
      const key = keyOf(e.ip);
      if ((blocked.get(key) ?? 0) > clock.now()) return;
      floodLimiter.consume(key).then(
        () => {},
        (res: unknown) => {
          if (!(res instanceof RateLimiterRes)) return onError(res);
          if (!once(`flood:${key}`, clock.now(), act.flood === 'throttle' ? blockFor : floodWindow)) return;
          raise('invalid-token-flood', act.flood, e, {
            severity: 'high',
            summary: `Too many invalid session tokens from ${key}${act.flood === 'throttle' ? `; throttled for ${Math.round(blockFor / 1000)} s` : ''}.`,
            parties: [partyOf('client', e)],
            details: { address: key, windowSeconds: Math.round(floodWindow / 1000) },
          });
          if (act.flood === 'throttle') {
            throttle(e.ip);
            emitEvent(manager, {
              type: 'session.rate_limited',
              at: clock.now(),
              sessionId: null,
              userId: null,
              ip: e.ip,
              userAgent: e.userAgent ?? null,
              scope: 'validate',
            });
          }
        },
      );
    });
  }
  const throttledFor = (ip: string): number => {
    if (blocked.size === 0) return 0;
    const key = keyOf(ip);
    const until = blocked.get(key);
    if (until === undefined) return 0;
    const left = until - clock.now();
    if (left > 0) return left;
    blocked.delete(key);
    return 0;
  };
  const unwrap =
    act.flood === 'throttle' ||
    [act.reuse, act.binding, act.distant, act.anon, act.limit].includes('throttle')
      ? wrapValidation(manager, (next) => (token, ctx) => {
          // Only requests that carry a token are refused: a throttled address can still browse
          // without a session, and never reaches the store with a guess.
          if (blocked.size > 0 && token && ctx?.ip) {
            const left = throttledFor(ctx.ip);
            if (left > 0) throw new AddressThrottledError(left);
          }
          return next(token, ctx);
        })
      : () => {};

  // ---- anonymous flood: a global cap on live anonymous sessions, oldest never-authenticated first
  if (act.anon !== 'off') {
    on('session.created', (e) => {
      if (!e.anonymous || !e.sessionId) return;
      anonymous.add(e.sessionId);
      if (anonymous.size <= maxAnonymous) return;
      let evicted = 0;
      for (const id of anonymous) {
        if (anonymous.size <= maxAnonymous) break;
        anonymous.delete(id);
        if (act.anon === 'revoke') {
          track(manager.evictAnonymous(id));
          evicted++;
        }
      }
      evictedSinceReport += evicted;
      const now = clock.now();
      if (now - lastFloodReport >= 60_000) {
        lastFloodReport = now;
        raise('anonymous-flood', act.anon === 'revoke' ? 'revoke' : 'flag', e, {
          severity: 'medium',
          summary: `More than ${maxAnonymous} live anonymous sessions; ${act.anon === 'revoke' ? `evicted the oldest (${evictedSinceReport} since the last report)` : 'none evicted (flag only)'}.`,
          details: { maxAnonymous, evicted: evictedSinceReport },
        });
        evictedSinceReport = 0;
      }
    });
    const forget = (e: SessionEvent) => {
      if (e.sessionId) anonymous.delete(e.sessionId);
    };
    on('session.revoked', forget);
    on('session.expired', forget);
    on('session.authenticated', (e) => {
      if (e.previousSessionId) anonymous.delete(e.previousSessionId);
    });
    on('session.rotated', (e) => {
      if (anonymous.delete(e.previousSessionId) && e.sessionId && e.userId === null)
        anonymous.add(e.sessionId);
    });
    on('session.rate_limited', (e) => {
      if (e.scope !== 'create' || !e.ip || !once(`create:${keyOf(e.ip)}`, clock.now(), 60_000)) return;
      raise('anonymous-flood', 'flag', e, {
        severity: 'low',
        summary: `${keyOf(e.ip)} is creating sessions faster than the creation rate limit allows.`,
        parties: [partyOf('client', e)],
        details: { address: keyOf(e.ip) },
      });
    });
  }

  // ---- concurrent sessions above the limit
  if (act.limit !== 'off')
    on('session.limit_reached', (e) => {
      raise('session-limit', act.limit, e, {
        severity: 'low',
        summary: `User went over the limit of ${e.limit} concurrent sessions (engine policy: ${e.action}).`,
        parties: [partyOf('client', e)],
        details: { limit: e.limit, enginePolicy: e.action },
      });
      const userId = e.userId;
      if (!userId) return;
      if (act.limit === 'revoke') track(manager.revokeAllForUser(userId, { actor: 'system' }));
      if (act.limit === 'step-up')
        track(
          manager
            .listForUser(userId)
            .then((all) => Promise.all(all.map((s) => manager.requireStepUp(s.id, { actor: 'system' })))),
        );
      if (act.limit === 'throttle') throttle(e.ip);
    });

  return {
    store,
    list: (q) => store.list(q),
    get: (id) => store.get(id),
    async acknowledge(id, by, note) {
      const d = await store.acknowledge(id, by, note ?? null);
      if (d && options.audit)
        await options.audit.append('detection.acknowledged', { id, by, note: note ?? null });
      return d;
    },
    onDetection(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    throttledFor,
    async settle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    stop() {
      for (const off of handlers) off();
      unwrap();
    },
  };
}
