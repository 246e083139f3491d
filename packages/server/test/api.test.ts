/**
 * The session API against a real service over HTTP: every endpoint, every response checked against
 * the served OpenAPI document, and bad input (malformed JSON, wrong types, unknown fields, huge
 * bodies, wrong media type, missing/invalid/under-scoped keys) answered with problem JSON while
 * nothing changes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { openApiDocument } from '../src/api/openapi.ts';
import { Client, ShiftedClock, startService, type TestService } from './helpers.ts';

const ajv = new Ajv2020({ strict: false, validateFormats: false });
ajv.addSchema({ ...openApiDocument, $id: 'openapi' } as object);

/** Checks a response against the document's schema for its path, method and status. */
async function conforms(res: Response, path: string, method: string): Promise<unknown> {
  const op = (
    openApiDocument.paths as Record<
      string,
      Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
    >
  )[path]?.[method];
  assert.ok(op, `${method} ${path} is documented`);
  const documented = op.responses[String(res.status)];
  assert.ok(documented, `${method} ${path} documents status ${res.status}`);
  const text = await res.text();
  const content = documented.content;
  if (!content) return text;
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!;
  const media = content[type];
  assert.ok(
    media,
    `${method} ${path} ${res.status} documents ${type} (has ${Object.keys(content).join(', ')})`,
  );
  const body = JSON.parse(text) as unknown;
  const validate = ajv.compile(rewrite(media.schema));
  assert.ok(validate(body), `${method} ${path} ${res.status}: ${ajv.errorsText(validate.errors)}\n${text}`);
  return body;
}

/** Points the document's local $refs at the registered document. */
function rewrite(schema: object): object {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')) as object;
}

