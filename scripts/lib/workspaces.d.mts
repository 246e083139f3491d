/** Types of workspaces.mjs, for the TypeScript tests that use it. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  exports: Record<string, string | { default: string; types?: string }>;
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  [key: string]: unknown;
}
export interface Workspace {
  name: string;
  dir: string;
  rel: string;
  manifest: Manifest;
}
export const root: string;
export const SOURCE_CONDITION: string;
export function workspaces(): Workspace[];
export function publicWorkspaces(): Workspace[];
