/**
 * Periodic renewal in a real browser, on every adapter's example: one tab submits a form over a
 * throttled upload while the session's renewal is due, another tab of the same browser keeps
 * working past the grace window. Nobody may be logged out and no reuse alarm may be raised.
 *
 * Without /usr/bin/chromium the tests are skipped loudly; with CI=true they fail instead.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createAdaptorServer } from '@hono/node-server';
import { chromium } from 'playwright-core';
import { createApp as expressApp } from '../../../../examples/express/server.ts';
import { createApp as fastifyApp } from '../../../../examples/fastify/server.ts';
import { createApp as honoApp } from '../../../../examples/hono/server.ts';
import { createApp as nodeApp } from '../../../../examples/node/server.ts';
import type { SessionEvent } from '../../src/engine/events.ts';
import type { SessionManager } from '../../src/engine/session-manager.ts';
import { listen, MINUTE, SECOND, testManager } from '../adapters/helpers.ts';
import { ARGS, available, CHROMIUM, requireChromium } from './chromium.ts';

requireChromium('renewal on every adapter');

type Start = (manager: SessionManager) => Promise<{ url: string; close(): Promise<void> }>;
const adapters: Array<[string, Start]> = [
  ['express', (m) => listen(createServer(expressApp(m)))],
  [
    'fastify',
    async (m) => {
      const app = fastifyApp(m);
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      return { url, close: () => app.close() };
    },
  ],
  ['hono', (m) => listen(createAdaptorServer({ fetch: honoApp(m).fetch }) as Server)],
  ['node:http', (m) => listen(nodeApp(m))],
];

describe('renewal in Chromium: two tabs, one slow upload', { skip: !available && 'no Chromium' }, () => {
  const profiles: string[] = [];
  after(() => {
    for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
  });

  for (const [name, start] of adapters) {
    test(`${name}: no logout and no reuse alarm`, async () => {
      const { manager, clock } = testManager();
      const alarms: SessionEvent[] = [];
      manager.events.on('session.reuse', (e) => alarms.push(e));
      const app = await start(manager);
      const base = `http://localhost:${new URL(app.url).port}`;
      const dir = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
      profiles.push(dir);
      const context = await chromium.launchPersistentContext(dir, {
        executablePath: CHROMIUM,
        headless: true,
        args: ARGS,
      });
      try {
        const tab1 = await context.newPage();
        await tab1.goto(`${base}/login`);
        await tab1.fill('input[name=username]', 'alice');
        await tab1.fill('input[name=password]', 'wonderland');
        await Promise.all([tab1.waitForURL(`${base}/account`), tab1.click('button[type=submit]')]);
        // Tab 1 fills in a 12 kB form and sends it at 4 kB/s (about three seconds in flight).
        await tab1.fill('form[action="/cart"] input[name=item]', 'y'.repeat(12_000));
        const cdp = await context.newCDPSession(tab1);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false,
          latency: 0,
          downloadThroughput: -1,
          uploadThroughput: 4000,
        });
        clock.advance(16 * MINUTE); // the session's renewal is due
        const submitted = tab1.waitForURL(`${base}/account`, { timeout: 20_000 });
        // Submitted from a script, so that nothing waits for the (slow) navigation to finish.
        await tab1.$eval('form[action="/cart"]', (f) => (f as HTMLFormElement).requestSubmit());
        await new Promise((r) => setTimeout(r, 500)); // the request's headers reach the server
        // Tab 2 of the same browser keeps working while the upload is in flight, past the grace window.
        const tab2 = await context.newPage();
        for (let i = 0; i < 3; i++) {
          await tab2.goto(`${base}/account`);
          assert.match((await tab2.textContent('h1')) ?? '', /Hello alice/, `tab 2, visit ${i + 1}`);
          clock.advance(3 * SECOND);
        }
        await submitted;
        assert.match((await tab1.textContent('h1')) ?? '', /Hello alice/, 'tab 1 after its upload');
        assert.match((await tab1.textContent('#cart')) ?? '', /^y{64}$/, 'the upload was saved');
        clock.advance(10 * SECOND);
        await tab2.reload();
        assert.match((await tab2.textContent('h1')) ?? '', /Hello alice/, 'tab 2 afterwards');
        await tab1.reload();
        assert.match((await tab1.textContent('h1')) ?? '', /Hello alice/, 'tab 1 afterwards');
        assert.equal(alarms.length, 0, 'no reuse alarm');
        assert.equal((await manager.listForUser('alice')).length, 1);
      } finally {
        await context.close();
        await app.close();
      }
    });
  }
});
