/** The cookie jar, the origin guard and redaction. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { HttpClient } from '../src/http/client.ts';
import { CookieJar } from '../src/http/cookie-jar.ts';
import { DEFAULT_LIMITS, Throttle } from '../src/http/limits.ts';
import { makeRedactor, redactText, redactToken } from '../src/http/redact.ts';

test('cookie jar: host-only vs Domain, Path, Secure on loopback, expiry', () => {
  let now = 1_000_000;
  const jar = new CookieJar(() => now);
  const url = new URL('http://app.example.com/account/x');
  jar.store(url, [
    'a=1; Path=/',
    'b=2',
    'c=3; Domain=example.com; Path=/',
    'd=4; Secure; Path=/',
    'e=5; Max-Age=10; Path=/',
    'f=6; Domain=other.com',
  ]);
  assert.equal(jar.headerFor(new URL('http://app.example.com/account/y')), 'b=2; a=1; c=3; e=5');
  assert.equal(jar.headerFor(new URL('http://app.example.com/')), 'a=1; c=3; e=5');
  assert.equal(jar.headerFor(new URL('http://sub.example.com/')), 'c=3');
  now += 11_000;
  assert.equal(jar.headerFor(new URL('http://app.example.com/')), 'a=1; c=3');
  const local = new CookieJar();
  local.store(new URL('http://127.0.0.1:8080/'), ['__Host-sid=x; Secure; Path=/']);
  assert.equal(
    local.headerFor(new URL('http://127.0.0.1:8080/')),
    '__Host-sid=x',
    'loopback is a secure context',
  );
  jar.store(url, ['a=; Max-Age=0; Path=/']);
  assert.equal(jar.get('a'), undefined);
});

test('client: refuses other origins and never follows an off-origin redirect', async () => {
  const server = createServer((req, res) => {
    if (req.url === '/away') res.writeHead(302, { location: 'http://example.invalid/steal' }).end();
    else if (req.url === '/here') res.writeHead(302, { location: '/ok' }).end();
    else res.writeHead(200).end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const client = new HttpClient(new URL(`http://127.0.0.1:${port}`), new Throttle(DEFAULT_LIMITS));
    await assert.rejects(client.send({ path: 'http://example.invalid/' }), { code: 'OFF_ORIGIN' });
    const away = await client.send({ path: '/away', followRedirects: true });
    assert.equal(away.status, 302);
    const here = await client.send({ path: '/here', followRedirects: true });
    assert.equal(here.status, 200);
    assert.equal(new URL(here.url).pathname, '/ok');
  } finally {
    server.close();
  }
});

test('throttle: request count is bounded', async () => {
  const t = new Throttle({ ...DEFAULT_LIMITS, maxRequests: 2 });
  await t.acquire();
  await t.acquire();
  await assert.rejects(t.acquire(), { code: 'REQUEST_LIMIT' });
});

test('redaction shows 4 characters and the length, of a short token only the length', () => {
  const token = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
  assert.equal(redactToken(token), 'abcd…(43 chars)');
  assert.equal(
    redactText(`Cookie: sid=${token}; x=${encodeURIComponent('s:secret/value')}`, [token, 's:secret/value']),
    'Cookie: sid=abcd…(43 chars); x=…(14 chars)',
  );
});

test('the report redactor: short and unknown values after a session name, not deletions', () => {
  const redact = makeRedactor(['longsecretvalue1'], ['connect.sid']);
  assert.equal(
    redact('GET /a;jsessionid=AB12?PHPSESSID=x9 and connect.sid=q; sid=deleted; v=longsecretvalue1'),
    'GET /a;jsessionid=…(4 chars)?PHPSESSID=…(2 chars) and connect.sid=…(1 chars); sid=deleted; v=long…(16 chars)',
  );
  // Idempotent: a redacted value is not redacted again.
  assert.equal(redact('sid=abcd…(43 chars)'), 'sid=abcd…(43 chars)');
});
