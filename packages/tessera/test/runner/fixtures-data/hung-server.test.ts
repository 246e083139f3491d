// A test that never ends: a request to a server that never answers (what a hung server looks like).
// Not collected by `npm test` (fixtures-data is skipped); test-timeout.test.ts runs it on purpose.
import { createServer } from 'node:http';
import { test } from 'node:test';

test('waits forever on a server that never answers', async () => {
  const server = createServer(() => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await fetch(`http://127.0.0.1:${port}/`);
});
