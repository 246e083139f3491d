/** The one-time warning for a Secure cookie served over plain HTTP beyond localhost. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ResponseSink } from '../../src/http/request-session.ts';
import {
  createSessionHandler,
  type RequestInfo,
  type SessionHandlerOptions,
} from '../../src/http/session-handler.ts';
import { createSessionManager } from '../../src/index.ts';
import { memoryStore } from '../../src/stores/memory.ts';

const sink: ResponseSink = { setCookie() {}, setHeader() {} };

function request(headers: Record<string, string>, encrypted = false): RequestInfo {
  return { method: 'GET', header: (n) => headers[n], cookie: undefined, ip: '192.0.2.1', encrypted };
}

function handlerWith(options: SessionHandlerOptions = {}) {
  const warnings: string[] = [];
  const manager = createSessionManager({
    store: memoryStore(),
    keys: [{ id: 'k', key: Buffer.alloc(32, 2) }],
  });
  const handler = createSessionHandler(manager, { ...options, logger: { warn: (m) => warnings.push(m) } });
  return { handler, warnings };
}

describe('plain HTTP beyond localhost', () => {
  test('warns once, naming the host and the fixes', async () => {
    const { handler, warnings } = handlerWith();
    await handler.begin(request({ host: 'shop.example:8080' }), sink);
    await handler.begin(request({ host: 'shop.example:8080' }), sink);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /shop\.example.*plain HTTP.*HTTPS.*trustProxy/s);
  });

  test('stays quiet for localhost, TLS, a trusted TLS proxy, publicOrigin and insecure cookies', async () => {
    const quiet: Array<[SessionHandlerOptions, RequestInfo]> = [
      [{}, request({ host: 'localhost:3000' })],
      [{}, request({ host: '127.0.0.1:3000' })],
      [{}, request({ host: '[::1]:3000' })],
      [{}, request({ host: 'shop.example' }, true)],
      [{ trustProxy: true }, request({ host: 'shop.example', 'x-forwarded-proto': 'https' })],
      [{ publicOrigin: 'https://shop.example' }, request({ host: 'shop.example' })],
      [{ cookie: { insecure: true } }, request({ host: 'shop.example' })],
    ];
    for (const [options, req] of quiet) {
      const { handler, warnings } = handlerWith(options);
      await handler.begin(req, sink);
      assert.deepEqual(warnings, [], JSON.stringify(options));
    }
  });

  test('an untrusted X-Forwarded-Proto does not silence it', async () => {
    const { handler, warnings } = handlerWith();
    await handler.begin(request({ host: 'shop.example', 'x-forwarded-proto': 'https' }), sink);
    assert.equal(warnings.length, 1);
  });
});
