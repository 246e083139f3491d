/** The demo shop's pages. Every page links to the explanation of the control that protects it. */
import { html } from 'hono/html';
import { ago, until } from '../web/forms.ts';
import { csrfField, documentShell, type Html, type Notice, notices } from '../web/layout.ts';
import { type Cart, cartLines, money, PRODUCTS } from './catalog.ts';

/** What every shop page knows about the visitor. */
export interface Visitor {
  userId: string | null;
  csrf: string | null;
  cartCount: number;
  demo: boolean;
}

function header(v: Visitor): Html {
  return html`<header class="site-header">
<nav class="nav" aria-label="Main">
<a class="brand" href="/"><span class="brand-mark" aria-hidden="true"></span>Tessera Tiles</a>
<ul class="nav-links">
<li><a href="/">Shop</a></li>
<li><a href="/cart">Cart <span class="badge" aria-label="${v.cartCount} items in the cart">${v.cartCount}</span></a></li>
${
  v.userId
    ? html`<li><a href="/account">Account</a></li>
<li><form method="post" action="/logout" class="inline">${csrfField(v.csrf)}<button class="link-button" type="submit">Log out</button></form></li>`
    : html`<li><a class="button button-small" href="/login">Log in</a></li>`
}
</ul>
</nav>
</header>`;
}

function footer(control: string, label: string): Html {
  return html`<footer class="site-footer">
<p>How is this page protected? <a href="/security#${control}">${label}</a> · <a href="/security">All session controls</a></p>
<p class="muted">A demo shop running on <a href="https://github.com/">Tessera</a> sessions. Nothing is really sold.</p>
</footer>`;
}

function page(
  v: Visitor,
  o: { title: string; control: string; controlLabel: string; notices?: readonly Notice[]; main: Html },
): Html {
  return documentShell({
    title: `${o.title} · Tessera Tiles`,
    body: html`${header(v)}
<main id="main" class="container">
${notices(o.notices ?? [])}
${o.main}
</main>
${footer(o.control, o.controlLabel)}`,
  });
}

/** GET / */
export function homePage(v: Visitor, list: readonly Notice[]): Html {
  return page(v, {
    title: 'Shop',
    control: 'anonymous',
    controlLabel: 'Anonymous carts and lazy sessions',
    notices: list,
    main: html`<section class="hero">
<h1>Hand-cut mosaic tiles</h1>
<p>Fill your cart without an account; it follows you when you log in.</p>
</section>
<ul class="grid" aria-label="Products">
${PRODUCTS.map(
  (p) => html`<li class="card">
<div class="swatch ${p.swatch}" aria-hidden="true"></div>
<h2 class="card-title">${p.name}</h2>
<p class="muted">${p.blurb}</p>
<p class="price">${money(p.priceCents)}</p>
<form method="post" action="/cart">${csrfField(v.csrf)}<input type="hidden" name="item" value="${p.id}">
<button class="button" type="submit" aria-label="Add ${p.name} to the cart">Add to cart</button></form>
</li>`,
)}
</ul>`,
  });
}

function cartTable(cart: Cart | undefined, csrf: string | null, editable: boolean): Html {
  const lines = cartLines(cart);
  if (lines.length === 0)
    return html`<p class="empty">Your cart is empty. <a href="/">Browse the tiles</a>.</p>`;
  const total = lines.reduce((s, l) => s + l.cents, 0);
  return html`<table class="table cart">
<caption class="visually-hidden">Cart contents</caption>
<thead><tr><th scope="col">Tile</th><th scope="col">Qty</th><th scope="col" class="num">Price</th>${editable ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : ''}</tr></thead>
<tbody>
${lines.map(
  (l) =>
    html`<tr><td><span class="dot ${l.product.swatch}" aria-hidden="true"></span>${l.product.name}</td><td>${l.qty}</td><td class="num">${money(l.cents)}</td>${
      editable
        ? html`<td><form method="post" action="/cart/remove" class="inline">${csrfField(csrf)}<input type="hidden" name="item" value="${l.product.id}"><button class="link-button" type="submit" aria-label="Remove ${l.product.name}">Remove</button></form></td>`
        : ''
    }</tr>`,
)}
</tbody>
<tfoot><tr><th scope="row" colspan="2">Total</th><td class="num total">${money(total)}</td>${editable ? html`<td></td>` : ''}</tr></tfoot>
</table>`;
}

