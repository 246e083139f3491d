#!/usr/bin/env node
// tessera: the package ships TypeScript sources; tsx loads them.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/cli.ts');
await run();
