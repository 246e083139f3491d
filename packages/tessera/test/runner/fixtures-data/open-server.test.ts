// A test that passes but leaves a server listening, so its file never exits by itself.
// Not collected by `npm test` (fixtures-data is skipped); test-timeout.test.ts runs it on purpose.
import { createServer } from 'node:http';
import { test } from 'node:test';

test('passes, and forgets to close its server', async () => {
  const server = createServer(() => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
