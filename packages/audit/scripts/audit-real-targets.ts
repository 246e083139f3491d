/**
 * Measures full default audits of the real targets (PHP built-in server, Django, Tomcat 10):
 * starts each, audits it with the default sampling, prints time, requests/s and findings.
 *
 *   npx tsx packages/audit/scripts/audit-real-targets.ts [php|django|tomcat ...]
 */
import { runAudit } from '../src/audit.ts';
import { parseProfile } from '../src/profile.ts';
import { type RealTarget, startDjango, startPhp, startTomcat } from '../test/fixtures/real-targets.ts';

const STARTERS: Record<string, () => Promise<RealTarget | string>> = {
  php: startPhp,
  django: startDjango,
  tomcat: startTomcat,
};

async function main(): Promise<void> {
  const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(STARTERS);
  for (const name of names) {
    const start = STARTERS[name];
    if (!start) throw new Error(`unknown target ${name}`);
    const target = await start();
    if (typeof target === 'string') {
      console.log(`${name}: skipped (${target})`);
      continue;
    }
    try {
      const report = await runAudit({ target: target.url, profile: parseProfile(target.profile) });
      const s = report.sampling;
      console.log(
        `${target.name}: ${(report.durationMs / 1000).toFixed(1)} s, ${report.requestsSent} requests` +
          (s
            ? `; sampling ${s.collected} tokens in ${(s.durationMs / 1000).toFixed(1)} s at ${Math.round((s.requestsSent * 1000) / s.durationMs)} requests/s${s.stoppedBecause ? ` (stopped: ${s.stoppedBecause})` : ''}`
            : '') +
          `; verdict ${report.randomness?.verdict ?? '-'}; findings: ${[...new Set(report.findings.map((f) => f.ruleId))].sort().join(', ')}`,
      );
    } finally {
      await target.close();
    }
  }
}

await main();
