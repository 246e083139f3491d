/**
 * The `device-proof` detection rule, driven by the real DBSC endpoints (node:http example app and
 * the protocol-level DBSC browser): a copied cookie jar used after the bound cookie expired, and a
 * refresh signed by another key, are detected; a browser that simply refreshes is not, nor is a
 * replayed (stale) challenge, which a network race produces too.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createApp } from '../../../../examples/node/server.ts';
import { createDetector } from '../../src/monitor/detector.ts';
import { DbscBrowser, deviceKey } from '../adapters/dbsc-browser.ts';
import { listen, MINUTE, testManager } from '../adapters/helpers.ts';

async function setup(action?: 'flag' | 'revoke') {
  const tm = testManager();
  const detector = createDetector(tm.manager, {
    rules: { deviceProof: action ? { action } : {} },
    onError: (e) => assert.fail(String(e)),
  });
  const app = await listen(createApp(tm.manager, { deviceBound: {} }));
  const browser = () => new DbscBrowser(app.url, tm.clock);
  const detections = async () => {
    await detector.settle();
    return detector.list({ limit: 100 });
  };
  const close = async () => {
    detector.stop();
    await app.close();
  };
  return { ...tm, browser, detections, close };
}

describe('detection rule: device-proof', () => {
  test('a copied jar used after the bound cookie expired is detected (high)', async () => {
    const s = await setup();
    try {
      const victim = s.browser();
      await victim.login();
      const thief = victim.stealCookies();
      s.clock.advance(11 * MINUTE);
      assert.equal((await thief.fetch('/me')).status, 401);
      const [d] = await s.detections();
      assert.equal(d?.rule, 'device-proof');
      assert.equal(d.severity, 'high');
      assert.deepEqual(d.details, {
        stage: 'request',
        reason: 'bound-cookie-invalid',
        enginePolicy: 'revoke',
      });
      assert.equal(d.userId, 'alice');
    } finally {
      await s.close();
    }
  });

  test('a refresh signed by another key is detected; revoke ends every session of the user', async () => {
    const s = await setup('revoke');
    try {
      const victim = s.browser();
      await victim.login();
      const other = s.browser();
      await other.login();
      const thief = victim.stealCookies();
      thief.session = { ...victim.session!, key: deviceKey(), cachedChallenge: null };
      assert.equal((await thief.refresh()).status, 400);
      const [d] = await s.detections();
      assert.equal(d?.details.reason, 'signature');
      assert.equal(d.details.stage, 'refresh');
      assert.equal((await other.fetch('/me')).status, 401, 'every session of the user ended');
    } finally {
      await s.close();
    }
  });

  test('no false positive: refreshes, and a stale challenge (a race or a replay) alone', async () => {
    const s = await setup();
    try {
      const b = s.browser();
      await b.login();
      for (let i = 0; i < 3; i++) {
        s.clock.advance(11 * MINUTE);
        assert.equal((await b.request('/me')).status, 200);
      }
      const replay = await b.fetch('/.tessera/dbsc/refresh', {
        method: 'POST',
        headers: { 'sec-secure-session-id': b.session!.id, 'secure-session-response': b.sentProofs.at(-1)! },
      });
      assert.equal(replay.status, 403);
      assert.deepEqual(await s.detections(), []);
    } finally {
      await s.close();
    }
  });
});
