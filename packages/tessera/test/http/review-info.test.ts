/**
 * The "decide and document" items of the security review (issue #8): publicOrigin is required in
 * production, the Host header is sanitised in the plain-HTTP warning, Clear-Site-Data is an option,
 * and a token retired by login replayed within the grace window emits an event.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { ConfigError } from '../../src/errors.ts';
import type { ResponseSink } from '../../src/http/request-session.ts';
import { createSessionHandler, type RequestInfo } from '../../src/http/session-handler.ts';
import { createSessionManager } from '../../src/index.ts';
import { memoryStore } from '../../src/stores/memory.ts';

const manager = () =>
  createSessionManager({
    store: memoryStore(),
    keys: [{ id: 'k', key: Buffer.alloc(32, 2) }],
    logger: { warn() {} },
  });
const request = (headers: Record<string, string>, cookie?: string): RequestInfo => ({
  method: 'POST',
  header: (n) => headers[n],
  cookie,
  ip: '192.0.2.1',
  encrypted: false,
});

describe('security review: decided items', () => {
  const env = process.env.NODE_ENV;
  afterEach(() => {
    if (env === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = env;
  });

  test('NODE_ENV=production requires publicOrigin (unless the CSRF guard is off)', () => {
    process.env.NODE_ENV = 'production';
    assert.throws(
      () => createSessionHandler(manager()),
      (e) => e instanceof ConfigError && /publicOrigin/.test(e.message),
    );
    createSessionHandler(manager(), { publicOrigin: 'https://shop.example' });
    createSessionHandler(manager(), { csrf: false });
  });

  test('the plain-HTTP warning never repeats the Host header verbatim', async () => {
    const warnings: string[] = [];
    const h = createSessionHandler(manager(), { logger: { warn: (m) => warnings.push(m) } });
    const sink: ResponseSink = { setCookie() {}, setHeader() {} };
    await h.begin(request({ host: `evil.example\u001b[31m<script>${'x'.repeat(500)}` }), sink);
    assert.equal(warnings.length, 1);
    assert.ok(!warnings[0]!.includes('\u001b') && !warnings[0]!.includes('<script>'));
    assert.ok(warnings[0]!.length < 600, 'the host is truncated');
  });

  test('Clear-Site-Data on logout: "cookies" by default, configurable, or off', async () => {
    for (const [option, expected] of [
      [undefined, '"cookies"'],
      ['"cache", "storage"', '"cache", "storage"'],
      [false, undefined],
    ] as const) {
      const m = manager();
      const h = createSessionHandler(m, option === undefined ? {} : { clearSiteData: option });
      const headers = new Map<string, string>();
      const sink: ResponseSink = {
        setCookie() {},
        setHeader: (n, v) => void headers.set(n.toLowerCase(), v),
      };
      const { token } = await m.login(null, 'alice');
      const rs = await h.begin(request({ host: 'localhost' }, `__Host-sid=${token}`), sink);
      await rs.logout();
      assert.equal(headers.get('clear-site-data'), expected, String(option));
    }
  });

  test('a token retired by login, replayed within the grace window, emits session.invalid_token (retired)', async () => {
    const m = manager();
    const seen: string[] = [];
    m.events.on('session.invalid_token', (e) => seen.push(e.reason));
    const anon = await m.create();
    await m.login(anon.session, 'alice');
    assert.deepEqual(await m.validate(anon.token), { ok: false, reason: 'revoked' });
    assert.deepEqual(seen, ['retired']);
  });
});
