/**
 * Tessera's own example apps, audited from the outside with the committed profile
 * (docs/examples/tessera-express.audit.yaml — every example serves the same routes), and the
 * service's demo shop (`tessera serve`) with its own profile (docs/examples/tessera-server.audit.yaml).
 * Each must come out clean: no finding, no check in error. Examples that do not exist yet are
 * skipped with the reason shown.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { runAudit } from '../src/audit.ts';
import { loadProfile } from '../src/profile.ts';
import { statuses } from './helpers.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const PROFILE = resolve(ROOT, 'docs/examples/tessera-express.audit.yaml');
// The examples rate-limit anonymous session creation (60 a minute per address), so the sample stays small.
const SAMPLES = 30;

/** The first `http://host:port` a server prints once it listens (PORT=0: the OS picked the port). */
const LISTENING = /http:\/\/(?:localhost|127\.0\.0\.1):(\d+)/;

async function startExample(
  file: string,
  args: string[] = [],
): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=tessera-source', file, ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', STORE: 'memory' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const until = Date.now() + 60_000; // five servers start at once on a busy machine
  while (Date.now() < until && child.exitCode === null) {
    const port = LISTENING.exec(out)?.[1];
    if (port !== undefined && port !== '0') {
      const url = `http://127.0.0.1:${port}`;
      try {
        await fetch(`${url}/login`, { redirect: 'manual' });
        return { url, child, output: () => out };
      } catch {
        // listening, not answering yet
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error(`${file} did not start:\n${out}`);
}

const TARGETS = [
  ...['express', 'node', 'fastify', 'hono'].map((name) => ({
    title: `examples/${name}`,
    file: resolve(ROOT, 'examples', name, 'server.ts'),
    args: [] as string[],
    profile: PROFILE,
  })),
  {
    title: 'tessera serve (demo shop)',
    file: resolve(ROOT, 'packages/server/bin/tessera.mjs'),
    args: ['serve'],
    profile: resolve(ROOT, 'docs/examples/tessera-server.audit.yaml'),
  },
];

describe('Tessera example apps come out clean', { concurrency: true }, () => {
  for (const { title, file, args, profile } of TARGETS) {
    const exists = existsSync(file);
    test(title, {
      skip: exists ? false : `${file} does not exist yet`,
    }, async () => {
      const app = await startExample(file, args);
      try {
        const report = await runAudit({
          target: app.url,
          profile: await loadProfile(profile),
          samples: SAMPLES,
        });
        assert.ok(
          report.checks.every((c) => c.status !== 'error'),
          JSON.stringify(statuses(report)),
        );
        assert.equal(report.sessionCookie, '__Host-sid');
        assert.deepEqual(
          report.findings.map((f) => `${f.ruleId}: ${f.evidence.join('; ')}`),
          [],
        );
        const ran = report.checks.filter((c) => c.status === 'passed').map((c) => c.check);
        for (const c of [
          'cookie-attributes',
          'fixation',
          'logout',
          'rotation',
          'csrf',
          'caching',
          'randomness',
          'token-in-url',
        ]) {
          assert.ok(ran.includes(c as never), `${c} did not pass: ${JSON.stringify(statuses(report))}`);
        }
      } finally {
        app.child.kill();
      }
    });
  }
});
