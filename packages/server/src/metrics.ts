/**
 * Prometheus metrics at `/metrics`: lifecycle events by type, live sessions (from the store's
 * count, when it has one), HTTP responses by status class, and the process's default metrics.
 */
import type { SessionManager, Store } from '@tessera-sessions/core';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** The service's metrics registry. */
export interface ServiceMetrics {
  registry: Registry;
  /** Counts one HTTP response. */
  response(area: string, status: number): void;
}

/** Creates the registry and wires it to the managers and the store. */
export function createMetrics(managers: Record<string, SessionManager>, store: Store): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const events = new Counter({
    name: 'tessera_session_events_total',
    help: 'Session lifecycle events by type and source.',
    labelNames: ['type', 'source'],
    registers: [registry],
  });
  for (const [source, m] of Object.entries(managers))
    m.events.on('*', (e) => events.inc({ type: e.type, source }));
  new Gauge({
    name: 'tessera_sessions_live',
    help: 'Live sessions in the store (all, and with a user).',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      if (!store.countLive) return;
      const c = await store.countLive(Date.now());
      this.set({ kind: 'all' }, c.live);
      this.set({ kind: 'authenticated' }, c.authenticated);
    },
  });
  const responses = new Counter({
    name: 'tessera_http_responses_total',
    help: 'HTTP responses by area and status class.',
    labelNames: ['area', 'status'],
    registers: [registry],
  });
  return {
    registry,
    response: (area, status) => responses.inc({ area, status: `${Math.floor(status / 100)}xx` }),
  };
}
