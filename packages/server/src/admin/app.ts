/**
 * The admin console at `/admin`. It signs administrators in with Tessera's own sessions (its own
 * manager, store namespace and cookie `__Host-tessera-admin`, SameSite=Strict), asks for the
 * password again before destructive actions (step-up), and is bootstrapped by a one-time code —
 * never a default password. Every form carries the CSRF token; the CSP allows no inline script
 * and no framing.
 */
import type { SessionRecord } from '@tessera-sessions/core';
import { honoSessions, type TesseraEnv } from '@tessera-sessions/core/hono';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { probe } from '../health.ts';
import type { ServiceContext } from '../service.ts';
import { SCOPES, type Scope } from '../state/api-keys.ts';
import { consumeBootstrapCode } from '../state/bootstrap.ts';
import { clientAddress, formFields, safeNext } from '../web/forms.ts';
import { securityHeaders } from '../web/headers.ts';
import type { Notice } from '../web/layout.ts';
import {
  type AdminView,
  activityPage,
  auditPage,
  dashboardPage,
  detectionsPage,
  keysPage,
  loginPage,
  reauthPage,
  sessionDetailPage,
  sessionsPage,
  setupPage,
} from './pages.ts';

/** The console's session cookie. */
export const ADMIN_COOKIE = '__Host-tessera-admin';
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
const SEARCH_LIMIT = 200;

const MESSAGES: Record<string, (n: string | undefined) => Notice> = {
  revoked: () => ({
    kind: 'success',
    text: 'Session revoked. That browser is signed out on its next request.',
  }),
  gone: () => ({ kind: 'info', text: 'That session had already ended.' }),
  'revoked-user': (n) => ({ kind: 'success', text: `Revoked ${Number(n) || 0} session(s) of the user.` }),
  'revoked-everyone': (n) => ({ kind: 'success', text: `Ended ${Number(n) || 0} user session(s).` }),
  confirmed: () => ({
    kind: 'success',
    text: 'Password confirmed. You can now repeat the action (for the next 5 minutes).',
  }),
  'key-revoked': () => ({ kind: 'success', text: 'API key revoked.' }),
  expired: () => ({ kind: 'warning', text: 'Your console session ended. Please log in again.' }),
  welcome: () => ({ kind: 'success', text: 'Administrator created. Welcome!' }),
  acknowledged: () => ({ kind: 'success', text: 'Detection acknowledged.' }),
};

