/**
 * Reports: JSON validates against the published schema, SARIF is 2.1.0-shaped with the rule
 * mappings, Markdown and HTML follow the template's sections, HTML is self-contained, and no
 * output ever contains a whole session token or the password.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import type { AuditReport } from '../src/audit.ts';
import { runAudit } from '../src/audit.ts';
import { parseProfile } from '../src/profile.ts';
import { render } from '../src/report/index.ts';
import { FIXTURE_PROFILE, startFixture } from './fixtures/flawed-app.ts';

let report: AuditReport;
let issued: string[];
const outputs: Record<string, string> = {};

before(async () => {
  const fixture = await startFixture({
    rotateOnLogin: false,
    adoptPlanted: true,
    logout: 'client-only',
    csrfDefence: false,
    idInUrl: true,
    httpOnly: false,
    cacheControl: null,
  });
  try {
    report = await runAudit({ target: fixture.url, profile: parseProfile(FIXTURE_PROFILE), samples: 200 });
  } finally {
    issued = fixture.issued();
    await fixture.close();
  }
  for (const f of ['md', 'html', 'json', 'sarif'] as const) outputs[f] = render(report, f);
});

describe('report formats', () => {
  test('JSON validates against schema/report.schema.json', () => {
    const schema = JSON.parse(readFileSync(new URL('../schema/report.schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
    const data = JSON.parse(outputs.json as string) as AuditReport;
    assert.ok(validate(data), JSON.stringify(validate.errors, null, 2));
    assert.ok(data.findings.length >= 6);
    assert.ok(data.randomness, 'randomness section present');
  });

  test('the committed sample JSON report validates too', () => {
    const schema = JSON.parse(readFileSync(new URL('../schema/report.schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
    const sample = JSON.parse(
      readFileSync(new URL('../../../docs/examples/tessera-express.json', import.meta.url), 'utf8'),
    );
    assert.ok(validate(sample), JSON.stringify(validate.errors, null, 2));
  });

  test('the schema rejects a malformed report', () => {
    const schema = JSON.parse(readFileSync(new URL('../schema/report.schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv({ strict: true }).compile(schema);
    const data = JSON.parse(outputs.json as string);
    data.findings[0].severity = 'critical';
    assert.equal(validate(data), false);
  });

  test('SARIF 2.1.0: rules carry the mappings, results carry levels', () => {
    const sarif = JSON.parse(outputs.sarif as string);
    assert.equal(sarif.version, '2.1.0');
    const run = sarif.runs[0];
    assert.equal(run.tool.driver.name, 'tessera-audit');
    const rules = run.tool.driver.rules as Array<{
      id: string;
      properties: { tags: string[]; cwe: string[]; asvs: string[]; wstg: string[] };
    }>;
    assert.equal(run.results.length, report.findings.length);
    for (const r of run.results) {
      const rule = rules[r.ruleIndex];
      assert.ok(rule);
      assert.equal(rule.id, r.ruleId);
      assert.ok(['error', 'warning', 'note'].includes(r.level));
      assert.ok(rule.properties.tags.some((t) => t.startsWith('external/cwe/cwe-')));
      assert.ok(rule.properties.wstg.length > 0 && rule.properties.asvs.length > 0);
    }
    const fixation = run.results.find((r: { ruleId: string }) => r.ruleId === 'FIXATION-NO-ROTATION');
    assert.equal(fixation.level, 'error');
  });

  test('Markdown follows the template: summary, description, impact, likelihood, steps, recommendations', () => {
    const md = outputs.md as string;
    for (const heading of [
      '## Executive summary',
      '### Description of the vulnerability',
      '### Impact',
      '### Likelihood',
      '### Steps to reproduce',
      '### Recommendations for developers',
      '## Recommendations',
      '## Token randomness',
      '| Severity | Findings |',
    ]) {
      assert.ok(md.includes(heading), heading);
    }
    assert.match(md, /\| High \| [1-9]/);
    assert.match(md, /ASVS 5\.0 V7\.2\.4 · WSTG-SESS-03 · CWE-384/);
  });

  test('HTML is self-contained with inline SVG charts', () => {
    const html = outputs.html as string;
    assert.equal((html.match(/<svg /g) ?? []).length, 3, 'severity, position and bit-bias charts');
    assert.doesNotMatch(html, /<script|<link|src="http|url\(http/i);
    assert.match(html, /<h3>Steps to reproduce<\/h3>/);
  });

  test('no output contains a whole session token or the password', () => {
    const tokens = issued.filter((t) => t.length >= 8);
    assert.ok(tokens.length > 100);
    for (const [format, text] of Object.entries(outputs)) {
      for (const t of tokens) {
        const at = Math.max(text.indexOf(t), text.indexOf(encodeURIComponent(t)));
        assert.equal(
          at,
          -1,
          `${format} contains token ${t.slice(0, 4)}…: …${text.slice(Math.max(0, at - 80), at + 10)}…`,
        );
      }
      assert.ok(!text.includes('wonderland'), `${format} contains the password`);
    }
    assert.match(outputs.md as string, /password=\[password\]/);
  });
});