/** GET /cart */
export function cartPage(v: Visitor, cart: Cart | undefined, list: readonly Notice[]): Html {
  const empty = cartLines(cart).length === 0;
  return page(v, {
    title: 'Cart',
    control: 'anonymous',
    controlLabel: 'Anonymous carts and lazy sessions',
    notices: list,
    main: html`<h1>Your cart</h1>
${cartTable(cart, v.csrf, true)}
${empty ? '' : html`<p class="actions"><a class="button" href="/checkout">Check out</a></p>`}
${v.userId ? '' : html`<p class="muted">You are not logged in. Your cart lives in an anonymous session and is kept when you <a href="/login?next=/cart">log in</a>.</p>`}`,
  });
}

/** GET /login */
export function loginPage(
  v: Visitor,
  o: { next: string | null; username?: string; notices: readonly Notice[] },
): Html {
  return page(v, {
    title: 'Log in',
    control: 'login',
    controlLabel: 'Login: new session token, throttled guessing',
    notices: o.notices,
    main: html`<section class="panel narrow">
<h1>Log in</h1>
<form method="post" action="/login" class="form">
${csrfField(v.csrf)}
${o.next ? html`<input type="hidden" name="next" value="${o.next}">` : ''}
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required maxlength="64" value="${o.username ?? ''}" autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256">
<label class="check"><input type="checkbox" name="remember" value="1"> Keep me signed in on this device for 7 days</label>
<button class="button" type="submit">Log in</button>
</form>
${
  v.demo
    ? html`<aside class="demo-users" aria-label="Demo accounts">
<h2>Demo accounts</h2>
<p>This is a demo. Log in as <strong>alice</strong> / <code>wonderland</code> or <strong>bob</strong> / <code>builder</code>.</p>
</aside>`
    : ''
}
</section>`,
  });
}

/** Session facts shown on the account page. */
export interface SessionFacts {
  authenticatedAt: number | null;
  idleExpiresAt: number;
  absoluteExpiresAt: number;
  rememberMe: boolean;
  fresh: boolean;
  now: number;
}

/** GET /account */
export function accountPage(
  v: Visitor,
  o: {
    facts: SessionFacts;
    cart: Cart | undefined;
    orders: Array<{ id: number; totalCents: number; at: number }>;
    notices: readonly Notice[];
  },
): Html {
  const f = o.facts;
  return page(v, {
    title: 'Account',
    control: 'account',
    controlLabel: 'Authenticated pages: no caching, timeouts, renewal',
    notices: o.notices,
    main: html`<h1>Hello ${v.userId}</h1>
<div class="cols">
<section class="panel">
<h2>This session</h2>
<dl class="facts">
<dt>Signed in</dt><dd>${f.authenticatedAt ? ago(f.authenticatedAt, f.now) : 'unknown'}</dd>
<dt>Ends if idle</dt><dd>${until(f.idleExpiresAt, f.now)}</dd>
<dt>Ends at the latest</dt><dd>${until(f.absoluteExpiresAt, f.now)}</dd>
<dt>Kept after closing the browser</dt><dd>${f.rememberMe ? 'yes (7 days)' : 'no'}</dd>
<dt>Recent password check</dt><dd>${f.fresh ? 'yes' : 'no — sensitive actions will ask for your password'}</dd>
</dl>
</section>
<section class="panel">
<h2>Security</h2>
<ul class="link-list">
<li><a href="/account/devices">Your devices</a> — where you are signed in</li>
<li><a href="/account/password">Change password</a> — signs out every other session</li>
</ul>
<h2>Cart</h2>
<p>${cartLines(o.cart).length === 0 ? 'Empty.' : html`${cartLines(o.cart).reduce((s, l) => s + l.qty, 0)} tiles. <a href="/cart">View cart</a>`}</p>
</section>
</div>
<section class="panel">
<h2>Orders</h2>
${
  o.orders.length === 0
    ? html`<p class="muted">No orders yet.</p>`
    : html`<ul class="link-list">${o.orders.map((r) => html`<li>Order #${r.id} — ${money(r.totalCents)} — ${ago(r.at, f.now)}</li>`)}</ul>`
}
</section>`,
  });
}

/** A device row. */
export interface DeviceRow {
  id: string;
  browser: string | null;
  os: string | null;
  deviceType: string | null;
  lastIp: string | null;
  firstIp: string | null;
  lastSeenAt: number;
  createdAt: number;
  current: boolean;
  /**
   * Device-bound: for the current row, this request carried the proof of the registered key; for
   * the others, a key is registered with that session.
   */
  bound: boolean;
}

