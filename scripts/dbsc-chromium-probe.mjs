#!/usr/bin/env node
/**
 * Does this machine's Chromium perform Device Bound Session Credentials? Serves one page whose
 * response offers registration (`Secure-Session-Registration`), opens it in Chromium with the DBSC
 * testing switches (software keys instead of a TPM, no origin-trial token), and reports whether the
 * browser came back to the registration path. If it ever prints "registers: yes", a real-browser
 * test of Tessera's DBSC endpoints can be added (see docs/device-bound-sessions.md).
 *
 * Usage: node scripts/dbsc-chromium-probe.mjs [/usr/bin/chromium]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const executablePath = process.argv[2] ?? '/usr/bin/chromium';
const FEATURES = [
  'DeviceBoundSessions:RequireOriginTrialTokens/false/RefreshQuota/false',
  'EnableBoundSessionCredentialsSoftwareKeysForManualTesting',
  'DeviceBoundSessionsDevTools',
];
// Playwright passes its own --enable-features; Chromium honours only the last one, so ours carries both.
const PLAYWRIGHT_FEATURES = '--enable-features=CDPScreenshotNewSurface,SkipListAccountsWithoutGaiaCookies';

const seen = [];
const server = createServer((req, res) => {
  seen.push(`${req.method} ${req.url}`);
  if (req.url === '/start') {
    res.writeHead(200, {
      'content-type': 'text/html',
      'set-cookie': '__Host-probe=1; Path=/; Secure; HttpOnly; SameSite=Lax',
      'secure-session-registration': '(ES256 RS256);path="/register";challenge="probe-challenge"',
    });
    res.end('<p>DBSC probe</p>');
    return;
  }
  res.writeHead(400).end();
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const profile = mkdtempSync(join(tmpdir(), 'dbsc-probe-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  ignoreDefaultArgs: [PLAYWRIGHT_FEATURES],
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', `${PLAYWRIGHT_FEATURES},${FEATURES.join(',')}`],
});
try {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  let devtools = 'no';
  try {
    await cdp.send('Network.enable');
    await cdp.send('Network.enableDeviceBoundSessions', { enable: true });
    devtools = 'yes';
  } catch {}
  const dbscEvents = [];
  cdp.on('Network.deviceBoundSessionEventOccurred', (e) => dbscEvents.push(e));
  await page.goto(`http://localhost:${server.address().port}/start`);
  await new Promise((resolve) => setTimeout(resolve, 5000));
  console.log(`chromium: ${context.browser()?.version() ?? executablePath}`);
  console.log(`DevTools DBSC domain: ${devtools}; DBSC events: ${dbscEvents.length}`);
  console.log(`registers: ${seen.some((s) => s.startsWith('POST /register')) ? 'yes' : 'no'}`);
  console.log(`requests seen: ${seen.join(', ')}`);
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
