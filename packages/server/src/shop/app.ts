/**
 * The demo shop at `/`: browse, add to the cart anonymously, log in (the cart follows), "your
 * devices" with sign-out per device and everywhere else, password change that ends the other
 * sessions, checkout behind a fresh password check, and messages that say why a session ended.
 *
 * Stable surface for scripts and the auditor: `GET/POST /login` (fields `username`, `password`,
 * `_csrf`; 303 to `/account`), `GET /account` (`Hello <user>` or 303 to `/login`), `POST /logout`.
 */
import { isTesseraError, type Session } from '@tessera-sessions/core';
import { honoSessions, type TesseraEnv } from '@tessera-sessions/core/hono';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { html } from 'hono/html';
import { HTTPException } from 'hono/http-exception';
import type { ServiceContext } from '../service.ts';
import { checkPasswordShape } from '../state/users.ts';
import { ENDED_MESSAGES, type EndedReason, endedReason, isEndedReason } from '../web/ended.ts';
import { clientAddress, formFields, safeNext } from '../web/forms.ts';
import { securityHeaders } from '../web/headers.ts';
import { documentShell, type Notice } from '../web/layout.ts';
import { addToCart, cartLines, product, removeFromCart, type ShopData } from './catalog.ts';
import { SHOP_DEVICE_BOUND } from './device-bound.ts';
import {
  accountPage,
  cartPage,
  checkoutPage,
  devicesPage,
  homePage,
  loginPage,
  orderPlacedPage,
  passwordPage,
  reauthPage,
  STEP_UP_PURPOSE,
  securityPage,
  type Visitor,
} from './pages.ts';

type ShopEnv = TesseraEnv & { Variables: { ended: EndedReason | null } };

const MESSAGES: Record<string, (n: string | undefined) => Notice> = {
  signin: () => ({ kind: 'info', text: 'Please log in to continue.' }),
  removed: () => ({ kind: 'success', text: 'Removed from your cart.' }),
  'device-signed-out': () => ({ kind: 'success', text: 'That device is signed out.' }),
  'device-gone': () => ({ kind: 'info', text: 'That session had already ended.' }),
  'others-signed-out': (n) => ({
    kind: 'success',
    text: `Signed out everywhere else (${Number(n) || 0} sessions).`,
  }),
  'password-changed': (n) => ({
    kind: 'success',
    text: `Password changed. ${Number(n) || 0} other sessions were signed out; this one stays.`,
  }),
  confirmed: () => ({ kind: 'success', text: 'Password confirmed.' }),
  confirm: () => ({ kind: 'warning', text: 'Please confirm your password first.' }),
  'empty-cart': () => ({ kind: 'info', text: 'Your cart is empty.' }),
};

