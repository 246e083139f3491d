/**
 * The client address the Express adapter records: the socket's address unless the app trusts a
 * proxy, so a forged `X-Forwarded-For` never reaches the session's binding or its rate limits.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import express from 'express';
import { expressSessions } from '../../src/adapters/express/index.ts';
import { listen, testManager } from './helpers.ts';

async function firstIpSeen(trustProxy: string | false, forwardedFor: string): Promise<string | null> {
  const { manager } = testManager();
  const app = express();
  if (trustProxy) app.set('trust proxy', trustProxy);
  app.use(expressSessions(manager));
  app.get('/start', async (req, res) => {
    await req.session.tessera.login('alice');
    res.end('ok');
  });
  const server = await listen(createServer(app));
  try {
    const res = await fetch(`${server.url}/start`, { headers: { 'x-forwarded-for': forwardedFor } });
    assert.equal(res.status, 200);
    const [session] = await manager.listForUser('alice');
    return session?.device.firstIp ?? null;
  } finally {
    await server.close();
  }
}

test('without trust proxy, X-Forwarded-For is ignored: the socket address is recorded', async () => {
  assert.equal(await firstIpSeen(false, '203.0.113.7'), '127.0.0.1');
});

test('with trust proxy, the forwarded client address is recorded, as req.ip gives it', async () => {
  assert.equal(await firstIpSeen('loopback', '203.0.113.7'), '203.0.113.7');
});
