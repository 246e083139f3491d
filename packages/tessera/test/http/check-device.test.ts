/**
 * `SessionHandler.checkDevice`: the handler's per-request DBSC check for a session validated
 * elsewhere (a reverse-proxy auth endpoint reading a forwarded Cookie header). A browser registers
 * with the node example; a second handler with the same options then judges Cookie headers: the
 * owner's proves the key, the session cookie alone is treated as stolen under `onMissingProof`,
 * and unbound sessions (or DBSC off) are `unbound`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createApp } from '../../../../examples/node/server.ts';
import type { DeviceBoundOptions } from '../../src/http/dbsc/index.ts';
import { createSessionHandler } from '../../src/http/session-handler.ts';
import { DbscBrowser } from '../adapters/dbsc-browser.ts';
import { listen, testManager } from '../adapters/helpers.ts';

/** The proxy forwards the browser's User-Agent (Node's fetch sends `node`), as the binding needs. */
const ctx = { ip: null, userAgent: 'node' };
const noHeaders = { header: () => undefined };

async function withBoundBrowser(
  deviceBound: DeviceBoundOptions,
  run: (t: {
    check: (cookie: string) => ReturnType<ReturnType<typeof createSessionHandler>['checkDevice']>;
    browser: DbscBrowser;
    sid: string;
    live: () => Promise<boolean>;
  }) => Promise<void>,
): Promise<void> {
  const tm = testManager();
  const app = await listen(createApp(tm.manager, { deviceBound }));
  try {
    const browser = new DbscBrowser(app.url, tm.clock);
    await browser.login();
    assert.ok(browser.session, 'the browser registered a key');
    tm.clock.advance(11_000); // past the registration grace
    const sid = browser.cookie('__Host-sid')!;
    const handler = createSessionHandler(tm.manager, { csrf: false, deviceBound });
    const check = async (cookie: string) => {
      const r = await tm.manager.validate(sid, ctx);
      assert.ok(r.ok, 'the session cookie itself is valid');
      return handler.checkDevice(r.session, { cookie, ...noHeaders }, ctx);
    };
    const live = async () => (await tm.manager.validate(sid, ctx)).ok;
    await run({ check, browser, sid, live });
  } finally {
    await app.close();
  }
}

test('checkDevice: the owner’s cookies prove the key; the session cookie alone is stolen and revoked', async () => {
  await withBoundBrowser({}, async ({ check, browser, sid, live }) => {
    assert.equal((await check(browser.cookieHeader())).kind, 'proven');
    assert.equal((await check(`__Host-sid=${sid}`)).kind, 'revoked');
    assert.equal(await live(), false, 'the default policy revoked the session');
  });
});

test('checkDevice under onMissingProof: step-up flags the session instead of revoking it', async () => {
  await withBoundBrowser({ onMissingProof: 'step-up' }, async ({ check, sid, live }) => {
    const verdict = await check(`__Host-sid=${sid}; __Host-sid-bound=0.${'A'.repeat(43)}`);
    assert.equal(verdict.kind, 'step-up');
    assert.ok(verdict.kind === 'step-up' && verdict.session.stepUpRequired);
    assert.equal(await live(), true);
  });
});

test('checkDevice: an unbound session, or a handler without DBSC, answers unbound', async () => {
  const tm = testManager();
  const { token } = await tm.manager.login(null, 'bob', {}, ctx);
  const r = await tm.manager.validate(token, ctx);
  assert.ok(r.ok);
  const cookie = `__Host-sid=${token}`;
  const on = createSessionHandler(tm.manager, { csrf: false, deviceBound: {} });
  const off = createSessionHandler(tm.manager, { csrf: false });
  assert.equal((await on.checkDevice(r.session, { cookie, ...noHeaders }, ctx)).kind, 'unbound');
  assert.equal((await off.checkDevice(r.session, { cookie, ...noHeaders }, ctx)).kind, 'unbound');
});
