/** The sinks one by one: audit sink batching and its bounded queue, Prometheus labels and timing, log levels, detaching. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import pino from 'pino';
import { createAuditLog } from '../../src/audit-log/log.ts';
import { memoryAuditBackend } from '../../src/audit-log/memory.ts';
import { validateNow } from '../../src/engine/internal.ts';
import { auditSink } from '../../src/monitor/audit-sink.ts';
import { createDetector } from '../../src/monitor/detector.ts';
import { logSink } from '../../src/monitor/log-sink.ts';
import { prometheusSink } from '../../src/monitor/prometheus.ts';
import { FIREFOX_LINUX, harness, MINUTE } from '../helpers/engine.ts';

const CTX = { ip: '203.0.113.7', userAgent: FIREFOX_LINUX };

describe('sinks', () => {
  test('audit sink: lifecycle events land in the chain in order; noise (touch, invalid tokens) stays out', async () => {
    const h = harness('memory');
    const backend = memoryAuditBackend();
    const log = createAuditLog({ backend });
    const sink = auditSink(h.manager, log);
    const u = await h.manager.login(null, 'amy', {}, CTX);
    h.clock.advance(2 * MINUTE);
    await h.manager.validate(u.token, CTX); // touch
    for (let i = 0; i < 50; i++) await h.manager.validate('A'.repeat(43), CTX); // invalid
    await h.manager.logout(u.session, CTX);
    await sink.flush();
    assert.deepEqual(
      backend.entries.map((e) => e.kind),
      ['session.authenticated', 'session.revoked'],
    );
    const revoked = JSON.parse(backend.entries[1]!.body) as {
      sessionId: string;
      reason: string;
      actor: string;
    };
    assert.deepEqual([revoked.sessionId, revoked.reason, revoked.actor], [u.session.id, 'logout', 'user']);
    assert.ok((await log.verify()).ok);
    await sink.stop();
    h.close();
  });

  test('audit sink: a full queue drops events and records the gap as an audit.dropped entry', async () => {
    const h = harness('memory');
    const backend = memoryAuditBackend();
    const sink = auditSink(h.manager, createAuditLog({ backend }), { maxQueue: 5 });
    for (let i = 0; i < 12; i++) await h.manager.create(CTX); // synchronous store: all before the flush
    await sink.flush();
    assert.equal(sink.dropped, 7);
    assert.deepEqual(
      backend.entries.map((e) => e.kind),
      [...Array(5).fill('session.created'), 'audit.dropped'],
    );
    assert.deepEqual(JSON.parse(backend.entries[5]!.body), { count: 7 });
    await sink.stop();
    h.close();
  });

  test('prometheus: counters by closed label sets, validation timed by outcome, detections by rule', async () => {
    const h = harness('memory', { binding: { userAgent: 'revoke' } });
    const detector = createDetector(h.manager);
    const m = prometheusSink(h.manager, { detector });
    const u = await h.manager.login(null, 'bo', {}, CTX);
    await h.manager.validate(u.token, CTX);
    await h.manager.validate('not-a-token', CTX);
    await h.manager.validate(u.token, { ...CTX, userAgent: 'curl/8.0' }); // binding → revoked
    await detector.settle();
    const text = await m.metrics();
    assert.match(text, /tessera_sessions_created_total\{kind="login"\} 1/);
    assert.match(text, /tessera_sessions_revoked_total\{reason="binding",actor="system"\} 1/);
    assert.match(text, /tessera_session_validation_seconds_count\{outcome="ok"\} 1/);
    assert.match(text, /tessera_session_validation_seconds_count\{outcome="malformed"\} 1/);
    assert.match(text, /tessera_session_validation_seconds_count\{outcome="binding"\} 1/);
    assert.match(text, /tessera_detections_total\{rule="binding-mismatch",action="flag"\} 1/);
    assert.match(text, /tessera_sessions_active 0/);
    assert.ok(
      !text.includes(u.session.id) && !text.includes('bo"') && !text.includes(CTX.ip),
      'no ids or addresses as labels',
    );
    m.stop();
    detector.stop();
    h.close();
  });

  test('off means off: stopping every sink leaves the engine with its own validation and no listeners', async () => {
    const h = harness('memory');
    const proto = Object.getPrototypeOf(h.manager)[validateNow];
    const detector = createDetector(h.manager);
    const m = prometheusSink(h.manager, { detector });
    assert.notEqual((h.manager as unknown as Record<symbol, unknown>)[validateNow], proto);
    m.stop();
    detector.stop();
    assert.equal((h.manager as unknown as Record<symbol, unknown>)[validateNow], proto);
    assert.ok(!Object.hasOwn(h.manager, validateNow));
    h.close();
  });

  test('log sink: security events warn, noise is debug, each line is the event without its type key', async () => {
    const h = harness('memory');
    const lines: Array<Record<string, unknown>> = [];
    const out = new Writable({
      write(c, _e, done) {
        lines.push(JSON.parse(c.toString()));
        done();
      },
    });
    const off = logSink(h.manager, pino({ level: 'debug' }, out));
    await h.manager.validate('B'.repeat(43), CTX);
    const u = await h.manager.login(null, 'cy', {}, CTX);
    await h.manager.validate(u.token, { ...CTX, userAgent: 'curl/8.0' });
    off();
    await h.manager.login(null, 'cy', {}, CTX);
    const byEvent = new Map(lines.map((l) => [l.event, l]));
    assert.equal(byEvent.get('session.invalid_token')?.level, 20);
    assert.equal(byEvent.get('session.authenticated')?.level, 30);
    assert.equal(byEvent.get('session.binding_mismatch')?.level, 40);
    assert.equal(byEvent.get('session.binding_mismatch')?.ip, CTX.ip);
    assert.equal(lines.filter((l) => l.event === 'session.authenticated').length, 1, 'nothing after off()');
    h.close();
  });
});