describe('session API', () => {
  let t: TestService;
  let manageKey = '';
  let validateKey = '';
  let adminKey = '';
  const call = (
    method: string,
    path: string,
    key: string | null,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    fetch(t.url + path, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  const live = async () => (await t.svc.stores.sessions.countLive!(Date.now())).live;

  before(async () => {
    t = await startService();
    manageKey = t.svc.apiKeys.create('test manage', ['manage']).key;
    validateKey = t.svc.apiKeys.create('test validate', ['validate']).key;
    adminKey = t.svc.apiKeys.create('test admin', ['admin']).key;
  });
  after(() => t.stop());

  test('the OpenAPI document is served without a key and describes every route', async () => {
    const res = await call('GET', '/v1/openapi.json', null);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    assert.equal(doc.openapi, '3.1.0');
    for (const p of [
      '/v1/sessions',
      '/v1/sessions/validate',
      '/v1/sessions/{id}',
      '/v1/users/{userId}/sessions',
      '/v1/auth',
      '/v1/events',
    ])
      assert.ok(doc.paths[p], p);
  });

  test('issue → validate → rotate → reauthenticate → list → get → revoke, each response as documented', async () => {
    let res = await call('POST', '/v1/sessions', manageKey, {
      userId: 'carol',
      authLevel: 1,
      client: { ip: '203.0.113.5', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' },
      data: { cart: ['cobalt'] },
    });
    assert.equal(res.status, 201);
    const issued = (await conforms(res, '/v1/sessions', 'post')) as {
      token: string;
      setCookie: string;
      session: { id: string; userId: string; fresh: boolean };
    };
    assert.equal(issued.session.userId, 'carol');
    assert.equal(issued.session.fresh, true);
    assert.match(issued.setCookie, /^__Host-sid=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const client = { ip: '203.0.113.5', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' };

    res = await call('POST', '/v1/sessions/validate', validateKey, { token: issued.token, client });
    const v = (await conforms(res, '/v1/sessions/validate', 'post')) as {
      valid: boolean;
      data: unknown;
      session: { id: string };
    };
    assert.equal(v.valid, true);
    assert.deepEqual(v.data, { cart: ['cobalt'] });

    res = await call('POST', '/v1/sessions/rotate', manageKey, { token: issued.token, authLevel: 2, client });
    const rotated = (await conforms(res, '/v1/sessions/rotate', 'post')) as {
      token: string;
      session: { authLevel: number };
    };
    assert.equal(rotated.session.authLevel, 2);
    assert.notEqual(rotated.token, issued.token);
    res = await call('POST', '/v1/sessions/validate', validateKey, { token: issued.token, client });
    assert.deepEqual(await conforms(res, '/v1/sessions/validate', 'post'), {
      valid: false,
      reason: 'revoked',
    });

    res = await call('POST', '/v1/sessions/reauthenticate', manageKey, { token: rotated.token, client });
    const re = (await conforms(res, '/v1/sessions/reauthenticate', 'post')) as {
      token: string;
      session: { id: string };
    };

    res = await call('GET', '/v1/users/carol/sessions', manageKey);
    const list = (await conforms(res, '/v1/users/{userId}/sessions', 'get')) as {
      sessions: Array<{ id: string }>;
    };
    assert.deepEqual(
      list.sessions.map((s) => s.id),
      [re.session.id],
    );

    res = await call('GET', `/v1/sessions/${re.session.id}`, manageKey);
    assert.equal(
      ((await conforms(res, '/v1/sessions/{id}', 'get')) as { session: { id: string } }).session.id,
      re.session.id,
    );

    res = await call('DELETE', `/v1/sessions/${re.session.id}`, manageKey);
    assert.equal(res.status, 204);
    res = await call('DELETE', `/v1/sessions/${re.session.id}`, manageKey);
    await conforms(res, '/v1/sessions/{id}', 'delete');
    assert.equal(res.status, 404);
    res = await call('GET', `/v1/sessions/${re.session.id}`, manageKey);
    assert.equal(res.status, 404);
    res = await call('POST', '/v1/sessions/validate', validateKey, { token: re.token, client });
    assert.deepEqual(await conforms(res, '/v1/sessions/validate', 'post'), {
      valid: false,
      reason: 'revoked',
    });
  });

  test('revoke all of a user and logout by token', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call('POST', '/v1/sessions', manageKey, { userId: 'dave' });
      tokens.push(((await r.json()) as { token: string }).token);
    }
    let res = await call('POST', '/v1/sessions/logout', manageKey, { token: tokens[0] });
    assert.equal(res.status, 204);
    await conforms(res, '/v1/sessions/logout', 'post');
    res = await call('DELETE', '/v1/users/dave/sessions', manageKey);
    assert.deepEqual(await conforms(res, '/v1/users/{userId}/sessions', 'delete'), { revoked: 2 });
    for (const token of tokens) {
      const r = await call('POST', '/v1/sessions/validate', validateKey, { token });
      assert.equal(((await r.json()) as { valid: boolean }).valid, false);
    }
  });

  test('rotate with a dead token: SESSION_INVALID problem', async () => {
    const res = await call('POST', '/v1/sessions/rotate', manageKey, { token: 'A'.repeat(43) });
    assert.equal(res.status, 401);
    const p = (await conforms(res, '/v1/sessions/rotate', 'post')) as { code: string; reason: string };
    assert.equal(p.code, 'SESSION_INVALID');
    assert.equal(p.reason, 'unknown');
  });

  test('bad input → problem JSON naming the field, and nothing changed', async () => {
    const before = await live();
    const cases: Array<
      [string, string | object, number, string, string | undefined, Record<string, string>?]
    > = [
      ['malformed JSON', '{"userId": "x",', 400, 'REQUEST_INVALID', undefined],
      ['not an object', '"alice"', 400, 'REQUEST_INVALID', '(body)'],
      ['wrong type', { userId: 5 }, 400, 'REQUEST_INVALID', 'userId'],
      ['missing field', {}, 400, 'REQUEST_INVALID', 'userId'],
      [
        'wrong nested type',
        { userId: 'x', client: { ip: 'not-an-ip' } },
        400,
        'REQUEST_INVALID',
        'client.ip',
      ],
      ['unknown field', { userId: 'x', admin: true }, 400, 'REQUEST_INVALID', 'admin'],
      [
        'unknown nested field',
        { userId: 'x', client: { cookie: 'x' } },
        400,
        'REQUEST_INVALID',
        'client.cookie',
      ],
      ['huge body', { userId: 'x', data: 'x'.repeat(20_000) }, 413, 'BODY_TOO_LARGE', undefined],
      [
        'form body',
        'userId=x',
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        undefined,
        { 'content-type': 'application/x-www-form-urlencoded' },
      ],
    ];
    for (const [name, body, status, code, field, headers] of cases) {
      const res = await call('POST', '/v1/sessions', manageKey, body, headers);
      assert.equal(res.status, status, name);
      assert.equal(res.headers.get('content-type'), 'application/problem+json', name);
      const p = (await conforms(res, '/v1/sessions', 'post')) as { code: string; field?: string };
      assert.equal(p.code, code, name);
      assert.equal(p.field, field, name);
    }
    assert.equal(await live(), before, 'no session was created by bad input');
    const bad = await call('GET', '/v1/sessions/not-an-id', manageKey);
    assert.equal(bad.status, 400);
    const unknownQuery = await call('GET', '/v1/events?foo=1', adminKey);
    assert.equal(((await conforms(unknownQuery, '/v1/events', 'get')) as { field: string }).field, 'foo');
  });

  test('keys: missing, malformed, unknown, revoked → 401; wrong scope → 403; nothing changed', async () => {
    const before = await live();
    const doomed = t.svc.apiKeys.create('doomed', ['manage']);
    assert.ok(t.svc.apiKeys.revoke(doomed.info.id));
    const [prefix] = manageKey.split('_').slice(0, 2);
    for (const key of [
      null,
      'nonsense',
      `tsk_${'a'.repeat(12)}_${'b'.repeat(43)}`,
      doomed.key,
      `${manageKey.slice(0, -1)}x`,
    ]) {
      const res = await call('POST', '/v1/sessions', key, { userId: 'mallory' });
      assert.equal(res.status, 401, String(key));
      assert.equal(
        ((await conforms(res, '/v1/sessions', 'post')) as { code: string }).code,
        'API_KEY_INVALID',
      );
    }
    void prefix;
    const res = await call('POST', '/v1/sessions', validateKey, { userId: 'mallory' });
    assert.equal(res.status, 403);
    assert.equal(((await conforms(res, '/v1/sessions', 'post')) as { code: string }).code, 'API_KEY_SCOPE');
    const ev = await call('GET', '/v1/events', manageKey);
    assert.equal(ev.status, 403);
    assert.equal(await live(), before);
    assert.equal(
      (
        (await call('GET', '/v1/users/mallory/sessions', manageKey).then((r) => r.json())) as {
          sessions: unknown[];
        }
      ).sessions.length,
      0,
    );
  });

  test('events (admin scope): newest first, no tokens', async () => {
    const issued = (await (await call('POST', '/v1/sessions', manageKey, { userId: 'erin' })).json()) as {
      token: string;
    };
    const res = await call('GET', '/v1/events?limit=5&userId=erin', adminKey);
    const body = (await conforms(res, '/v1/events', 'get')) as {
      events: Array<{ type: string; userId: string }>;
    };
    assert.equal(body.events[0]?.type, 'session.authenticated');
    assert.ok(!JSON.stringify(body).includes(issued.token));
  });

  test('auth_request endpoint: 200 with the user in headers for a signed-in cookie, 401 otherwise', async () => {
    const browser = new Client(t.url);
    await browser.login();
    const cookie = `__Host-sid=${browser.cookies.get('__Host-sid')}`;
    let res = await call('GET', '/v1/auth', validateKey, undefined, {
      cookie,
      'user-agent': browser.userAgent,
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-tessera-user'), 'alice');
    assert.match(res.headers.get('x-tessera-session') ?? '', /^[A-Za-z0-9_-]{43}$/);
    await conforms(res, '/v1/auth', 'get');
    res = await call('GET', '/v1/auth', validateKey, undefined, { cookie: `__Host-sid=${'x'.repeat(43)}` });
    assert.equal(res.status, 401);
    res = await call('GET', '/v1/auth', validateKey);
    assert.equal(res.status, 401);
    res = await call('GET', '/v1/auth', 'wrong', undefined, { cookie });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
  });

  test('health, readiness and metrics', async () => {
    assert.deepEqual(await (await fetch(`${t.url}/healthz`)).json(), { status: 'ok' });
    const ready = await fetch(`${t.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { status: string }).status, 'ready');
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(
      metrics,
      /tessera_session_events_total\{type="session.authenticated",source="sessions"\} \d+/,
    );
    assert.match(metrics, /tessera_sessions_live\{kind="authenticated"\} \d+/);
  });
});

describe('session API: detections and the audit trail', () => {
  test('a replayed rotated-away token raises a reuse detection; the audit chain verifies', async () => {
    const clock = new ShiftedClock();
    const t = await startService({}, clock);
    try {
      const manage = t.svc.apiKeys.create('m', ['validate', 'manage']).key;
      const admin = t.svc.apiKeys.create('a', ['admin']).key;
      const post = (path: string, body: unknown) =>
        fetch(t.url + path, {
          method: 'POST',
          headers: { authorization: `Bearer ${manage}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const issued = (await (await post('/v1/sessions', { userId: 'hank' })).json()) as { token: string };
      await post('/v1/sessions/rotate', { token: issued.token });
      clock.advance(60_000);
      const replay = (await (await post('/v1/sessions/validate', { token: issued.token })).json()) as {
        reason: string;
      };
      assert.equal(replay.reason, 'reuse');
      await t.svc.detector.settle();
      const get = (path: string) => fetch(t.url + path, { headers: { authorization: `Bearer ${admin}` } });
      const det = (await conforms(await get('/v1/detections?open=true'), '/v1/detections', 'get')) as {
        detections: Array<{ rule: string; userId: string }>;
      };
      assert.ok(
        det.detections.some((d) => d.rule === 'reuse' && d.userId === 'hank'),
        JSON.stringify(det),
      );
      const audit = (await conforms(await get('/v1/audit?limit=1000'), '/v1/audit', 'get')) as {
        chain: { ok: boolean };
        entries: Array<{ kind: string }>;
      };
      assert.equal(audit.chain.ok, true);
      assert.ok(audit.entries.some((e) => e.kind === 'session.reuse'));
      assert.ok(!JSON.stringify(audit).includes(issued.token), 'no token in the audit trail');
      const bad = await get('/v1/audit?fromSeq=0');
      assert.equal(((await conforms(bad, '/v1/audit', 'get')) as { field: string }).field, 'fromSeq');
    } finally {
      await t.stop();
    }
  });
});

describe('session API: bad keys are throttled per address', () => {
  let t: TestService;
  before(async () => {
    t = await startService();
  });
  after(() => t.stop());

  test('after 10 bad keys even a good key is refused with 429 and Retry-After', async () => {
    const good = t.svc.apiKeys.create('good', ['validate']).key;
    const body = JSON.stringify({ token: 'x' });
    const send = (key: string) =>
      fetch(`${t.url}/v1/sessions/validate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
      });
    assert.equal((await send(good)).status, 200);
    for (let i = 0; i < 10; i++) assert.equal((await send(`tsk_guess${i}`)).status, 401);
    const res = await send(good);
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    assert.equal(((await res.json()) as { code: string }).code, 'RATE_LIMITED');
  });
});

describe('the store down: fail closed', () => {
  test('/readyz 503, the API 503 problem, the shop 503 page — never a session; /healthz still 200', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'tessera-server-'));
    const t = await startService({ store: `sqlite:${join(dir, 't.db')}`, dataDir: dir });
    try {
      const key = t.svc.apiKeys.create('k', ['validate']).key;
      const browser = new Client(t.url);
      await browser.login();
      t.svc.stores.db.close();
      const api = await fetch(`${t.url}/v1/sessions/validate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ token: 'x'.repeat(43) }),
      });
      assert.equal(api.status, 503);
      assert.equal(((await api.json()) as { code: string }).code, 'STORE_UNAVAILABLE');
      const page = await browser.get('/account');
      assert.equal(page.status, 503);
      assert.doesNotMatch(await page.text(), /Hello alice/);
      const res = await fetch(`${t.url}/readyz`);
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { status: string }).status, 'unavailable');
      assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
    } finally {
      await t.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
