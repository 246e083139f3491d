/** Webhooks against a real local receiver: signed, retried with backoff, bounded, final on 4xx. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import {
  SIGNATURE_HEADER,
  signWebhook,
  verifyWebhookSignature,
  webhookSink,
} from '../../src/monitor/webhook.ts';

const SECRET = 'a-webhook-secret-of-at-least-32-bytes!';

interface Received {
  body: string;
  signature: string | undefined;
  delivery: string | undefined;
}

/** A receiver whose answer to each request is decided by `answer(n)` (n counts from 0). */
async function receiver(
  answer: (n: number) => number,
): Promise<{ server: Server; url: string; got: Received[] }> {
  const got: Received[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({
        body,
        signature: req.headers[SIGNATURE_HEADER] as string | undefined,
        delivery: req.headers['tessera-delivery'] as string | undefined,
      });
      res.statusCode = answer(n++);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

describe('webhooks', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  test('each delivery is signed; the receiver can verify it and tell a forgery apart', async () => {
    const r = await receiver(() => 204);
    server = r.server;
    const hooks = webhookSink({ url: r.url, secret: SECRET });
    hooks.send('detection', { rule: 'reuse', sessionId: 'abc' });
    hooks.send('detection', { rule: 'distant-networks', sessionId: 'def' });
    await hooks.drain(5000);
    assert.equal(r.got.length, 2);
    assert.deepEqual(
      r.got.map((g) => JSON.parse(g.body).data.rule),
      ['reuse', 'distant-networks'],
      'in order',
    );
    for (const g of r.got) {
      assert.ok(verifyWebhookSignature(SECRET, g.signature, g.body));
      assert.ok(!verifyWebhookSignature('another-secret-of-at-least-32-bytes!!', g.signature, g.body));
      assert.ok(!verifyWebhookSignature(SECRET, g.signature, g.body.replace('"data":{', '"data":{"x":1,')));
    }
    const old = Math.floor(Date.now() / 1000) - 3600;
    const replayed = signWebhook(SECRET, r.got[0]!.body, old);
    assert.ok(!verifyWebhookSignature(SECRET, replayed, r.got[0]!.body), 'an old signature is refused');
    assert.deepEqual(hooks.stats, { delivered: 2, failed: 0, dropped: 0, retries: 0, queued: 0 });
  });

  test('5xx and 429 are retried with growing delays, keeping the delivery id', async () => {
    const r = await receiver((n) => (n < 3 ? (n === 1 ? 429 : 503) : 200));
    server = r.server;
    const hooks = webhookSink({ url: r.url, secret: SECRET, backoff: 20, maxAttempts: 5 });
    const t0 = Date.now();
    hooks.send('detection', { rule: 'reuse' });
    await hooks.drain(5000);
    assert.equal(r.got.length, 4);
    assert.equal(new Set(r.got.map((g) => g.delivery)).size, 1, 'one delivery id across retries');
    assert.equal(hooks.stats.delivered, 1);
    assert.equal(hooks.stats.retries, 3);
    assert.ok(Date.now() - t0 >= (20 + 40 + 80) / 2, 'backed off between attempts');
  });

  test('a 4xx answer is final; an unreachable receiver gives up after maxAttempts', async () => {
    const r = await receiver(() => 400);
    server = r.server;
    const messages: string[] = [];
    const hooks = webhookSink({ url: r.url, secret: SECRET, backoff: 5, onError: (m) => messages.push(m) });
    hooks.send('detection', {});
    await hooks.drain(5000);
    assert.equal(r.got.length, 1);
    assert.equal(hooks.stats.failed, 1);
    server.close();
    const dead = webhookSink({
      url: `${r.url}?token=never-logged`,
      secret: SECRET,
      backoff: 5,
      maxAttempts: 3,
      onError: (m) => messages.push(m),
    });
    dead.send('detection', {});
    await dead.drain(5000);
    assert.deepEqual([dead.stats.failed, dead.stats.retries], [1, 2]);
    assert.ok(
      messages.every((m) => !m.includes('never-logged')),
      'messages name origin and path only',
    );
  });

  test('the queue is bounded: a storm drops the oldest waiting deliveries, never grows', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const got: string[] = [];
    server = createServer(async (req, res) => {
      let body = '';
      for await (const c of req) body += c;
      got.push(JSON.parse(body).data.i);
      await gate;
      res.end();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const hooks = webhookSink({ url, secret: SECRET, maxQueue: 10 });
    for (let i = 0; i < 1000; i++) hooks.send('detection', { i });
    assert.ok(hooks.stats.queued <= 10);
    assert.equal(hooks.stats.dropped, 990);
    release();
    await hooks.drain(5000);
    assert.equal(got.length, 10);
    assert.equal(got[0], 0, 'the one in flight was kept');
    assert.deepEqual(got.slice(1), [991, 992, 993, 994, 995, 996, 997, 998, 999], 'then the newest');
  });
});
