/**
 * Options everywhere raise ConfigError (CONFIG_INVALID) naming the key: a typo or a wrong type in
 * the engine's satellites (detector, webhook, audit sink, OIDC receiver, audit backends, rate-limit
 * backend) is refused at start-up, never silently ignored. Bad call arguments are INVALID_ARGUMENT.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import {
  createAuditLog,
  memoryAuditBackend,
  redisAuditBackend,
  sqliteAuditBackend,
} from '../../src/audit-log/index.ts';
import { ConfigError, fromRateLimiterFlexible, SessionManager } from '../../src/index.ts';
import { auditSink, createDetector, sqliteDetectionStore, webhookSink } from '../../src/monitor/index.ts';
import { backChannelLogout, memoryReplayCache } from '../../src/oidc/index.ts';
import { memoryStore } from '../../src/stores/memory.ts';
import { engineUnderTest, keys } from '../helpers/engine.ts';

/** Asserts a ConfigError whose `field` is exactly `field`, and that the message names it. */
function refused(run: () => unknown, field: string): void {
  assert.throws(run, (err) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError for ${field}, got ${String(err)}`);
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.equal(err.field, field);
    assert.ok(err.message.includes(`\`${field}\``), err.message);
    return true;
  });
}

const OIDC = { issuer: 'https://sso.example', audience: 'shop', jwks: { keys: [] } };
const SECRET = 'x'.repeat(32);

describe('options are validated and errors name the key', () => {
  test('detector', () => {
    const { manager } = engineUnderTest();
    const bad: Array<[unknown, string]> = [
      [{ rulez: {} }, 'rulez'],
      [{ rules: { resue: { action: 'flag' } } }, 'rules.resue'],
      [{ rules: { reuse: { acton: 'revoke' } } }, 'rules.reuse.acton'],
      [{ rules: { reuse: { action: 'nuke' } } }, 'rules.reuse.action'],
      [{ rules: { invalidTokenFlood: { points: 0 } } }, 'rules.invalidTokenFlood.points'],
      [{ rules: { invalidTokenFlood: { limiter: {} } } }, 'rules.invalidTokenFlood.limiter'],
      [{ rules: { distantNetworks: { ipv4PrefixBits: 33 } } }, 'rules.distantNetworks.ipv4PrefixBits'],
      [{ rules: { distantNetworks: { window: 'soon' } } }, 'rules.distantNetworks.window'],
      [{ rules: { bindingMismatch: { bindings: ['ua'] } } }, 'rules.bindingMismatch.bindings'],
      [{ rules: { anonymousFlood: { maxAnonymous: 1.5 } } }, 'rules.anonymousFlood.maxAnonymous'],
      [{ store: {} }, 'store'],
      [{ onError: 'console' }, 'onError'],
    ];
    for (const [options, field] of bad) refused(() => createDetector(manager, options as never), field);
    createDetector(manager, { rules: { reuse: { action: 'revoke' } } }).stop();
  });

  test('OIDC back-channel logout and its replay cache', () => {
    const { manager } = engineUnderTest();
    const bad: Array<[unknown, string]> = [
      [{ ...OIDC, audiance: 'shop' }, 'backChannelLogout.audiance'],
      [{ ...OIDC, audience: [] }, 'backChannelLogout.audience'],
      [{ ...OIDC, jwks: 'not a url' }, 'backChannelLogout.jwks'],
      [{ ...OIDC, jwks: { kees: [] } }, 'backChannelLogout.jwks'],
      [{ ...OIDC, algorithms: 'RS256' }, 'backChannelLogout.algorithms'],
      [{ ...OIDC, algorithms: ['HS256'] }, 'backChannelLogout.algorithms'],
      [{ ...OIDC, replayCache: {} }, 'backChannelLogout.replayCache'],
      [{ ...OIDC, maxTokenAge: 'forever' }, 'backChannelLogout.maxTokenAge'],
    ];
    for (const [options, field] of bad) refused(() => backChannelLogout(manager, options as never), field);
    backChannelLogout(manager, OIDC);
    refused(() => memoryReplayCache({ maxEntries: 0 }), 'memoryReplayCache.maxEntries');
    refused(() => memoryReplayCache({ maxEntry: 5 } as never), 'memoryReplayCache.maxEntry');
  });

  test('webhook and audit sinks', () => {
    const { manager } = engineUnderTest();
    const bad: Array<[unknown, string]> = [
      [{ url: 'hooks.example/x', secret: SECRET }, 'webhook.url'],
      [{ url: 'ftp://hooks.example/x', secret: SECRET }, 'webhook.url'],
      [{ url: 'https://hooks.example/x', secret: 'short' }, 'webhook.secret'],
      [{ url: 'https://hooks.example/x', secret: SECRET, maxQueue: -1 }, 'webhook.maxQueue'],
      [{ url: 'https://hooks.example/x', secret: SECRET, timeout: '10s' }, 'webhook.timeout'],
      [{ url: 'https://hooks.example/x', secret: SECRET, retries: 3 }, 'webhook.retries'],
    ];
    for (const [options, field] of bad) refused(() => webhookSink(options as never), field);
    const log = createAuditLog({ backend: memoryAuditBackend() });
    refused(() => auditSink(manager, log, { maxQueue: 0 }), 'auditSink.maxQueue');
    refused(() => auditSink(manager, log, { skipped: [] } as never), 'auditSink.skipped');
  });

  test('audit log and audit backends', () => {
    const db = new Database(':memory:');
    try {
      refused(() => sqliteAuditBackend({ database: db, tablePrefix: 'x; DROP TABLE t; --' }), 'tablePrefix');
      refused(() => sqliteAuditBackend({ database: db, prefix: 'a_' } as never), 'sqliteAuditBackend.prefix');
      refused(() => createAuditLog({ backend: {} } as never), 'auditLog.backend');
      refused(
        () => createAuditLog({ backend: memoryAuditBackend(), checkpointkey: null } as never),
        'auditLog.checkpointkey',
      );
      refused(
        () => redisAuditBackend({ client: {} as never, maxAttempts: 0 }),
        'redisAuditBackend.maxAttempts',
      );
    } finally {
      db.close();
    }
  });

  test('a rate-limiter-flexible adapter without a limiter', () => {
    refused(() => fromRateLimiterFlexible(undefined as never), 'limiter');
  });

  test('table prefixes of the SQLite audit backend and detection store', () => {
    const db = new Database(':memory:');
    try {
      refused(() => sqliteAuditBackend({ database: db, tablePrefix: 'x; DROP TABLE t; --' }), 'tablePrefix');
      refused(() => sqliteDetectionStore({ database: db, tablePrefix: 'a-b' }), 'tablePrefix');
    } finally {
      db.close();
    }
  });

  test('a rate-limit backend that builds no limiter', () => {
    refused(
      () =>
        new SessionManager({
          store: memoryStore(),
          keys: keys(),
          logger: { warn() {} },
          rateLimiters: () => undefined as never,
        }),
      'rateLimiters',
    );
  });

  test('bad call arguments are INVALID_ARGUMENT, not a TypeError', async () => {
    const log = createAuditLog({ backend: memoryAuditBackend() });
    await assert.rejects(log.append('', {}), { code: 'INVALID_ARGUMENT', name: 'InvalidArgumentError' });
  });
});
