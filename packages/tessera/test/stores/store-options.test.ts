/**
 * Store factories refuse options they do not know and values of the wrong type with a
 * `ConfigError` (CONFIG_INVALID) naming the key: a typo such as `readCachesize` or `timeoutMS`
 * must not be silently ignored. No server is needed: validation runs before anything connects.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';
import { memoryStore } from '../../src/stores/memory.ts';
import { nearCache } from '../../src/stores/near-cache.ts';
import { postgresInvalidation, postgresRateLimiter, postgresStore } from '../../src/stores/postgres.ts';
import { redisInvalidation, redisStore } from '../../src/stores/redis.ts';
import { sqliteStore } from '../../src/stores/sqlite.ts';

const refused = (make: () => unknown, field: string) =>
  assert.throws(make, (err: unknown) => {
    assert.equal((err as { code?: string }).code, 'CONFIG_INVALID', String(err));
    assert.equal((err as { field?: string }).field, field);
    return true;
  });

test('sqliteStore: unknown keys, wrong types and a non-database are CONFIG_INVALID', () => {
  const database = new Database(':memory:');
  try {
    refused(() => sqliteStore({ database, readCachesize: 5 } as never), 'sqliteStore.readCachesize');
    refused(() => sqliteStore({ database, busyTimeout: '50' } as never), 'sqliteStore.busyTimeout');
    refused(() => sqliteStore({ database, parseCacheSize: -1 }), 'sqliteStore.parseCacheSize');
    refused(() => sqliteStore({ database, readCacheSize: 1.5 }), 'sqliteStore.readCacheSize');
    refused(() => sqliteStore({ database: {} } as never), 'sqliteStore.database');
  } finally {
    database.close();
  }
});

test('redisStore and redisInvalidation: unknown keys and wrong types are CONFIG_INVALID', () => {
  const client = new Redis({ lazyConnect: true });
  try {
    refused(() => redisStore({ client, timeoutMS: 5 } as never), 'redisStore.timeoutMS');
    refused(() => redisStore({ client, timeoutMs: 0 }), 'redisStore.timeoutMs');
    refused(() => redisStore({ client, prefix: 'a{b}' }), 'redisStore.prefix');
    refused(() => redisStore({ client, scanLimit: '10' } as never), 'redisStore.scanLimit');
    refused(() => redisStore({ client: {} } as never), 'redisStore.client');
    refused(() => redisInvalidation({ client, chanel: 'x' } as never), 'redisInvalidation.chanel');
  } finally {
    client.disconnect();
  }
});

test('postgresStore, postgresInvalidation and postgresRateLimiter: unknown keys and wrong types are CONFIG_INVALID', () => {
  const pool = new pg.Pool({ max: 1 });
  refused(() => postgresStore({ pool, sweepchunk: 10 } as never), 'postgresStore.sweepchunk');
  refused(() => postgresStore({ pool, sweepPauseMs: -5 }), 'postgresStore.sweepPauseMs');
  refused(() => postgresStore({ pool, tablePrefix: 'x; DROP TABLE users' }), 'postgresStore.tablePrefix');
  refused(() => postgresStore({ pool: {} } as never), 'postgresStore.pool');
  refused(() => postgresInvalidation({ pool, heartbeatMS: 5 } as never), 'postgresInvalidation.heartbeatMS');
  refused(() => postgresInvalidation({ pool, channel: 'Bad-Channel' }), 'postgresInvalidation.channel');
  refused(() => postgresRateLimiter(pool, { name: 'x y' }), 'postgresRateLimiter.name');
  void pool.end();
});

test('memoryStore and nearCache: unknown keys and wrong types are CONFIG_INVALID', () => {
  refused(() => memoryStore({ sweepevery: 5 } as never), 'memoryStore.sweepevery');
  refused(() => memoryStore({ sweepEvery: 0 }), 'memoryStore.sweepEvery');
  const inner = memoryStore();
  const bus = { publish: async () => {}, subscribe: async () => async () => {} };
  try {
    refused(() => nearCache(inner, { bus, ttl: 5 } as never), 'nearCache.ttl');
    refused(() => nearCache(inner, { bus, maxEntries: 0 }), 'nearCache.maxEntries');
    refused(() => nearCache(inner, { bus: {} } as never), 'nearCache.bus');
  } finally {
    void inner.close?.();
  }
});
