#!/usr/bin/env node
// Generates the API reference (HTML) into docs/api/ with TypeDoc, from the TSDoc of every
// public export of every published workspace package: one module per package.json `exports`
// subpath, named as users import it (`@tessera-sessions/core/express`). Warnings fail the run,
// so CI catches broken {@link}s, unexported types in public signatures and the like.
// `node scripts/api-docs.mjs [--out dir]`; docs/api/ is generated, not committed.
import { join, relative } from 'node:path';
import { Application, Converter, ReflectionKind } from 'typedoc';
import { publicWorkspaces, root, SOURCE_CONDITION } from './lib/workspaces.mjs';

const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? process.argv[outArg + 1] : join(root, 'docs/api');

/** Source file → the import specifier users write. */
const names = new Map();
for (const w of publicWorkspaces()) {
  for (const [subpath, target] of Object.entries(w.manifest.exports)) {
    if (typeof target !== 'object' || !target[SOURCE_CONDITION]) continue;
    names.set(join(w.dir, target[SOURCE_CONDITION]), `${w.name}${subpath.slice(1)}`);
  }
}

const app = await Application.bootstrapWithPlugins({
  name: 'Tessera',
  entryPoints: [...names.keys()],
  entryPointStrategy: 'resolve',
  tsconfig: join(root, 'tsconfig.json'),
  out,
  readme: join(root, 'docs/api-readme.md'),
  excludePrivate: true,
  excludeInternal: true,
  excludeExternals: true,
  sort: ['kind', 'instance-first', 'alphabetical-ignoring-documents'],
  treatWarningsAsErrors: true,
  validation: { notExported: true, invalidLink: true, rewrittenLink: true, notDocumented: false },
  githubPages: false,
  hideGenerator: true,
  disableSources: true,
  logLevel: 'Warn',
});

app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
  for (const mod of context.project.getReflectionsByKind(ReflectionKind.Module)) {
    const symbol = context.getSymbolFromReflection(mod);
    const file = symbol?.declarations?.[0]?.getSourceFile().fileName;
    const name = file && names.get(file);
    if (name) mod.name = name;
  }
});

const project = await app.convert();
if (!project) process.exit(1);
app.validate(project);
if (app.logger.hasErrors() || app.logger.hasWarnings()) {
  console.error('api-docs: TypeDoc reported problems (above)');
  process.exit(1);
}
await app.generateDocs(project, out);
if (app.logger.hasErrors() || app.logger.hasWarnings()) process.exit(1);
console.log(`API reference: ${relative(root, out)}/index.html (${names.size} modules)`);
