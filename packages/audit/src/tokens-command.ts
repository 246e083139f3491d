import { readFile } from 'node:fs/promises';
import { AuditError } from './errors.ts';
import { detectDuplicates, detectSequential, type TokenSample } from './predictability.ts';
import { fmtNumber } from './report/text.ts';
import { analyze, type RandomnessReport } from './token-analysis.ts';

/** Reads a file of tokens, one per line (blank lines and surrounding spaces ignored). */
export async function readTokens(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AuditError('TOKENS_FILE_INVALID', `cannot read ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const tokens = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (tokens.length < 2)
    throw new AuditError(
      'TOKENS_FILE_INVALID',
      `${path}: need at least 2 tokens, one per line (found ${tokens.length})`,
    );
  return tokens;
}

/** The `tokens` subcommand's result: the statistical report plus counter/duplicate heuristics. */
export interface TokensResult {
  report: RandomnessReport;
  heuristics: string[];
}

/** Analyses tokens from a file. */
export async function analyzeTokenFile(path: string): Promise<TokensResult> {
  const tokens = await readTokens(path);
  const report = await analyze(tokens);
  const samples: TokenSample[] = tokens.map((value) => ({ value, requestedAt: 0, receivedAt: 0 }));
  const heuristics = [detectSequential(samples), detectDuplicates(samples)]
    .filter((p) => p !== undefined)
    .map((p) => `${p.kind}: ${p.detail}`);
  return { report, heuristics };
}

/** Human-readable table of every test with statistic and p-value. */
export function tokensMarkdown(path: string, r: TokensResult): string {
  const rep = r.report;
  const lines = [
    `# Token analysis: ${path}`,
    '',
    `${rep.sampleSize} tokens · ${rep.encoding} · length ${rep.length.min}–${rep.length.max} · alphabet ${rep.alphabetSize} · ${rep.bitsAnalyzed} bits · entropy: ${Math.floor(rep.nominalBits)} bits nominal, ${rep.effectiveEntropyBits.toFixed(1)} estimated, ${rep.assessedEntropyBits.toFixed(1)} assessed · verdict **${rep.verdict}**`,
    '',
    rep.summary,
    '',
    '| id | Test | Standard | Statistic | p-value | Result |',
    '|---|---|---|---|---|---|',
    ...rep.tests.map(
      (t) =>
        `| ${t.id} | ${t.name} | ${t.standard} | ${fmtNumber(t.statistic)} | ${fmtNumber(t.pValue)} | ${t.passed ? 'pass' : 'fail'} |`,
    ),
    '',
    ...rep.patterns.map((p) => `- pattern ${p.kind}: ${p.detail}`),
    ...r.heuristics.map((h) => `- ${h}`),
    '',
  ];
  return lines.join('\n');
}
