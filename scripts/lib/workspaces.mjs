// The monorepo's packages, read from the root package.json `workspaces` (folders matching
// "packages/*"), in build order: a package comes after the workspace packages it depends on.
// Every script that builds, checks, packs or documents the packages starts here, so a new
// package under packages/ joins all of them without a list to edit.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');

/** The export condition that maps each subpath to its TypeScript source inside this repository. */
export const SOURCE_CONDITION = 'tessera-source';

/**
 * @typedef {{ name: string, dir: string, rel: string, manifest: Record<string, any> }} Workspace
 * @returns {Workspace[]} every workspace package, dependencies first
 */
export function workspaces() {
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const found = [];
  for (const pattern of rootManifest.workspaces ?? []) {
    const dirs = pattern.endsWith('/*')
      ? readdirSync(join(root, pattern.slice(0, -2)), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => join(pattern.slice(0, -2), d.name))
      : [pattern];
    for (const rel of dirs.sort()) {
      const file = join(root, rel, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      // `"exports": "./x"` is the same as `{ ".": "./x" }`; scripts always see the object form.
      if (typeof manifest.exports === 'string') manifest.exports = { '.': manifest.exports };
      manifest.exports ??= {};
      found.push({ name: manifest.name, dir: join(root, rel), rel, manifest });
    }
  }
  const byName = new Map(found.map((w) => [w.name, w]));
  const ordered = [];
  const state = new Map();
  const visit = (w) => {
    if (state.get(w.name) === 'done') return;
    if (state.get(w.name) === 'visiting') throw new Error(`workspace dependency cycle through ${w.name}`);
    state.set(w.name, 'visiting');
    const m = w.manifest;
    const deps = {
      ...m.dependencies,
      ...m.peerDependencies,
      ...m.optionalDependencies,
      ...m.devDependencies,
    };
    for (const dep of Object.keys(deps)) {
      const other = byName.get(dep);
      if (other && other !== w) visit(other);
    }
    state.set(w.name, 'done');
    ordered.push(w);
  };
  for (const w of found) visit(w);
  return ordered;
}

/** The workspaces that are published (not `"private": true`). */
export function publicWorkspaces() {
  return workspaces().filter((w) => !w.manifest.private);
}
