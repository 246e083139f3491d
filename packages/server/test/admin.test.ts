/**
 * The admin console over HTTP: bootstrap by one-time code (no default password), its own sessions,
 * step-up before destructive actions, revoking a user's session ends it, attacker-controlled values
 * escaped, CSRF on every form.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_COOKIE } from '../src/admin/app.ts';
import { issueBootstrapCode } from '../src/state/bootstrap.ts';
import { Client, ShiftedClock, startService, type TestService } from './helpers.ts';

const MIN = 60_000;
const XSS_USER = '<img src=x onerror=alert(1)><script>window.__xss=1</script>';

describe('admin console', () => {
  let t: TestService;
  const clock = new ShiftedClock();
  let admin: Client;
  before(async () => {
    t = await startService({}, clock);
  });
  after(() => t.stop());

  test('without an admin every console page leads to setup; there is no default password', async () => {
    const c = new Client(t.url);
    for (const path of ['/admin', '/admin/sessions', '/admin/login'])
      assert.equal((await c.get(path)).headers.get('location'), '/admin/setup', path);
    for (const [u, p] of [
      ['admin', 'admin'],
      ['admin', 'password'],
      ['root', 'tessera'],
    ]) {
      const res = await c.post('/admin/login', { username: u!, password: p! }, '/admin/setup');
      assert.notEqual(res.status, 303, `${u}/${p} must not log in`);
    }
  });

  test('bootstrap: a wrong code is refused, the printed code creates the admin once', async () => {
    const code = t.svc.bootstrapCode!;
    assert.match(code, /^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);
    const c = new Client(t.url);
    const wrong = await c.post(
      '/admin/setup',
      { code: 'AAAA-BBBB-CCCC-DDDD', username: 'root', password: 'correct horse', confirm: 'correct horse' },
      '/admin/setup',
    );
    assert.equal(wrong.status, 401);
    const ok = await c.post(
      '/admin/setup',
      { code, username: 'root', password: 'correct horse', confirm: 'correct horse' },
      '/admin/setup',
    );
    assert.equal(ok.status, 303);
    assert.ok(c.cookies.has(ADMIN_COOKIE), 'the console has its own cookie');
    assert.ok(!c.cookies.has('__Host-sid'), 'and does not touch the shop cookie');
    assert.match(await (await c.get('/admin')).text(), /Dashboard/);
    const again = new Client(t.url);
    const reuse = await again.post(
      '/admin/setup',
      { code, username: 'eve', password: 'correct horse', confirm: 'correct horse' },
      '/admin/login',
    );
    assert.equal(
      reuse.headers.get('location'),
      '/admin/login',
      `setup is closed once an admin exists: ${reuse.status} ${(await reuse.clone().text()).slice(0, 400)}`,
    );
    assert.equal(t.svc.users.get('eve'), null);
    // A new code (CLI) cannot be used once an admin exists either.
    const late = issueBootstrapCode(t.svc.db);
    const lateTry = await again.post(
      '/admin/setup',
      { code: late, username: 'eve', password: 'correct horse', confirm: 'correct horse' },
      '/admin/login',
    );
    assert.equal(lateTry.headers.get('location'), '/admin/login');
    admin = new Client(t.url);
    const login = await admin.post(
      '/admin/login',
      { username: 'root', password: 'correct horse' },
      '/admin/login',
    );
    assert.equal(login.headers.get('location'), '/admin');
  });

  test('a shop customer cannot use the console, and a console cookie is not a shop session', async () => {
    const c = new Client(t.url);
    const res = await c.post('/admin/login', { username: 'alice', password: 'wonderland' }, '/admin/login');
    assert.equal(res.status, 401);
    const adminCookie = admin.cookies.get(ADMIN_COOKIE)!;
    const cross = new Client(t.url);
    cross.cookies.set('__Host-sid', adminCookie);
    assert.equal((await cross.get('/account')).status, 303);
  });

  test('search, detail, and revoke: the user is signed out; step-up once the login is 6 minutes old', async () => {
    const victim = new Client(
      t.url,
      'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    );
    await victim.login('bob', 'builder');
    const list = await (await admin.get('/admin/sessions?q=bob')).text();
    const id = /href="\/admin\/sessions\/([A-Za-z0-9_-]{43})"/.exec(list)?.[1];
    assert.ok(id, 'bob is found');
    const detail = await (await admin.get(`/admin/sessions/${id}`)).text();
    assert.match(detail, /Firefox 128/);
    assert.match(detail, /Idle deadline/);
    assert.match(detail, /Rotation family/);
    clock.advance(6 * MIN);
    try {
      const stale = await admin.post('/admin/sessions/revoke', { id }, '/admin/sessions');
      assert.match(stale.headers.get('location') ?? '', /^\/admin\/reauth\?back=/);
      assert.equal((await victim.get('/account')).status, 200, 'not revoked before the step-up');
      const wrong = await admin.post(
        '/admin/reauth',
        { password: 'nope', back: '/admin/sessions' },
        '/admin/reauth',
      );
      assert.equal(wrong.status, 401);
      const ok = await admin.post(
        '/admin/reauth',
        { password: 'correct horse', back: '/admin/sessions' },
        '/admin/reauth',
      );
      assert.equal(ok.headers.get('location'), '/admin/sessions?m=confirmed');
      const done = await admin.post('/admin/sessions/revoke', { id }, '/admin/sessions');
      assert.equal(done.headers.get('location'), '/admin/sessions?m=revoked');
      const out = await victim.get('/account');
      assert.equal(out.status, 303);
      assert.match(out.headers.get('location') ?? '', /ended=revoked/);
    } finally {
      clock.offset = 0;
    }
  });

  test('revoke all sessions of one user, and of every user', async () => {
    const a = new Client(t.url);
    const b = new Client(t.url);
    await a.login('alice', 'wonderland');
    await b.login('bob', 'builder');
    await admin.post('/admin/reauth', { password: 'correct horse', back: '/admin' }, '/admin/reauth');
    const one = await admin.post('/admin/users/revoke-all', { userId: 'alice' }, '/admin/sessions');
    assert.match(one.headers.get('location') ?? '', /revoked-user&n=[1-9]/);
    assert.equal((await a.get('/account')).status, 303);
    assert.equal((await b.get('/account')).status, 200);
    const all = await admin.post('/admin/sessions/revoke-everyone', {}, '/admin/sessions');
    assert.match(all.headers.get('location') ?? '', /revoked-everyone&n=[1-9]/);
    assert.equal((await b.get('/account')).status, 303);
    assert.equal((await admin.get('/admin')).status, 200, 'the administrator stays signed in');
  });

  test('attacker-controlled user ids and user agents are escaped', async () => {
    const key = t.svc.apiKeys.create('xss', ['manage']).key;
    await fetch(`${t.url}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        userId: XSS_USER,
        client: { ip: '198.51.100.7', userAgent: `Mozilla/5.0 <script>window.__ua=1</script>` },
      }),
    });
    const page = await (await admin.get(`/admin/sessions?q=${encodeURIComponent('198.51.100.7')}`)).text();
    assert.ok(!page.includes('<script>window'), 'no live script tag');
    assert.ok(!page.includes('<img src=x'), 'no live img tag');
    assert.ok(page.includes('&lt;script&gt;window.__ua=1&lt;/script&gt;'), 'the user agent is shown as text');
    assert.ok(page.includes('&lt;img src=x onerror=alert(1)&gt;'), 'the user id is shown as text');
    const id = /href="\/admin\/sessions\/([A-Za-z0-9_-]{43})"/.exec(page)?.[1];
    const detail = await (await admin.get(`/admin/sessions/${id}`)).text();
    assert.ok(!detail.includes('<script>window'));
    assert.ok(detail.includes('&lt;script&gt;window.__ua=1&lt;/script&gt;'));
  });

  test('audit trail: console actions are recorded and the chain verifies; detections can be acknowledged', async () => {
    const page = await (await admin.get('/admin/audit?kind=admin.')).text();
    assert.match(page, /Hash chain verified/);
    assert.match(page, /admin\.session_revoked/);
    assert.match(page, /admin\.all_sessions_revoked/);
    // A reuse detection: replay a token that a privilege rotation replaced, a minute later.
    const issued = await t.svc.sessions.login(null, 'ivy', {}, {});
    await t.svc.sessions.rotate(issued.session, {}, {});
    clock.advance(MIN);
    try {
      assert.equal((await t.svc.sessions.validate(issued.token, {})).ok, false);
      await t.svc.detector.settle();
      const list = await (await admin.get('/admin/detections')).text();
      assert.match(list, /<code>reuse<\/code>/);
      const id = /name="id" value="([0-9a-f-]{36})"/.exec(list)?.[1];
      assert.ok(id);
      const ack = await admin.post('/admin/detections/acknowledge', { id }, '/admin/detections');
      assert.equal(ack.headers.get('location'), '/admin/detections?m=acknowledged');
      assert.match(await (await admin.get('/admin/detections?all=1')).text(), /acknowledged by root/);
    } finally {
      clock.offset = 0;
    }
  });

  test('every console form is CSRF-protected', async () => {
    for (const [path, fields] of [
      ['/admin/sessions/revoke', { id: 'A'.repeat(43) }],
      ['/admin/users/revoke-all', { userId: 'alice' }],
      ['/admin/sessions/revoke-everyone', {}],
      ['/admin/keys', { name: 'x', validate: '1' }],
      ['/admin/detections/acknowledge', { id: '00000000-0000-0000-0000-000000000000' }],
      ['/admin/logout', {}],
    ] as const) {
      const res = await admin.post(path, fields as Record<string, string>);
      assert.equal(res.status, 403, path);
    }
    assert.equal(
      (await admin.get('/admin')).status,
      200,
      'still signed in (logout without token was refused)',
    );
  });

  test('API keys: created after step-up, shown once, revocable', async () => {
    await admin.post('/admin/reauth', { password: 'correct horse', back: '/admin/keys' }, '/admin/reauth');
    const res = await admin.post(
      '/admin/keys',
      { name: 'checkout', validate: '1', manage: '1' },
      '/admin/keys',
    );
    assert.equal(res.status, 201);
    const key = /<code class="secret">(tsk_[^<]+)<\/code>/.exec(await res.text())?.[1];
    assert.ok(key);
    assert.ok(!(await (await admin.get('/admin/keys')).text()).includes(key), 'shown only once');
    const ok = await fetch(`${t.url}/v1/users/alice/sessions`, {
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(ok.status, 200);
    const id = key.split('_')[1]!;
    await admin.post('/admin/keys/revoke', { id }, '/admin/keys');
    const gone = await fetch(`${t.url}/v1/users/alice/sessions`, {
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(gone.status, 401);
  });
});
