/**
 * Brute force: 100,000 random well-formed tokens from one address. None finds a session; the
 * invalid-token rule throttles the address (its guesses stop reaching the store); users at other
 * addresses keep working throughout. Then the same over real HTTP: 429 with Retry-After.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { nodeSessions } from '../../src/adapters/node/index.ts';
import { generateToken } from '../../src/crypto/token.ts';
import { isTesseraError } from '../../src/errors.ts';
import type { RequestInfo } from '../../src/http/session-handler.ts';
import { createSessionHandler } from '../../src/http/session-handler.ts';
import { createDetector } from '../../src/monitor/detector.ts';
import { FIREFOX_LINUX, harness } from '../helpers/engine.ts';

const GUESSES = 100_000;
const ATTACKER = '192.0.2.200';
const sink = { setCookie: () => {}, setHeader: () => {} };
const request = (ip: string, token: string): RequestInfo => ({
  method: 'GET',
  header: (n) => (n === 'user-agent' ? 'guesser/1.0' : n === 'host' ? 'localhost' : undefined),
  cookie: `__Host-sid=${token}`,
  ip,
  encrypted: true,
});

for (const action of ['flag', 'throttle'] as const) {
  test(`${GUESSES.toLocaleString('en')} random tokens from one address (rule: ${action})`, async () => {
    const h = harness('sqlite');
    const detector = createDetector(h.manager, {
      rules: { invalidTokenFlood: { action, points: 50, window: '1m', blockFor: '15m' } },
    });
    try {
      const handler = createSessionHandler(h.manager);
      const users = [];
      for (let i = 0; i < 10; i++)
        users.push(
          await h.manager.login(null, `user${i}`, {}, { ip: `10.0.${i}.1`, userAgent: FIREFOX_LINUX }),
        );
      let hits = 0;
      let throttled = 0;
      let legitOk = 0;
      let storeReadsAfterBlock = -1;
      for (let i = 0; i < GUESSES; i++) {
        try {
          const rs = await handler.begin(request(ATTACKER, generateToken()), sink);
          if (rs.current !== null) hits++;
        } catch (err) {
          assert.ok(isTesseraError(err, 'RATE_LIMITED'), String(err));
          if (throttled === 0) storeReadsAfterBlock = h.store.count('get');
          throttled++;
        }
        if (i % 1000 === 0) {
          const u = users[(i / 1000) % users.length]!;
          const rs = await handler.begin(
            {
              ...request(`10.0.${(i / 1000) % users.length}.1`, u.token),
              header: (n) => (n === 'user-agent' ? FIREFOX_LINUX : undefined),
            },
            sink,
          );
          if (rs.current?.userId === `user${(i / 1000) % users.length}`) legitOk++;
        }
      }
      await detector.settle();
      assert.equal(hits, 0, 'no guess found a session');
      assert.equal(legitOk, GUESSES / 1000, 'every legitimate request kept working');
      const found = await detector.list({ rule: 'invalid-token-flood' });
      assert.equal(found.length, 1, 'one detection for the flood, not one per guess');
      if (action === 'throttle') {
        assert.ok(throttled >= GUESSES - 100, `throttled ${throttled}`);
        // Once blocked, guesses never reach the store: the only reads after are the legitimate users'.
        assert.ok(
          h.store.count('get') - storeReadsAfterBlock <= GUESSES / 1000,
          'guesses stopped reaching the store',
        );
      } else {
        assert.equal(throttled, 0, 'flag only: nothing refused');
        assert.ok(h.store.count('get') >= GUESSES, 'every guess was looked up');
      }
    } finally {
      detector.stop();
      h.close();
    }
  });
}

test('over HTTP: the guessing address gets 429 with Retry-After, another client gets its page', async () => {
  const h = harness('memory');
  const detector = createDetector(h.manager, { rules: { invalidTokenFlood: { points: 20 } } });
  // The test stands in for a trusted proxy that tells the app the client's address.
  const sessions = nodeSessions(h.manager, {
    clientIp: (req: IncomingMessage) => String(req.headers['x-client-ip']),
  });
  const server = createServer(async (req, res) => {
    try {
      const s = await sessions.getSession(req, res);
      if (req.url === '/login') await s.login('zoe');
      res.end(s.userId ?? 'guest');
    } catch (err) {
      sessions.sendError(req, res, err);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const login = await fetch(`${base}/login`, { headers: { 'x-client-ip': '10.1.1.1' } });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 60; i++) {
      const r = await fetch(`${base}/`, {
        headers: { 'x-client-ip': ATTACKER, cookie: `__Host-sid=${generateToken()}` },
      });
      statuses.push(r.status);
      if (r.status === 429) {
        retryAfter = r.headers.get('retry-after');
        assert.equal(r.headers.get('content-type'), 'application/problem+json');
        assert.equal(((await r.json()) as { code: string }).code, 'RATE_LIMITED');
      } else await r.text();
    }
    assert.ok(statuses.filter((s) => s === 429).length >= 35, statuses.join(','));
    assert.ok(Number(retryAfter) > 800, `Retry-After ${retryAfter}`);
    const legit = await fetch(`${base}/`, { headers: { 'x-client-ip': '10.1.1.1', cookie } });
    assert.equal(legit.status, 200);
    assert.equal(await legit.text(), 'zoe');
  } finally {
    detector.stop();
    server.close();
    h.close();
  }
});
