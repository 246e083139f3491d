#!/usr/bin/env node
// tessera-audit: runs the built CLI (dist/cli.js). Inside the Tessera repository, with
// `--conditions=tessera-source` and the tsx loader, `#cli` resolves to src/cli.ts instead.
import { main } from '#cli';

await main();