/** GET /account/devices */
export function devicesPage(
  v: Visitor,
  o: { devices: DeviceRow[]; now: number; notices: readonly Notice[] },
): Html {
  const others = o.devices.filter((d) => !d.current).length;
  return page(v, {
    title: 'Your devices',
    control: 'devices',
    controlLabel: 'Your devices: see and end sessions',
    notices: o.notices,
    main: html`<h1>Your devices</h1>
<p>These browsers are signed in to your account. If you do not recognise one, sign it out and change your password.</p>
<ul class="devices">
${o.devices.map(
  (d) => html`<li class="device${d.current ? ' device-current' : ''}">
<div class="device-icon ${d.deviceType === 'mobile' ? 'is-mobile' : 'is-desktop'}" aria-hidden="true"></div>
<div class="device-body">
<p class="device-name">${d.browser ?? 'Unknown browser'} on ${d.os ?? 'unknown system'}${d.current ? html` <span class="tag">This device</span>` : ''}${
    d.bound
      ? d.current
        ? html` <span class="tag tag-bound" title="Your browser holds a key only it can use; a copied cookie is useless elsewhere.">this device is bound</span>`
        : html` <span class="tag tag-bound">key registered</span>`
      : ''
  }</p>
<p class="muted">Address ${d.lastIp ?? 'unknown'}${d.firstIp && d.firstIp !== d.lastIp ? ` (first seen from ${d.firstIp})` : ''} · last active ${ago(d.lastSeenAt, o.now)} · signed in ${ago(d.createdAt, o.now)}</p>
</div>
${
  d.current
    ? ''
    : html`<form method="post" action="/account/devices/revoke" class="inline">${csrfField(v.csrf)}<input type="hidden" name="id" value="${d.id}"><button class="button button-secondary" type="submit">Sign out</button></form>`
}
</li>`,
)}
</ul>
${
  others > 0
    ? html`<form method="post" action="/account/devices/revoke-others">${csrfField(v.csrf)}<button class="button button-danger" type="submit">Sign out everywhere else (${others})</button></form>`
    : html`<p class="muted">You are signed in on this device only.</p>`
}`,
  });
}

/** GET /account/password */
export function passwordPage(v: Visitor, list: readonly Notice[]): Html {
  return page(v, {
    title: 'Change password',
    control: 'password-change',
    controlLabel: 'Password change ends other sessions',
    notices: list,
    main: html`<section class="panel narrow">
<h1>Change password</h1>
<p>After the change, every other session of your account is signed out; this one stays.</p>
<form method="post" action="/account/password" class="form">
${csrfField(v.csrf)}
<label for="current">Current password</label>
<input id="current" name="current" type="password" autocomplete="current-password" required maxlength="256">
<label for="new">New password <span class="hint">(at least 8 characters)</span></label>
<input id="new" name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="256">
<label for="confirm">Repeat the new password</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="8" maxlength="256">
<button class="button" type="submit">Change password</button>
</form>
</section>`,
  });
}

/** What a step-up is for. */
export const STEP_UP_PURPOSE: Readonly<Record<string, string>> = {
  checkout: 'to pay for your order',
  'revoke-others': 'to sign out everywhere else',
  revoke: 'to sign out that device',
};

/** The password confirmation form (step-up). */
export function reauthForm(v: Visitor, then: string, purpose: string): Html {
  return html`<form method="post" action="/reauth" class="form">
${csrfField(v.csrf)}
<input type="hidden" name="action" value="${then}">
<label for="reauth-password">Password for ${v.userId}</label>
<input id="reauth-password" name="password" type="password" autocomplete="current-password" required maxlength="256" autofocus>
<button class="button" type="submit">Confirm ${purpose}</button>
</form>`;
}

/** GET /reauth */
export function reauthPage(
  v: Visitor,
  o: { action: string; purpose: string; notices: readonly Notice[] },
): Html {
  return page(v, {
    title: 'Confirm your password',
    control: 'step-up',
    controlLabel: 'Step-up: re-enter the password for sensitive actions',
    notices: o.notices,
    main: html`<section class="panel narrow">
<h1>Confirm it’s you</h1>
<p>You signed in a while ago. Enter your password again ${o.purpose}.</p>
${reauthForm(v, o.action, o.purpose)}
</section>`,
  });
}

