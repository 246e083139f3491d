#!/usr/bin/env node
// tessera: runs the built CLI (dist/cli.js). Inside the Tessera repository, with
// `--conditions=tessera-source` and the tsx loader, `#cli` resolves to src/cli.ts instead.
import { run } from '#cli';

await run();