/** The console's Hono app. */
export function adminApp(svc: ServiceContext): Hono<TesseraEnv> {
  const app = new Hono<TesseraEnv>();
  const mw = honoSessions(svc.admin, {
    cookie: { name: ADMIN_COOKIE, sameSite: 'strict' },
    loginUrl: '/admin/login',
    publicOrigin: svc.config.publicOrigin,
    trustProxy: svc.config.trustProxy,
  });
  app.use(securityHeaders());
  app.use(async (c, next) => {
    await next();
    c.header('cache-control', 'no-store');
  });
  app.use(bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text('Request body too large.', 413) }));
  app.use(mw);
  app.onError(mw.onError);

  const view = async (c: Context<TesseraEnv>, forceCsrf = false): Promise<AdminView> => {
    const s = c.get('session');
    return {
      admin: s.authenticated ? s.userId : null,
      csrf: s.current || forceCsrf ? await s.csrfToken() : null,
      now: svc.clock.now(),
    };
  };
  const notices = (c: Context<TesseraEnv>): Notice[] => {
    const m = c.req.query('m');
    return m && Object.hasOwn(MESSAGES, m) ? [MESSAGES[m]!(c.req.query('n'))] : [];
  };
  const fresh = (c: Context<TesseraEnv>): boolean => {
    try {
      c.get('session').requireFresh();
      return true;
    } catch {
      return false;
    }
  };
  const stepUp = (c: Context<TesseraEnv>, back: string) =>
    c.redirect(`/admin/reauth?back=${encodeURIComponent(safeNext(back) ?? '/admin')}`, 303);

  // ---------------------------------------------------------------- bootstrap and login

  app.get('/admin/setup', async (c) => {
    if (svc.users.count('admin') > 0) return c.redirect('/admin/login', 303);
    return c.html(setupPage(await view(c, true), { notices: [] }));
  });

  app.post('/admin/setup', async (c) => {
    if (svc.users.count('admin') > 0) return c.redirect('/admin/login', 303);
    const f = await formFields(c);
    const fail = async (status: 400 | 401 | 429, text: string) => {
      c.status(status);
      return c.html(
        setupPage(await view(c, true), { username: f.username, notices: [{ kind: 'error', text }] }),
      );
    };
    const address = clientAddress(c);
    if (await svc.adminThrottle.check('bootstrap', address))
      return fail(429, 'Too many wrong codes. Try again later.');
    if ((f.password ?? '').length < 8 || (f.password ?? '').length > 256)
      return fail(400, 'The password needs 8 to 256 characters.');
    if (f.password !== f.confirm) return fail(400, 'The two passwords differ.');
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(f.username ?? ''))
      return fail(400, 'Usernames use 1-64 letters, digits, ".", "_", "-" or "@".');
    if (!consumeBootstrapCode(svc.db, f.code, svc.clock.now())) {
      await svc.adminThrottle.failed('bootstrap', address);
      return fail(
        401,
        'That code is wrong or expired. Restart the service or run `tessera admin bootstrap-code` for a new one.',
      );
    }
    await svc.users.create(f.username!, f.password!, 'admin');
    await svc.recordAdmin('admin_created', f.username!, { via: 'bootstrap-code' });
    await c.get('session').login(f.username!);
    return c.redirect('/admin?m=welcome', 303);
  });

  app.get('/admin/login', async (c) => {
    if (svc.users.count('admin') === 0) return c.redirect('/admin/setup', 303);
    if (c.get('session').authenticated) return c.redirect('/admin', 303);
    return c.html(loginPage(await view(c, true), { notices: notices(c) }));
  });

  app.post('/admin/login', async (c) => {
    const f = await formFields(c);
    const username = (f.username ?? '').slice(0, 64);
    const address = clientAddress(c);
    const fail = async (status: 401 | 429, text: string) => {
      c.status(status);
      return c.html(loginPage(await view(c, true), { username, notices: [{ kind: 'error', text }] }));
    };
    if (await svc.adminThrottle.check(username, address))
      return fail(429, 'Too many failed attempts. Try again later.');
    const user = await svc.users.verify(f.username, f.password, 'admin');
    if (!user) {
      await svc.adminThrottle.failed(username, address);
      return fail(401, 'Wrong username or password.');
    }
    await svc.adminThrottle.succeeded(user.username);
    await c.get('session').login(user.username);
    return c.redirect('/admin', 303);
  });

  app.post('/admin/logout', async (c) => {
    await c.get('session').logout();
    return c.redirect('/admin/login', 303);
  });

  // Everything below needs a signed-in administrator (who still is one).
  app.use('/admin/*', async (c, next) => {
    const s = c.get('session');
    if (s.authenticated && svc.users.get(s.userId!)?.role === 'admin') return next();
    if (svc.users.count('admin') === 0) return c.redirect('/admin/setup', 303);
    return c.redirect(
      `/admin/login${c.req.header('cookie')?.includes(ADMIN_COOKIE) ? '?m=expired' : ''}`,
      303,
    );
  });
  app.use('/admin', async (c, next) => {
    const s = c.get('session');
    if (s.authenticated && svc.users.get(s.userId!)?.role === 'admin') return next();
    return c.redirect(svc.users.count('admin') === 0 ? '/admin/setup' : '/admin/login', 303);
  });

  app.get('/admin/reauth', async (c) =>
    c.html(
      reauthPage(await view(c), { back: safeNext(c.req.query('back')) ?? '/admin', notices: notices(c) }),
    ),
  );

  app.post('/admin/reauth', async (c) => {
    const f = await formFields(c);
    const s = c.get('session');
    const back = safeNext(f.back) ?? '/admin';
    const address = clientAddress(c);
    const throttled = await svc.adminThrottle.check(s.userId!, address);
    const ok = !throttled && (await svc.users.verify(s.userId, f.password, 'admin'));
    if (!ok) {
      if (!throttled) await svc.adminThrottle.failed(s.userId!, address);
      c.status(throttled ? 429 : 401);
      return c.html(
        reauthPage(await view(c), {
          back,
          notices: [{ kind: 'error', text: throttled ? 'Too many failed attempts.' : 'Wrong password.' }],
        }),
      );
    }
    await svc.adminThrottle.succeeded(s.userId!);
    await s.reauthenticate();
    return c.redirect(`${back}${back.includes('?') ? '&' : '?'}m=confirmed`, 303);
  });

  // ---------------------------------------------------------------- dashboard

  app.get('/admin', async (c) => {
    const store = svc.stores.sessions;
    const now = svc.clock.now();
    const counts = store.countLive ? await store.countLive(now).catch(() => null) : null;
    const series = svc.activity.series(now, 60);
    return c.html(
      dashboardPage(await view(c), {
        live: counts?.live ?? null,
        authenticated: counts?.authenticated ?? null,
        storeKind: svc.stores.kind,
        storeOk: await probe(store),
        series,
        detections: (await svc.detector.list({ acknowledged: false, limit: 1000 }).catch(() => [])).length,
        keys: svc.apiKeys.list().filter((k) => k.revokedAt === null).length,
        notices: notices(c),
      }),
    );
  });

  // ---------------------------------------------------------------- sessions

  app.get('/admin/sessions', async (c) => {
    const q = (c.req.query('q') ?? '').trim().slice(0, 200);
    const signedIn = c.req.query('signedIn') === '1';
    const store = svc.stores.sessions;
    const rows = store.search
      ? await store.search({
          now: svc.clock.now(),
          text: q || undefined,
          authenticatedOnly: signedIn,
          limit: SEARCH_LIMIT,
        })
      : null;
    return c.html(
      sessionsPage(await view(c), { q, signedIn, rows, limit: SEARCH_LIMIT, notices: notices(c) }),
    );
  });

  app.get('/admin/sessions/:id', async (c) => {
    const id = c.req.param('id');
    const now = svc.clock.now();
    const r = SESSION_ID.test(id) ? await svc.stores.sessions.get(id) : null;
    if (!r || r.idleExpiresAt <= now || r.absoluteExpiresAt <= now)
      return c.redirect('/admin/sessions?m=gone', 303);
    const family: SessionRecord[] = r.userId
      ? (await svc.stores.sessions.listByUser(r.userId)).filter((x) => x.family === r.family)
      : [r];
    const history = svc.activity
      .recent({ limit: 1000 })
      .filter((e) => e.source === 'sessions' && e.sessionId === id)
      .map((e) => ({ type: e.type, at: e.at, ip: e.ip }));
    return c.html(sessionDetailPage(await view(c), { r, family, history, notices: notices(c) }));
  });

  app.post('/admin/sessions/revoke', async (c) => {
    const id = (await formFields(c)).id ?? '';
    if (!SESSION_ID.test(id)) return c.text('Bad session id.', 400);
    if (!fresh(c)) return stepUp(c, `/admin/sessions/${id}`);
    const done = await svc.sessions.revoke(id);
    if (done) await svc.recordAdmin('session_revoked', c.get('session').userId!, { sessionId: id });
    return c.redirect(`/admin/sessions?m=${done ? 'revoked' : 'gone'}`, 303);
  });

  app.post('/admin/users/revoke-all', async (c) => {
    const userId = (await formFields(c)).userId ?? '';
    if (userId.length < 1 || userId.length > 256) return c.text('Bad user id.', 400);
    if (!fresh(c)) return stepUp(c, `/admin/sessions?q=${encodeURIComponent(userId)}`);
    const n = await svc.sessions.revokeAllForUser(userId);
    await svc.recordAdmin('user_sessions_revoked', c.get('session').userId!, { userId, count: n });
    return c.redirect(`/admin/sessions?m=revoked-user&n=${n}`, 303);
  });

  app.post('/admin/sessions/revoke-everyone', async (c) => {
    if (!fresh(c)) return stepUp(c, '/admin/sessions');
    const store = svc.stores.sessions;
    if (!store.search) return c.text('This store cannot list sessions.', 501);
    let total = 0;
    for (let round = 0; round < 1000; round++) {
      const batch = await store.search({ now: svc.clock.now(), authenticatedOnly: true, limit: 500 });
      if (batch.length === 0) break;
      for (const user of new Set(batch.map((r) => r.userId!)))
        total += await svc.sessions.revokeAllForUser(user);
    }
    await svc.recordAdmin('all_sessions_revoked', c.get('session').userId!, { count: total });
    return c.redirect(`/admin/sessions?m=revoked-everyone&n=${total}`, 303);
  });

  // ---------------------------------------------------------------- activity

  app.get('/admin/activity', async (c) => {
    const detectionsOnly = c.req.query('detections') === '1';
    const events = svc.activity.recent({ limit: 300, detectionsOnly }).map((e) => {
      const { type, at, userId, ip, sessionId, source, ...rest } = e as typeof e & Record<string, unknown>;
      const detail = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      return { type, at, userId, ip, sessionId, source, detail };
    });
    return c.html(activityPage(await view(c), { detectionsOnly, events, notices: notices(c) }));
  });

  // ---------------------------------------------------------------- audit trail and detections

  app.get('/admin/audit', async (c) => {
    const kind = (c.req.query('kind') ?? '').trim().slice(0, 100);
    const user = (c.req.query('user') ?? '').trim().slice(0, 256);
    const verify = await svc.audit.verify();
    const last = verify.ok ? (verify.head?.seq ?? 0) : verify.brokenAt;
    const from = Math.max(1, last - 999);
    const entries = (await svc.audit.read({ fromSeq: from, limit: 1000 }))
      .filter((e) => (!kind || e.kind.startsWith(kind)) && (!user || e.body.includes(JSON.stringify(user))))
      .reverse()
      .slice(0, 200);
    return c.html(auditPage(await view(c), { verify, kind, user, entries, notices: notices(c) }));
  });

  app.get('/admin/detections', async (c) => {
    const open = c.req.query('all') !== '1';
    const rows = await svc.detector.list({ ...(open ? { acknowledged: false } : {}), limit: 200 });
    return c.html(detectionsPage(await view(c), { open, rows, notices: notices(c) }));
  });

  app.post('/admin/detections/acknowledge', async (c) => {
    const id = (await formFields(c)).id ?? '';
    const admin = c.get('session').userId!;
    const d = /^[0-9a-f-]{36}$/.test(id) ? await svc.detector.acknowledge(id, admin) : null;
    return c.redirect(`/admin/detections?m=${d ? 'acknowledged' : 'gone'}`, 303);
  });

  // ---------------------------------------------------------------- API keys

  app.get('/admin/keys', async (c) =>
    c.html(keysPage(await view(c), { keys: svc.apiKeys.list(), notices: notices(c) })),
  );

  app.post('/admin/keys', async (c) => {
    const f = await formFields(c);
    if (!fresh(c)) return stepUp(c, '/admin/keys');
    const scopes = SCOPES.filter((s) => f[s] === '1') as Scope[];
    const fail = async (text: string) => {
      c.status(400);
      return c.html(
        keysPage(await view(c), { keys: svc.apiKeys.list(), notices: [{ kind: 'error', text }] }),
      );
    };
    if (scopes.length === 0) return fail('Choose at least one scope.');
    const name = (f.name ?? '').trim();
    if (name.length < 1 || name.length > 100) return fail('The name needs 1 to 100 characters.');
    const created = svc.apiKeys.create(name, scopes);
    await svc.recordAdmin('api_key_created', c.get('session').userId!, {
      keyId: created.info.id,
      name,
      scopes,
    });
    return c.html(
      keysPage(await view(c), { keys: svc.apiKeys.list(), created: { key: created.key, name }, notices: [] }),
      201,
    );
  });

  app.post('/admin/keys/revoke', async (c) => {
    const id = (await formFields(c)).id ?? '';
    if (!fresh(c)) return stepUp(c, '/admin/keys');
    if (svc.apiKeys.revoke(id))
      await svc.recordAdmin('api_key_revoked', c.get('session').userId!, { keyId: id });
    return c.redirect('/admin/keys?m=key-revoked', 303);
  });

  app.notFound((c) => c.text('Not found', 404));
  return app;
}
