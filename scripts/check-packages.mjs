#!/usr/bin/env node
// Checks what each published workspace package gives its users (run after scripts/build.mjs):
//   1. the repository's own conventions for package.json (exports shape, metadata, files);
//   2. the packed file list: built files, README, LICENSE, CHANGELOG, and nothing else;
//   3. publint (package.json against the packed files, strict: warnings fail);
//   4. @arethetypeswrong/cli (types resolve like the JavaScript, node16 and bundler; ESM only).
// `node scripts/check-packages.mjs [name-or-folder…]`; exit 1 when anything fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { publicWorkspaces, SOURCE_CONDITION } from './lib/workspaces.mjs';

const only = process.argv.slice(2);
const selected = publicWorkspaces().filter(
  (w) => only.length === 0 || only.includes(w.name) || only.includes(w.rel),
);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Conventions every package here follows (docs/packaging.md). */
function conventions(w) {
  const m = w.manifest;
  const problems = [];
  const need = (ok, message) => {
    if (!ok) problems.push(message);
  };
  need(m.type === 'module', '"type" must be "module"');
  need(m.sideEffects === false, '"sideEffects" must be false');
  need(m.license === 'MIT', '"license" must be "MIT"');
  need(
    m.repository?.url && m.repository?.directory === w.rel,
    `"repository" needs url and directory "${w.rel}"`,
  );
  need(typeof m.engines?.node === 'string', '"engines.node" is missing');
  need(
    m.publishConfig?.access === 'public' && m.publishConfig?.provenance === true,
    '"publishConfig" needs access public, provenance true',
  );
  need(Array.isArray(m.files) && m.files.includes('dist'), '"files" must list "dist"');
  for (const f of ['README.md', 'LICENSE', 'CHANGELOG.md'])
    need(existsSync(join(w.dir, f)), `${f} is missing`);
  need(!m.main && !m.module && !m.types, 'use "exports" only (no main/module/types)');
  for (const dep of ['tsx', 'typescript'])
    need(!m.dependencies?.[dep], `"${dep}" must not be a runtime dependency`);

  const mapped = (where, key, value, withTypes) => {
    if (typeof value === 'string') {
      need(!value.startsWith('./src/'), `${where} ${key}: a plain path must not point into src/`);
      need(existsSync(join(w.dir, value)), `${where} ${key}: ${value} does not exist`);
      return;
    }
    const keys = Object.keys(value ?? {});
    const expected = withTypes ? [SOURCE_CONDITION, 'types', 'default'] : [SOURCE_CONDITION, 'default'];
    if (keys.join() !== expected.join()) {
      problems.push(
        `${where} ${key}: conditions must be exactly ${expected.join(', ')} (in that order), got ${keys.join(', ')}`,
      );
      return;
    }
    const source = value[SOURCE_CONDITION];
    const m1 = /^\.\/src\/(.+)\.ts$/.exec(source);
    if (!m1) {
      problems.push(`${where} ${key}: ${SOURCE_CONDITION} must be ./src/….ts, got ${source}`);
      return;
    }
    need(existsSync(join(w.dir, source)), `${where} ${key}: ${source} does not exist`);
    need(value.default === `./dist/${m1[1]}.js`, `${where} ${key}: default must be ./dist/${m1[1]}.js`);
    if (withTypes)
      need(value.types === `./dist/${m1[1]}.d.ts`, `${where} ${key}: types must be ./dist/${m1[1]}.d.ts`);
    for (const c of withTypes ? ['types', 'default'] : ['default'])
      need(
        existsSync(join(w.dir, value[c])),
        `${where} ${key}: ${value[c]} was not built (run npm run build)`,
      );
  };
  if (Object.keys(m.exports).length === 0) problems.push('"exports" is missing');
  else for (const [key, value] of Object.entries(m.exports)) mapped('exports', key, value, true);
  for (const [key, value] of Object.entries(m.imports ?? {})) mapped('imports', key, value, false);
  for (const [name, file] of Object.entries(
    typeof m.bin === 'string' ? { [m.name]: m.bin } : (m.bin ?? {}),
  )) {
    const path = join(w.dir, file);
    if (!existsSync(path)) {
      problems.push(`bin ${name}: ${file} does not exist`);
      continue;
    }
    const text = readFileSync(path, 'utf8');
    need(text.startsWith('#!/usr/bin/env node'), `bin ${name}: must start with #!/usr/bin/env node`);
    need(!/from ['"]tsx|import\(['"]tsx|--import[= ]tsx/.test(text), `bin ${name}: must not load tsx`);
    need(!/['"][^'"]*\/src\//.test(text), `bin ${name}: must not import from src/`);
  }
  return problems;
}

/** The files `npm pack` would put in the tarball, checked against what users need. */
function packedFiles(w) {
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: w.dir,
    encoding: 'utf8',
  });
  const files = JSON.parse(out)[0].files.map((f) => f.path);
  // dist/ holds the compiled JavaScript and declarations, and the assets the build copies from src/.
  const allowed =
    /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/.+\.(js|d\.ts|css|svg|png|ico|html|json)|bin\/[^/]+\.(mjs|js)|schema\/.+\.json)$/;
  const problems = files
    .filter((f) => !allowed.test(f))
    .map((f) => `tarball holds ${f} (not something users need)`);
  for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'])
    if (!files.includes(f)) problems.push(`tarball lacks ${f}`);
  if (!files.some((f) => f.startsWith('dist/'))) problems.push('tarball has no dist/ (run npm run build)');
  return { files, problems };
}

let failed = false;
for (const w of selected) {
  console.log(`\n── ${w.name} (${w.rel})`);
  const problems = conventions(w);
  const packed = packedFiles(w);
  problems.push(...packed.problems);
  console.log(`tarball: ${packed.files.length} files`);

  const { messages, pkg } = await publint({ pkgDir: w.dir, strict: true, pack: 'npm' });
  for (const msg of messages) {
    const line = `publint ${msg.type}: ${formatMessage(msg, pkg) ?? msg.code}`;
    if (msg.type === 'suggestion') console.log(line);
    else problems.push(line);
  }
  if (messages.length === 0) console.log('publint: all good');

  const attw = spawnSync(
    'npx',
    ['--no-install', 'attw', '--pack', '.', '--profile', 'esm-only', '--format', 'ascii'],
    {
      cwd: w.dir,
      encoding: 'utf8',
    },
  );
  if (attw.status === 0)
    console.log('attw: no problems (node16 from ESM, bundler; ESM only, so node10 and CJS ignored)');
  else problems.push(`attw failed:\n${attw.stdout}${attw.stderr}`);

  for (const p of problems) console.log(`✖ ${p}`);
  if (problems.length > 0) failed = true;
}
console.log(
  failed ? '\npackage checks failed' : `\npackage checks passed (${selected.map((w) => w.name).join(', ')})`,
);
process.exit(failed ? 1 : 0);
