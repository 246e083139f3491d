/**
 * The User-Agent binding (issue #8, item 8): a browser switching modes ("Desktop site" on Android
 * Chrome, "Request Mobile Website" on iPad Safari) keeps its session; a cookie replayed from another
 * browser is still caught; records from before `uaBrowser` keep their old comparison.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { type Harness, harness, STORE_KINDS } from '../helpers/engine.ts';

export const UA = {
  androidChrome:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  androidChromeDesktopSite:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  ipadSafari:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  ipadSafariMobileSite:
    'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  firefoxAndroid: 'Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0',
  firefoxMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0',
};

for (const kind of STORE_KINDS) {
  describe(`User-Agent binding and browser modes (${kind})`, () => {
    let h: Harness;
    afterEach(() => h?.close());

    const cases: Array<[string, string, string, string]> = [
      ['Android Chrome "Desktop site"', UA.androidChrome, UA.androidChromeDesktopSite, UA.firefoxAndroid],
      ['iPad Safari "Request Mobile Website"', UA.ipadSafari, UA.ipadSafariMobileSite, UA.firefoxMac],
    ];
    for (const [name, home, switched, stranger] of cases) {
      test(`${name}: the mode switch keeps the session; another browser's replay is revoked`, async () => {
        h = harness(kind);
        const { manager, events } = h;
        const user = await manager.login(null, 'alice', {}, { userAgent: home });
        for (const ua of [switched, home, switched]) {
          const r = await manager.validate(user.token, { userAgent: ua });
          assert.ok(r.ok, `still signed in after switching to ${ua.slice(13, 40)}…`);
          assert.equal(r.session.stepUpRequired, false);
        }
        assert.equal(events.filter((e) => e.type === 'session.binding_mismatch').length, 0);
        assert.deepEqual(await manager.validate(user.token, { userAgent: stranger }), {
          ok: false,
          reason: 'binding',
        });
      });
    }

    test('a record from before uaBrowser keeps the browser-and-OS comparison', async () => {
      h = harness(kind);
      const { manager, store } = h;
      const user = await manager.login(null, 'alice', {}, { userAgent: UA.androidChrome });
      const rec = (await store.inner.get(user.session.id))!;
      const { uaBrowser: _gone, ...legacy } = rec.binding;
      assert.ok(await store.inner.update({ ...rec, binding: legacy, version: rec.version + 1 }, rec.version));
      assert.ok((await manager.validate(user.token, { userAgent: UA.androidChrome })).ok);
      assert.equal(
        (await manager.validate(user.token, { userAgent: UA.androidChromeDesktopSite })).ok,
        false,
      );
    });
  });
}
