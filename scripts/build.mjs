#!/usr/bin/env node
// Builds every workspace package (or those named: `node scripts/build.mjs @tessera-sessions/core`)
// from src/ to dist/: ESM JavaScript plus .d.ts, one output file per source file, with tsc
// (tsconfig.build.json). Relative imports are written with `.ts` in the sources; tsc's
// rewriteRelativeImportExtensions turns them into `.js` in the JavaScript, and a declaration
// transformer does the same in the .d.ts files (tsc keeps `.ts` there, which editors other than
// VS Code and TypeScript before 5.0 do not follow). Packages build in dependency order, so a
// package that imports another workspace package compiles against that package's built .d.ts,
// exactly as a user's project does. Files in src/ that are not TypeScript (stylesheets or images
// that code reads from beside itself) are copied to the same place under dist/; Markdown notes
// for maintainers are not.
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { root, workspaces } from './lib/workspaces.mjs';

const only = process.argv.slice(2);
const selected = workspaces().filter(
  (w) => only.length === 0 || only.includes(w.name) || only.includes(w.rel),
);
if (only.length > 0 && selected.length !== only.length) {
  console.error(`build: unknown package in ${only.join(', ')}`);
  process.exit(2);
}

const relativeTs = /^\.\.?\/.*\.ts$/;
const toJs = (specifier) => (relativeTs.test(specifier) ? specifier.replace(/\.ts$/, '.js') : specifier);

/** Declaration transformer: `./x.ts` → `./x.js` in import/export declarations and `import('./x.ts')` types. */
function rewriteDeclarationSpecifiers(context) {
  const f = context.factory;
  const visit = (node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier) &&
      relativeTs.test(node.moduleSpecifier.text)
    ) {
      const spec = f.createStringLiteral(toJs(node.moduleSpecifier.text));
      return ts.isImportDeclaration(node)
        ? f.updateImportDeclaration(node, node.modifiers, node.importClause, spec, node.attributes)
        : f.updateExportDeclaration(
            node,
            node.modifiers,
            node.isTypeOnly,
            node.exportClause,
            spec,
            node.attributes,
          );
    }
    if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal) &&
      relativeTs.test(node.argument.literal.text)
    ) {
      const arg = f.createLiteralTypeNode(f.createStringLiteral(toJs(node.argument.literal.text)));
      return f.updateImportTypeNode(
        node,
        arg,
        node.attributes,
        node.qualifier,
        node.typeArguments,
        node.isTypeOf,
      );
    }
    return ts.visitEachChild(node, visit, context);
  };
  return (file) => (ts.isSourceFile(file) ? ts.visitEachChild(file, visit, context) : file);
}

/** Copies every file under `from` that is neither TypeScript nor Markdown to the same path under `to`. */
function copyAssets(from, to) {
  let n = 0;
  for (const entry of readdirSync(from, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || /\.(ts|md)$/.test(entry.name)) continue;
    const file = join(entry.parentPath, entry.name);
    cpSync(file, join(to, relative(from, file)));
    n += 1;
  }
  return n;
}

const host = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => root,
  getNewLine: () => '\n',
};

let failed = false;
for (const w of selected) {
  const started = performance.now();
  const src = join(w.dir, 'src');
  if (!existsSync(src)) {
    console.error(`build: ${w.rel} has no src/ folder`);
    failed = true;
    continue;
  }
  const base = ts.readConfigFile(join(root, 'tsconfig.build.json'), ts.sys.readFile);
  if (base.error) throw new Error(ts.formatDiagnostic(base.error, host));
  const config = ts.parseJsonConfigFileContent(
    {
      ...base.config,
      extends: join(root, 'tsconfig.build.json'),
      compilerOptions: { rootDir: src, outDir: join(w.dir, 'dist') },
      include: [join(src, '**/*.ts')],
    },
    ts.sys,
    w.dir,
  );
  if (config.errors.length) {
    console.error(ts.formatDiagnostics(config.errors, host));
    failed = true;
    continue;
  }
  rmSync(join(w.dir, 'dist'), { recursive: true, force: true });
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
  const emitted = program.emit(undefined, undefined, undefined, false, {
    afterDeclarations: [rewriteDeclarationSpecifiers],
  });
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  if (diagnostics.length) {
    console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
    failed = true;
    continue;
  }
  const assets = copyAssets(src, join(w.dir, 'dist'));
  const ms = Math.round(performance.now() - started);
  console.log(
    `built ${w.name} → ${relative(root, join(w.dir, 'dist'))} (${config.fileNames.length} files${assets ? `, ${assets} assets` : ''}, ${ms} ms)`,
  );
}
process.exit(failed ? 1 : 0);
