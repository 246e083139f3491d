/**
 * The shared layer of the adapter contract, without a framework: option validation of the handler,
 * guards parsing their durations once, and error rendering with `onError` and one logger.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, CsrfError, SessionExpiredError } from '../../src/errors.ts';
import { freshGuard, validateAdapterOptions } from '../../src/http/index.ts';
import { createSessionHandler } from '../../src/http/session-handler.ts';
import { testManager } from '../adapters/helpers.ts';

test('createSessionHandler refuses unknown keys and wrong types with ConfigError naming them', () => {
  const { manager } = testManager();
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ verifyCSRF: false }, /`verifyCSRF`/],
    [{ trustProxy: 'yes' }, /`trustProxy`.*true or false/],
    [{ logger: { info: () => {} } }, /`logger\.warn`/],
    [{ csrf: { allowedOrigins: ['https://a.example', 3] } }, /`csrf\.allowedOrigins\[1\]`/],
    [{ clientIp: () => null }, /`clientIp`.*not a known option/], // an adapter option, not the handler's
  ];
  for (const [options, field] of bad) {
    assert.throws(
      () => createSessionHandler(manager, options),
      (err: unknown) =>
        err instanceof ConfigError && err.code === 'CONFIG_INVALID' && field.test(err.message),
      JSON.stringify(Object.keys(options)),
    );
  }
  assert.doesNotThrow(() => validateAdapterOptions({ clientIp: () => null, deviceBound: undefined }));
});

test("guards parse durations when the route is defined: '5 minutes' fails at start-up, not per request", () => {
  assert.throws(
    () => freshGuard('5 minutes' as never),
    (err: unknown) => err instanceof ConfigError,
  );
  assert.doesNotThrow(() => freshGuard('5m'));
  assert.doesNotThrow(() => freshGuard(300_000));
});

test('errorResponse: onError may replace the response; the log never holds a body parser message', () => {
  const { manager } = testManager();
  const logged: string[] = [];
  const handler = createSessionHandler(manager, {
    loginUrl: '/login',
    logger: { warn: (m) => logged.push(m) },
    onError: (err, res) => (err instanceof CsrfError ? { ...res, body: 'custom' } : undefined),
  });
  assert.equal(handler.errorResponse(new CsrfError('Origin is not allowed'), undefined).body, 'custom');
  const expired = handler.errorResponse(new SessionExpiredError('idle'), 'text/html');
  assert.equal(expired.status, 303);
  assert.equal(expired.headers.location, '/login?session=expired');
  // A JSON parser's message quotes the body it choked on.
  const parse = Object.assign(new SyntaxError('Unexpected token "password=hunter2" is not valid JSON'), {
    status: 400,
  });
  const out = handler.errorResponse(parse, undefined);
  assert.equal(out.status, 400);
  assert.equal(out.problem.code, 'BAD_REQUEST');
  assert.ok(!out.body.includes('hunter2'));
  handler.errorResponse(new Error('db connection string postgres://x'), undefined);
  assert.equal(logged.length, 2);
  assert.ok(!logged[0]!.includes('hunter2'), logged[0]);
  assert.match(logged[1]!, /unexpected error/);
  assert.equal(logged.length, 2, 'Tessera errors are not logged');
});
