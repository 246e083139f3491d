/**
 * Log capture over a full end-to-end HTTP flow — anonymous cart, login, renewal, CSRF refusal,
 * token replay (reuse), a guessing flood (throttled), logout, expiry, admin revocation — with
 * every sink on: pino logs, Prometheus metrics, the audit log, detections, webhooks, events and
 * every response body (the problem+json errors). Not one token, in any encoding, and not the
 * session data may appear in any of them.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import pino from 'pino';
import { nodeSessions } from '../../src/adapters/node/index.ts';
import { createAuditLog } from '../../src/audit-log/log.ts';
import { sqliteAuditBackend } from '../../src/audit-log/sqlite.ts';
import { generateToken } from '../../src/crypto/token.ts';
import type { SessionEvent } from '../../src/engine/events.ts';
import { SessionManager } from '../../src/engine/session-manager.ts';
import { auditSink } from '../../src/monitor/audit-sink.ts';
import { sqliteDetectionStore } from '../../src/monitor/detections.ts';
import { createDetector } from '../../src/monitor/detector.ts';
import { logSink } from '../../src/monitor/log-sink.ts';
import { prometheusSink } from '../../src/monitor/prometheus.ts';
import { webhookSink } from '../../src/monitor/webhook.ts';
import { sqliteStore } from '../../src/stores/sqlite.ts';
import {
  CHROME_WINDOWS,
  FIREFOX_LINUX,
  FrozenClock,
  keys,
  MINUTE,
  SECOND,
  tokenForms,
} from '../helpers/engine.ts';

const SECRET_DATA = 'secret-cart-item-4242';

test('no token or session data reaches a log line, event, metric, audit entry, detection, webhook or error', async () => {
  const lines: string[] = [];
  const capture = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: 'debug' }, capture);
  const warnings: string[] = [];
  const db = new Database(':memory:');
  const clock = new FrozenClock();
  const manager = new SessionManager({
    store: sqliteStore({ database: db }),
    keys: keys(),
    clock,
    creationRateLimit: { points: 100, window: '1m' },
    logger: { warn: (m) => warnings.push(m) },
  });
  const events: SessionEvent[] = [];
  manager.events.on('*', (e) => events.push(e));
  logSink(manager, logger);
  const audit = createAuditLog({ backend: sqliteAuditBackend({ database: db }), clock });
  const sink = auditSink(manager, audit);
  const detector = createDetector(manager, {
    store: sqliteDetectionStore({ database: db }),
    audit,
    rules: { invalidTokenFlood: { points: 10 } },
    onError: (e) => warnings.push(String(e)),
  });
  const metrics = prometheusSink(manager, { detector });
  const hookBodies: string[] = [];
  const receiver = createServer((req, res) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => {
      hookBodies.push(b, JSON.stringify(req.headers));
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hooks = webhookSink({
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
    secret: 'webhook-secret-webhook-secret-32b',
  });
  hooks.attach(detector);

  const sessions = nodeSessions(manager, {
    clientIp: (req: IncomingMessage) => String(req.headers['x-client-ip'] ?? '127.0.0.1'),
  });
  const app: Server = createServer(async (req, res) => {
    try {
      const s = await sessions.getSession(req, res);
      if (req.method !== 'GET') s.verifyCsrf();
      if (req.url === '/cart') await s.set({ cart: [SECRET_DATA] });
      else if (req.url === '/login') await s.login('alice');
      else if (req.url === '/logout') await s.logout();
      else if (req.url === '/me') s.requireAuth();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ user: s.userId }));
    } catch (err) {
      sessions.sendError(req, res, err);
    }
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  const tokens = new Set<string>();
  const bodies: string[] = [];
  const call = async (
    method: string,
    path: string,
    opts: { token?: string; ip?: string; ua?: string; origin?: boolean } = {},
  ) => {
    const headers: Record<string, string> = {
      'x-client-ip': opts.ip ?? '203.0.113.7',
      'user-agent': opts.ua ?? FIREFOX_LINUX,
    };
    if (opts.token) headers.cookie = `__Host-sid=${opts.token}`;
    if (opts.origin !== false && method !== 'GET') headers.origin = origin;
    const res = await fetch(`${origin}${path}`, { method, headers });
    bodies.push(await res.text());
    const set = res.headers.get('set-cookie');
    const m = set ? /__Host-sid=([^;]*)/.exec(set) : null;
    if (m?.[1]) tokens.add(m[1]);
    return { status: res.status, token: m?.[1] || undefined };
  };

  try {
    const anon = await call('POST', '/cart');
    assert.ok(anon.token);
    const user = await call('POST', '/login', { token: anon.token });
    assert.ok(user.token);
    assert.equal((await call('GET', '/me', { token: user.token })).status, 200);
    clock.advance(16 * MINUTE);
    const renewed = await call('GET', '/me', { token: user.token });
    assert.ok(renewed.token, 'renewed');
    assert.equal((await call('POST', '/cart', { token: renewed.token, origin: false })).status, 403, 'CSRF');
    assert.equal(
      (await call('GET', '/me', { token: renewed.token, ip: '198.51.100.1' })).status,
      200,
      'a distant network: allowed (monitor), flagged',
    );
    assert.equal(
      (await call('GET', '/me', { token: renewed.token, ip: '198.51.100.1', ua: CHROME_WINDOWS })).status,
      401,
      'binding: another browser family',
    );
    clock.advance(10 * SECOND);
    assert.equal((await call('GET', '/me', { token: user.token, ip: '192.0.2.66' })).status, 401, 'reuse');
    let throttled = 0;
    for (let i = 0; i < 30; i++) {
      const t = generateToken();
      tokens.add(t);
      if ((await call('GET', '/me', { token: t, ip: '192.0.2.200' })).status === 429) throttled++;
    }
    assert.ok(throttled > 0);
    const half = generateToken().slice(0, 30);
    tokens.add(half);
    await call('GET', '/me', { token: half });
    const second = await call('POST', '/login');
    assert.ok(second.token);
    await call('POST', '/logout', { token: second.token });
    const third = await call('POST', '/login');
    await manager.revokeAllForUser('alice', { actor: 'admin', actorId: 'root' });
    assert.equal((await call('GET', '/me', { token: third.token })).status, 401);
    const fourth = await call('POST', '/login');
    clock.advance(31 * MINUTE);
    assert.equal((await call('GET', '/me', { token: fourth.token })).status, 401, 'expired');

    await detector.settle();
    await sink.flush();
    await hooks.drain(5000);
    const detections = await detector.list({ limit: 1000 });
    const rules = new Set(detections.map((d) => d.rule));
    for (const r of ['reuse', 'binding-mismatch', 'invalid-token-flood', 'distant-networks'] as const)
      assert.ok(rules.has(r), r);
    const auditText = JSON.stringify(await audit.read({ limit: 10_000 }));
    assert.ok((await audit.verify()).ok);
    const metricText = await metrics.metrics();
    assert.match(
      metricText,
      /tessera_sessions_revoked_total\{reason="reuse"|tessera_session_events_total\{type="session.reuse"\}/,
    );
    assert.match(metricText, /tessera_detections_total\{rule="reuse",action="flag"\} 1/);
    assert.match(metricText, /tessera_session_validation_seconds_count\{outcome="ok"\}/);

    const haystacks: Array<[string, string]> = [
      ['log lines', lines.join('\n')],
      ['events', JSON.stringify(events)],
      ['metrics', metricText],
      ['audit log', auditText],
      ['detections', JSON.stringify(detections)],
      ['webhooks', hookBodies.join('\n')],
      ['response bodies (errors)', bodies.join('\n')],
      ['warnings', warnings.join('\n')],
    ];
    assert.ok(lines.length > 20, `${lines.length} log lines captured`);
    assert.ok(hookBodies.length >= 8, 'webhooks were delivered');
    assert.ok(tokens.size >= 36, `${tokens.size} tokens seen`);
    for (const [where, text] of haystacks) {
      assert.ok(!text.includes(SECRET_DATA), `session data in ${where}`);
      for (const t of tokens)
        for (const form of tokenForms(t)) {
          if (form.length < 16) continue;
          assert.ok(!text.includes(form), `a token reached the ${where}`);
        }
    }
    // The audit trail and the detections still say what happened, by hashed id.
    assert.ok(auditText.includes('session.reuse') && auditText.includes('detection.raised'));
    assert.ok(lines.some((l) => l.includes('"event":"session.reuse"') && l.includes('"level":40')));
  } finally {
    detector.stop();
    metrics.stop();
    hooks.stop();
    await sink.stop();
    app.close();
    receiver.close();
    db.close();
  }
});
