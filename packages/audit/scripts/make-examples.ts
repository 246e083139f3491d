/**
 * Regenerates the sample reports in docs/examples/: two flawed fixtures, express-session in its
 * default configuration, and Tessera's Express example (started here with STORE=memory).
 *
 *   npx tsx --conditions=tessera-source packages/audit/scripts/make-examples.ts          (TESSERA_SAMPLES=300 for a larger token sample)
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { type AuditReport, runAudit } from '../src/audit.ts';
import { loadProfile, parseProfile } from '../src/profile.ts';
import { type Format, render } from '../src/report/index.ts';
import { EXPRESS_PROFILE, startExpressDefault } from '../test/fixtures/express-default.ts';
import { FIXTURE_PROFILE, type FixtureOptions, startFixture } from '../test/fixtures/flawed-app.ts';
import { startDjango, startPhp, startTomcat } from '../test/fixtures/real-targets.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const OUT = resolve(ROOT, 'docs/examples');

async function write(name: string, report: AuditReport, formats: Format[]): Promise<void> {
  for (const f of formats) {
    const file = resolve(OUT, `${name}.${f === 'md' ? 'md' : f === 'sarif' ? 'sarif.json' : f}`);
    await writeFile(file, render(report, f));
    console.log(`wrote ${file}`);
  }
}

async function fixture(name: string, flaws: FixtureOptions, samples: number): Promise<void> {
  const app = await startFixture(flaws);
  try {
    const report = await runAudit({ target: app.url, profile: parseProfile(FIXTURE_PROFILE), samples });
    await write(name, report, ['md', 'html', 'sarif']);
  } finally {
    await app.close();
  }
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function tessera(): Promise<void> {
  const file = resolve(ROOT, 'examples/express/server.ts');
  if (!existsSync(file)) {
    console.log('examples/express/server.ts not found: skipping the Tessera report');
    return;
  }
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=tessera-source', file], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', STORE: 'memory' },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`${url}/login`);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    // The example allows 60 new sessions a minute per address: 40 samples keep the run short;
    // TESSERA_SAMPLES=300 takes about five minutes (the auditor waits out the rate limit).
    const samples = Number(process.env.TESSERA_SAMPLES ?? 40);
    const report = await runAudit({
      target: url,
      profile: await loadProfile(resolve(OUT, 'tessera-express.audit.yaml')),
      samples,
    });
    await write('tessera-express', report, ['md', 'html', 'sarif', 'json']);
  } finally {
    child.kill();
  }
}

await mkdir(OUT, { recursive: true });
await fixture(
  'fixture-fixation-logout-csrf',
  {
    cookieName: 'sid',
    httpOnly: false,
    sameSite: null,
    secure: false,
    rotateOnLogin: false,
    adoptPlanted: true,
    logout: 'client-only',
    csrfDefence: false,
    idInUrl: true,
    cacheControl: null,
  },
  2000,
);
await fixture('fixture-sequential-ids', { ids: 'sequential' }, 2000);
await fixture('fixture-timestamp-hash-ids', { ids: 'timestamp-hash' }, 2000);
const express = await startExpressDefault();
try {
  const report = await runAudit({
    target: express.url,
    profile: parseProfile(EXPRESS_PROFILE),
    samples: 2000,
  });
  await write('express-session-default', report, ['md', 'html', 'sarif']);
} finally {
  await express.close();
}
await tessera();

// Real stacks (skipped when not installed): PHP's built-in server, Django, Tomcat 10.
for (const [name, start] of [
  ['php-native-sessions', startPhp],
  ['django-default', startDjango],
  ['tomcat10-jsp', startTomcat],
] as const) {
  const target = await start();
  if (typeof target === 'string') {
    console.log(`${name}: skipped (${target})`);
    continue;
  }
  try {
    const report = await runAudit({ target: target.url, profile: parseProfile(target.profile) });
    await write(name, report, ['md', 'html', 'sarif']);
  } finally {
    await target.close();
  }
}