/** The shop's Hono app. */
export function shopApp(svc: ServiceContext): Hono<ShopEnv> {
  const app = new Hono<ShopEnv>();
  const mw = honoSessions<ShopEnv>(svc.sessions, {
    loginUrl: '/login',
    publicOrigin: svc.config.publicOrigin,
    trustProxy: svc.config.trustProxy,
    // Device Bound Session Credentials, `optional` (see ./device-bound.ts; `GET /v1/auth` applies the same).
    deviceBound: SHOP_DEVICE_BOUND,
  });
  const cookieName = mw.handler.cookie.name;

  app.use(securityHeaders());
  app.use(
    bodyLimit({
      maxSize: 16 * 1024,
      onError: (c) => c.text('Request body too large.', 413),
    }),
  );
  app.use(mw);
  app.use(async (c, next) => {
    const s = c.get('session');
    c.set(
      'ended',
      await endedReason(svc.stores.sessions, c.req.header('cookie'), cookieName, s.current !== null),
    );
    await next();
  });

  const data = (c: Context<ShopEnv>) => c.get('session').get<ShopData>();
  const visitor = async (c: Context<ShopEnv>, forceCsrf = false): Promise<Visitor> => {
    const s = c.get('session');
    const cart = data(c)?.cart;
    return {
      userId: s.userId,
      csrf: s.current || forceCsrf ? await s.csrfToken() : null,
      cartCount: cartLines(cart).reduce((n, l) => n + l.qty, 0),
      demo: svc.config.demo,
    };
  };
  const notices = (c: Context<ShopEnv>, extra: Notice[] = []): Notice[] => {
    const out: Notice[] = [];
    const ended = c.get('ended') ?? c.req.query('ended');
    if (isEndedReason(ended))
      out.push({ kind: ended === 'logout' ? 'info' : 'warning', text: ENDED_MESSAGES[ended] });
    const m = c.req.query('m');
    if (m && Object.hasOwn(MESSAGES, m)) out.push(MESSAGES[m]!(c.req.query('n')));
    return [...out, ...extra];
  };
  const isFresh = (s: Session | null) => {
    if (!s) return false;
    try {
      svc.sessions.requireFresh(s);
      return true;
    } catch {
      return false;
    }
  };
  /** The signed-in user's session, or a redirect to the login page that says why. */
  const needUser = (c: Context<ShopEnv>, next: string): Session | Response => {
    const s = c.get('session');
    if (s.current?.authenticated) return s.current;
    const q = new URLSearchParams({ next });
    const ended = c.get('ended');
    if (ended) q.set('ended', ended);
    else q.set('m', 'signin');
    return c.redirect(`/login?${q}`, 303);
  };

  app.get('/', async (c) => {
    const added = product(c.req.query('added'));
    const extra: Notice[] = added ? [{ kind: 'success', text: `${added.name} added to your cart.` }] : [];
    return c.html(homePage(await visitor(c), notices(c, extra)));
  });

  app.post('/cart', async (c) => {
    const p = product((await formFields(c)).item);
    if (!p) return c.text('Unknown product.', 400);
    await c.get('session').update<ShopData>((d) => ({ ...d, cart: addToCart(d?.cart, p.id) }));
    return c.redirect(`/?added=${p.id}`, 303);
  });

  app.post('/cart/remove', async (c) => {
    const p = product((await formFields(c)).item);
    if (p && c.get('session').current)
      await c.get('session').update<ShopData>((d) => ({ ...d, cart: removeFromCart(d?.cart, p.id) }));
    return c.redirect('/cart?m=removed', 303);
  });

  app.get('/cart', async (c) => c.html(cartPage(await visitor(c), data(c)?.cart, notices(c))));

  app.get('/login', async (c) => {
    const s = c.get('session');
    if (s.authenticated) return c.redirect(safeNext(c.req.query('next')) ?? '/account', 303);
    // The form's CSRF token needs a session: the login page starts the anonymous one.
    return c.html(
      loginPage(await visitor(c, true), { next: safeNext(c.req.query('next')), notices: notices(c) }),
    );
  });

  app.post('/login', async (c) => {
    const f = await formFields(c);
    const s = c.get('session');
    const address = clientAddress(c);
    const username = (f.username ?? '').slice(0, 64);
    const next = safeNext(f.next);
    const fail = async (status: 401 | 429, text: string) => {
      c.status(status);
      if (status === 429) c.header('retry-after', '60');
      return c.html(
        loginPage(await visitor(c, true), { next, username, notices: [{ kind: 'error', text }] }),
      );
    };
    const throttled = await svc.loginThrottle.check(username, address);
    if (throttled)
      return fail(
        429,
        `Too many failed attempts. Try again in ${Math.ceil(throttled.retryAfterSeconds / 60)} minutes.`,
      );
    const user = await svc.users.verify(f.username, f.password, 'customer');
    if (!user) {
      await svc.loginThrottle.failed(username, address);
      return fail(401, 'Wrong username or password.');
    }
    await svc.loginThrottle.succeeded(user.username);
    await s.login(user.username, { rememberMe: f.remember === '1' });
    return c.redirect(next ?? '/account', 303);
  });

  app.post('/logout', async (c) => {
    await c.get('session').logout();
    return c.redirect('/login?ended=logout', 303);
  });

  app.get('/account', async (c) => {
    const session = needUser(c, '/account');
    if (session instanceof Response) return session;
    const now = svc.clock.now();
    const orders = (
      svc.db
        .prepare(
          'SELECT id, total_cents AS totalCents, created_at AS at FROM tessera_server_orders WHERE username = ? ORDER BY id DESC LIMIT 10',
        )
        .all(session.userId) as Array<{ id: number; totalCents: number; at: number }>
    ).map((o) => ({ ...o }));
    return c.html(
      accountPage(await visitor(c), {
        facts: {
          authenticatedAt: session.authenticatedAt,
          idleExpiresAt: session.idleExpiresAt,
          absoluteExpiresAt: session.absoluteExpiresAt,
          rememberMe: session.rememberMe,
          fresh: isFresh(session),
          now,
        },
        cart: data(c)?.cart,
        orders,
        notices: notices(c),
      }),
    );
  });

  app.get('/account/devices', async (c) => {
    const session = needUser(c, '/account/devices');
    if (session instanceof Response) return session;
    const list = await svc.sessions.listForUser(session.userId!);
    const here = c.get('session');
    return c.html(
      devicesPage(await visitor(c), {
        now: svc.clock.now(),
        notices: notices(c),
        devices: list.map((d) => ({
          id: d.id,
          browser: d.device.browser,
          os: d.device.os,
          deviceType: d.device.deviceType,
          firstIp: d.device.firstIp,
          lastIp: d.device.lastIp,
          lastSeenAt: d.lastSeenAt,
          createdAt: d.createdAt,
          current: d.id === session.id,
          // This request proved the key; for the others the store says a key is registered.
          bound: d.id === session.id ? here.deviceBound : d.deviceBound,
        })),
      }),
    );
  });

  /** Runs a step-up action for the signed-in user; returns where to go next. */
  const perform = async (session: Session, then: string): Promise<string> => {
    if (then === 'checkout') return '/checkout?m=confirmed';
    if (then === 'revoke-others') {
      const n = await svc.sessions.revokeAllForUser(session.userId!, { exceptSessionId: session.id });
      return `/account/devices?m=others-signed-out&n=${n}`;
    }
    if (then.startsWith('revoke:')) {
      const id = then.slice('revoke:'.length);
      const done = id !== session.id && (await svc.sessions.revoke(id, { userId: session.userId! }));
      return `/account/devices?m=${done ? 'device-signed-out' : 'device-gone'}`;
    }
    return '/account?m=confirmed';
  };
  const validThen = (v: unknown): string | null =>
    typeof v === 'string' &&
    (v === 'checkout' || v === 'revoke-others' || /^revoke:[A-Za-z0-9_-]{43}$/.test(v))
      ? v
      : null;

  app.post('/account/devices/revoke', async (c) => {
    const session = needUser(c, '/account/devices');
    if (session instanceof Response) return session;
    const id = (await formFields(c)).id ?? '';
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return c.text('Bad session id.', 400);
    if (!isFresh(session)) return c.redirect(`/reauth?action=${encodeURIComponent(`revoke:${id}`)}`, 303);
    return c.redirect(await perform(session, `revoke:${id}`), 303);
  });

  app.post('/account/devices/revoke-others', async (c) => {
    const session = needUser(c, '/account/devices');
    if (session instanceof Response) return session;
    if (!isFresh(session)) return c.redirect('/reauth?action=revoke-others', 303);
    return c.redirect(await perform(session, 'revoke-others'), 303);
  });

  app.get('/reauth', async (c) => {
    const session = needUser(c, '/account');
    if (session instanceof Response) return session;
    const then = validThen(c.req.query('action')) ?? 'account';
    const purpose = STEP_UP_PURPOSE[then.startsWith('revoke:') ? 'revoke' : then] ?? 'to continue';
    return c.html(reauthPage(await visitor(c), { action: then, purpose, notices: notices(c) }));
  });

  app.post('/reauth', async (c) => {
    const session = needUser(c, '/account');
    if (session instanceof Response) return session;
    const f = await formFields(c);
    const then = validThen(f.action);
    const address = clientAddress(c);
    const userId = session.userId!;
    const throttled = await svc.loginThrottle.check(userId, address);
    const user = throttled ? null : await svc.users.verify(userId, f.password, 'customer');
    if (!user) {
      if (!throttled) await svc.loginThrottle.failed(userId, address);
      const key = then?.startsWith('revoke:') ? 'revoke' : (then ?? 'account');
      c.status(throttled ? 429 : 401);
      return c.html(
        reauthPage(await visitor(c), {
          action: then ?? 'account',
          purpose: STEP_UP_PURPOSE[key] ?? 'to continue',
          notices: [
            {
              kind: 'error',
              text: throttled ? 'Too many failed attempts. Try again later.' : 'Wrong password.',
            },
          ],
        }),
      );
    }
    await svc.loginThrottle.succeeded(userId);
    const fresh = await c.get('session').reauthenticate();
    return c.redirect(then ? await perform(fresh, then) : '/account?m=confirmed', 303);
  });

  app.get('/account/password', async (c) => {
    const session = needUser(c, '/account/password');
    if (session instanceof Response) return session;
    return c.html(passwordPage(await visitor(c), notices(c)));
  });

  app.post('/account/password', async (c) => {
    const session = needUser(c, '/account/password');
    if (session instanceof Response) return session;
    const f = await formFields(c);
    const userId = session.userId!;
    const address = clientAddress(c);
    const error = async (status: 400 | 401 | 429, text: string) => {
      c.status(status);
      return c.html(passwordPage(await visitor(c), [{ kind: 'error', text }]));
    };
    if (await svc.loginThrottle.check(userId, address))
      return error(429, 'Too many failed attempts. Try again later.');
    if (!(await svc.users.verify(userId, f.current, 'customer'))) {
      await svc.loginThrottle.failed(userId, address);
      return error(401, 'The current password is wrong.');
    }
    const next = f.password ?? '';
    try {
      checkPasswordShape(next);
    } catch {
      return error(400, 'The new password must have between 8 and 256 characters.');
    }
    if (next !== f.confirm) return error(400, 'The two new passwords differ.');
    await svc.users.setPassword(userId, next);
    const fresh = await c.get('session').reauthenticate();
    const n = await svc.sessions.revokeAllForUser(userId, { exceptSessionId: fresh.id });
    return c.redirect(`/account?m=password-changed&n=${n}`, 303);
  });

  app.get('/checkout', async (c) => {
    const session = needUser(c, '/checkout');
    if (session instanceof Response) return session;
    return c.html(
      checkoutPage(await visitor(c), { cart: data(c)?.cart, fresh: isFresh(session), notices: notices(c) }),
    );
  });

  app.post('/checkout', async (c) => {
    const session = needUser(c, '/checkout');
    if (session instanceof Response) return session;
    if (!isFresh(session)) return c.redirect('/checkout?m=confirm', 303);
    const lines = cartLines(data(c)?.cart);
    if (lines.length === 0) return c.redirect('/cart?m=empty-cart', 303);
    const total = lines.reduce((s, l) => s + l.cents, 0);
    const info = svc.db
      .prepare(
        'INSERT INTO tessera_server_orders (username, items, total_cents, created_at) VALUES (?, ?, ?, ?)',
      )
      .run(session.userId, JSON.stringify(lines.map((l) => [l.product.id, l.qty])), total, svc.clock.now());
    await c.get('session').update<ShopData>((d) => ({ ...d, cart: {} }));
    return c.redirect(`/orders/${info.lastInsertRowid}`, 303);
  });

  app.get('/orders/:id{[0-9]{1,12}}', async (c) => {
    const session = needUser(c, '/account');
    if (session instanceof Response) return session;
    const row = svc.db
      .prepare(
        'SELECT id, total_cents AS totalCents FROM tessera_server_orders WHERE id = ? AND username = ?',
      )
      .get(Number(c.req.param('id')), session.userId) as { id: number; totalCents: number } | undefined;
    if (!row) return c.notFound();
    return c.html(orderPlacedPage(await visitor(c), row));
  });

  app.get('/security', async (c) => c.html(securityPage(await visitor(c))));

  app.notFound(async (c) =>
    c.html(
      documentShell({
        title: 'Not found · Tessera Tiles',
        body: html`<main id="main" class="container"><h1>Not found</h1><p><a href="/">Back to the shop</a></p></main>`,
      }),
      404,
    ),
  );

  app.onError(async (thrown, c) => {
    const wantsHtml = (c.req.header('accept') ?? '').includes('text/html');
    // The CSRF guard throws an HTTPException whose response carries the session's own headers.
    const carried = thrown instanceof HTTPException ? thrown.getResponse() : null;
    const err = thrown instanceof HTTPException ? thrown.cause : thrown;
    if (
      wantsHtml &&
      isTesseraError(err) &&
      ['CSRF_REJECTED', 'RATE_LIMITED', 'STORE_UNAVAILABLE'].includes(err.code)
    ) {
      const text =
        err.code === 'CSRF_REJECTED'
          ? 'This form was sent from another site, or it is too old. Go back, reload the page and try again.'
          : err.code === 'RATE_LIMITED'
            ? 'Too many new sessions from your address. Wait a minute and try again.'
            : 'The session service is unavailable right now. Nothing was changed; please try again shortly.';
      const res = await c.html(
        documentShell({
          title: 'Request refused · Tessera Tiles',
          body: html`<main id="main" class="container"><h1>Request refused</h1><p class="notice notice-error" role="alert">${text}</p><p><a href="/">Back to the shop</a> · <a href="/security#csrf">Why?</a></p></main>`,
        }),
        err.status as 403,
      );
      for (const cookie of carried?.headers.getSetCookie() ?? []) res.headers.append('set-cookie', cookie);
      if (err.code === 'RATE_LIMITED') res.headers.set('retry-after', '60');
      return res;
    }
    return mw.onError(thrown, c);
  });

  return app;
}
