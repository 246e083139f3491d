/**
 * Prometheus metrics for the engine (`@tessera-sessions/core/monitor/prometheus`). Needs
 * `prom-client` (an optional peer dependency); nothing else in Tessera imports it.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SessionEvent } from '../engine/events.ts';
import type { SessionManager, ValidateResult } from '../engine/session-manager.ts';
import type { Detector } from './detector.ts';
import { wrapValidation } from './instrument.ts';

/** Options of {@link prometheusSink}. */
export interface PrometheusSinkOptions {
  /** Where the metrics are registered (default: a new `Registry`). */
  registry?: Registry;
  /** Metric name prefix (default `tessera_`). */
  prefix?: string;
  /** Also count this detector's detections by rule and action. */
  detector?: Detector;
  /**
   * The number of live sessions, asked at each scrape (e.g. a store count). Without it,
   * `sessions_active` is this process's running estimate from the events it saw.
   */
  activeSessions?: () => number | Promise<number>;
  /** Validation latency buckets in seconds. */
  buckets?: number[];
}

/** What {@link prometheusSink} returns. */
export interface PrometheusSink {
  readonly registry: Registry;
  /** The text exposition for a `/metrics` endpoint. */
  metrics(): Promise<string>;
  /** Detaches from the manager (the metrics stay registered). */
  stop(): void;
}

const outcomeOf = (r: ValidateResult): string => (r.ok ? 'ok' : r.reason);

/**
 * Counts the engine's events into Prometheus metrics, and times every validation. Labels are
 * closed sets (reasons, event types, rule ids) — never a session id, user id or address — so
 * cardinality stays bounded and nothing identifying reaches the metrics.
 *
 * Metrics: `sessions_active` (gauge), `sessions_created_total{kind}`,
 * `sessions_revoked_total{reason,actor}`, `sessions_expired_total{deadline}`,
 * `sessions_rotated_total{reason}`, `session_events_total{type}`,
 * `session_validation_seconds{outcome}` (histogram), `detections_total{rule,action}`.
 *
 * @example
 * const metrics = prometheusSink(manager, { detector });
 * app.get('/metrics', async (_req, res) => res.type('text/plain').send(await metrics.metrics()));
 */
export function prometheusSink(manager: SessionManager, options: PrometheusSinkOptions = {}): PrometheusSink {
  const registry = options.registry ?? new Registry();
  const p = options.prefix ?? 'tessera_';
  let active = 0;
  const activeGauge = new Gauge({
    name: `${p}sessions_active`,
    help: 'Live sessions (from the activeSessions callback, else this process’s estimate from events).',
    registers: [registry],
    async collect() {
      this.set(options.activeSessions ? await options.activeSessions() : Math.max(0, active));
    },
  });
  void activeGauge;
  const created = new Counter({
    name: `${p}sessions_created_total`,
    help: 'Sessions created, anonymous or by login.',
    labelNames: ['kind'],
    registers: [registry],
  });
  const revoked = new Counter({
    name: `${p}sessions_revoked_total`,
    help: 'Sessions ended before their deadlines, by reason and actor.',
    labelNames: ['reason', 'actor'],
    registers: [registry],
  });
  const expired = new Counter({
    name: `${p}sessions_expired_total`,
    help: 'Sessions that reached a deadline, by deadline.',
    labelNames: ['deadline'],
    registers: [registry],
  });
  const rotated = new Counter({
    name: `${p}sessions_rotated_total`,
    help: 'Token rotations, by reason.',
    labelNames: ['reason'],
    registers: [registry],
  });
  const events = new Counter({
    name: `${p}session_events_total`,
    help: 'Every engine event, by type.',
    labelNames: ['type'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: `${p}session_validation_seconds`,
    help: 'Time to validate a session token, by outcome.',
    labelNames: ['outcome'],
    buckets: options.buckets ?? [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
    registers: [registry],
  });
  const detections = new Counter({
    name: `${p}detections_total`,
    help: 'Detections raised, by rule and action taken.',
    labelNames: ['rule', 'action'],
    registers: [registry],
  });

  const offEvents = manager.events.on('*', (e: SessionEvent) => {
    events.inc({ type: e.type });
    switch (e.type) {
      case 'session.created':
        active++;
        created.inc({ kind: 'anonymous' });
        break;
      case 'session.authenticated':
        if (e.previousSessionId === null) active++;
        created.inc({ kind: 'login' });
        break;
      case 'session.revoked':
        active--;
        revoked.inc({ reason: e.reason, actor: e.actor ?? 'system' });
        break;
      case 'session.expired':
        active--;
        expired.inc({ deadline: e.deadline });
        break;
      case 'session.reuse':
        active -= e.revoked;
        break;
      case 'session.rotated':
        rotated.inc({ reason: e.reason });
        break;
    }
  });
  const offDetections = options.detector?.onDetection((d) =>
    detections.inc({ rule: d.rule, action: d.action }),
  );
  // Pre-bound observers per outcome keep the per-request cost to one clock read and one observe.
  const observers = new Map<string, (v: number) => void>();
  const observe = (r: ValidateResult, started: number) => {
    const outcome = outcomeOf(r);
    let fn = observers.get(outcome);
    if (!fn) {
      const child = latency.labels(outcome);
      fn = (v) => child.observe(v);
      observers.set(outcome, fn);
    }
    fn((performance.now() - started) / 1000);
    return r;
  };
  const unwrap = wrapValidation(manager, (next) => (token, ctx) => {
    const started = performance.now();
    const r = next(token, ctx);
    return r instanceof Promise ? r.then((v) => observe(v, started)) : observe(r, started);
  });
  return {
    registry,
    metrics: () => registry.metrics(),
    stop() {
      offEvents();
      offDetections?.();
      unwrap();
    },
  };
}
