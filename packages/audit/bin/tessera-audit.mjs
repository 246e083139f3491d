#!/usr/bin/env node
// tessera-audit: the package ships TypeScript sources; tsx loads them.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
await main();