/** GET /checkout */
export function checkoutPage(
  v: Visitor,
  o: { cart: Cart | undefined; fresh: boolean; notices: readonly Notice[] },
): Html {
  const lines = cartLines(o.cart);
  return page(v, {
    title: 'Checkout',
    control: 'step-up',
    controlLabel: 'Step-up: re-enter the password for sensitive actions',
    notices: o.notices,
    main: html`<h1>Checkout</h1>
${cartTable(o.cart, v.csrf, false)}
${
  lines.length === 0
    ? ''
    : o.fresh
      ? html`<form method="post" action="/checkout">${csrfField(v.csrf)}<button class="button" type="submit">Place order</button></form>`
      : html`<section class="panel narrow step-up"><h2>Confirm your password to pay</h2>
<p>Your login is more than a few minutes old. Paying needs a recent password check.</p>
${reauthForm(v, 'checkout', 'and continue')}</section>`
}`,
  });
}

/** GET /security: what protects each page. */
export function securityPage(v: Visitor): Html {
  const item = (id: string, title: string, body: Html) =>
    html`<section class="panel" id="${id}"><h2>${title}</h2>${body}</section>`;
  return page(v, {
    title: 'How your session is protected',
    control: 'cookies',
    controlLabel: 'The session cookie',
    main: html`<h1>How your session is protected</h1>
<p>Every page of this shop links here. Each section names the control and what it stops.</p>
${item(
  'cookies',
  'The session cookie',
  html`<p>Your browser holds one cookie, <code>__Host-sid</code>: 256 random bits, <code>Secure</code>, <code>HttpOnly</code> (scripts cannot read it), <code>SameSite=Lax</code>, valid for this site only. The server stores only a hash of it, so a leaked database cannot be used to sign in.</p>`,
)}
${item(
  'anonymous',
  'Anonymous carts and lazy sessions',
  html`<p>Browsing creates no session. The first item you add starts an anonymous one (rate-limited per address), and it holds only your cart, encrypted on the server.</p>`,
)}
${item(
  'login',
  'Login: new session token, throttled guessing',
  html`<p>Logging in always issues a new token and ends the anonymous one, so a token planted before login (session fixation) is useless. Your cart is carried over. Wrong passwords are throttled per account and per address. Passwords are stored with scrypt.</p>`,
)}
${item(
  'csrf',
  'Forms cannot be submitted from other sites',
  html`<p>Every form carries a token tied to your session, and requests that the browser marks as cross-site are refused.</p>`,
)}
${item(
  'account',
  'Authenticated pages: no caching, timeouts, renewal',
  html`<p>Pages for signed-in users are sent with <code>Cache-Control: no-store</code>. A session ends after 30 minutes without activity and 12 hours after login at the latest (7 and 30 days with “keep me signed in”). Its token is replaced every 15 minutes; if an old token is used again, both copies are signed out, because that means the cookie was copied.</p>`,
)}
${item(
  'devices',
  'Your devices: see and end sessions',
  html`<p>“Your devices” lists every browser signed in to your account, with address and last activity. You can sign out any of them, or every one but this. Ending a session needs a recent password check.</p>`,
)}
${item(
  'step-up',
  'Step-up: re-enter the password for sensitive actions',
  html`<p>Paying and signing out other devices need a password entered in the last 5 minutes. Otherwise you are asked for it again, and the session gets a new token.</p>`,
)}
${item(
  'password-change',
  'Password change ends other sessions',
  html`<p>Changing your password signs out every other session of your account at once: whoever knew the old password is out.</p>`,
)}
${item(
  'logout',
  'Logging out',
  html`<p>“Log out” is on every page. It deletes the session on the server (a copied cookie stops working too), clears the cookie and asks the browser to drop the site’s cookies.</p>`,
)}`,
  });
}

/** GET /order/:id after a purchase. */
export function orderPlacedPage(v: Visitor, o: { id: number; totalCents: number }): Html {
  return page(v, {
    title: 'Order placed',
    control: 'step-up',
    controlLabel: 'Step-up: re-enter the password for sensitive actions',
    notices: [{ kind: 'success', text: `Order #${o.id} placed: ${money(o.totalCents)}. Thank you!` }],
    main: html`<h1>Thank you</h1><p>Your tiles are on their way (not really — this is a demo).</p><p><a class="button" href="/">Keep shopping</a></p>`,
  });
}
