/**
 * `tessera serve` on the shared stores, against real throwaway servers: STORE=redis://… and
 * STORE=postgres://…. The shop's login and the API work, the console's sessions are kept apart,
 * /readyz reports the store, and when the server stops every request fails closed (503).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { serverSkip, startPostgres, startRedis } from '../../tessera/test/servers/index.ts';
import { Client, startService, type TestService } from './helpers.ts';

const kinds = [
  { kind: 'redis' as const, start: async () => startRedis() },
  { kind: 'postgres' as const, start: async () => startPostgres() },
];

for (const { kind, start } of kinds) {
  const skip = serverSkip(kind);
  describe(`tessera serve on ${kind}`, { skip }, () => {
    let server: { url: string; stop(): Promise<void>; start(): Promise<void>; destroy(): Promise<void> };
    let t: TestService;
    let dir = '';
    before(async () => {
      server = await start();
      dir = mkdtempSync(join(tmpdir(), `tessera-${kind}-`));
      t = await startService({ store: server.url, dataDir: dir });
    });
    after(async () => {
      await t?.stop().catch(() => {});
      await server?.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    test('shop login, API validate, readyz', async () => {
      const c = new Client(t.url);
      assert.equal((await c.login()).status, 303);
      assert.match(await (await c.get('/account')).text(), /Hello alice/);
      const key = t.svc.apiKeys.create('k', ['validate']).key;
      const res = await fetch(`${t.url}/v1/sessions/validate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ token: c.cookies.get('__Host-sid'), client: { userAgent: c.userAgent } }),
      });
      const body = (await res.json()) as { valid: boolean; session?: { userId: string } };
      assert.equal(body.valid, true);
      assert.equal(body.session?.userId, 'alice');
      const ready = (await (await fetch(`${t.url}/readyz`)).json()) as { status: string; store: string };
      assert.deepEqual([ready.status, ready.store], ['ready', kind]);
      // The console's search and dashboard work on every shared store.
      const store = t.svc.stores.sessions;
      const found = await store.search?.({ now: Date.now(), text: 'alice', limit: 10 });
      assert.ok(
        found?.some((r) => r.userId === 'alice'),
        `${kind}: search finds alice's session`,
      );
      assert.ok(((await store.countLive?.(Date.now()))?.authenticated ?? 0) >= 1);
    });

    test('the store down: 503 everywhere, never a session', async () => {
      const c = new Client(t.url);
      await c.login('bob', 'builder');
      await server.stop();
      try {
        const page = await c.get('/account');
        assert.equal(page.status, 503);
        assert.equal((await fetch(`${t.url}/readyz`)).status, 503);
      } finally {
        await server.start();
      }
    });
  });
}
