/**
 * The test servers' port handling: Node servers listen on port 0; servers that cannot (redis-server,
 * postgres, nginx) start through onFreePort, which survives another process taking the probed port
 * between the probe and the bind.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { onFreePort } from './index.ts';

function bind(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

test('a port taken between probe and bind: the start is retried on another port', async () => {
  const squatter = createServer();
  const tried: number[] = [];
  const server = await onFreePort(async (port) => {
    tried.push(port);
    if (tried.length === 1) await bind(squatter, port); // someone else gets there first
    const s = createServer();
    await bind(s, port); // EADDRINUSE on the first attempt
    return s;
  });
  try {
    assert.equal(tried.length, 2);
    assert.notEqual(tried[0], tried[1]);
    assert.equal((server.address() as { port: number }).port, tried[1]);
  } finally {
    server.close();
    squatter.close();
  }
});

test('other start failures are not retried', async () => {
  let calls = 0;
  await assert.rejects(
    onFreePort(async () => {
      calls++;
      throw new Error('redis-server exited (1): bad config');
    }),
    /bad config/,
  );
  assert.equal(calls, 1);
});
