/**
 * The admin console's pages. User ids, user agents and addresses are attacker-controlled: they are
 * only ever interpolated through hono's escaping `html` template (never `raw`), so a `<script>` in a
 * User-Agent renders as text. No inline script: charts are drawn by /assets/admin.js from data-*
 * attributes, which the template escapes like any other value.
 */
import type { SessionRecord } from '@tessera-sessions/core';
import { html } from 'hono/html';
import type { MinuteCounts } from '../activity.ts';
import type { ApiKeyInfo } from '../state/api-keys.ts';
import { ago, until } from '../web/forms.ts';
import { csrfField, documentShell, type Html, type Notice, notices } from '../web/layout.ts';

/** What every console page knows. */
export interface AdminView {
  admin: string | null;
  csrf: string | null;
  now: number;
}

const iso = (ms: number | null) =>
  ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function shell(
  v: AdminView,
  o: { title: string; active: string; notices?: readonly Notice[]; main: Html; scripts?: string[] },
): Html {
  const link = (href: string, label: string, key: string) =>
    html`<li><a href="${href}"${o.active === key ? html` aria-current="page"` : ''}>${label}</a></li>`;
  return documentShell({
    title: `${o.title} · Tessera admin`,
    bodyClass: 'admin',
    scripts: o.scripts,
    body: html`<header class="admin-header">
<a class="admin-brand" href="/admin"><span class="brand-mark" aria-hidden="true"></span>Tessera <span>admin</span></a>
${
  v.admin
    ? html`<nav aria-label="Console"><ul class="admin-nav">
${link('/admin', 'Dashboard', 'dashboard')}
${link('/admin/sessions', 'Sessions', 'sessions')}
${link('/admin/detections', 'Detections', 'detections')}
${link('/admin/audit', 'Audit trail', 'audit')}
${link('/admin/activity', 'Activity', 'activity')}
${link('/admin/keys', 'API keys', 'keys')}
</ul></nav>
<form method="post" action="/admin/logout" class="inline admin-user"><span>${v.admin}</span>${csrfField(v.csrf)}<button class="button button-small button-secondary" type="submit">Log out</button></form>`
    : ''
}
</header>
<main id="main" class="admin-main">
${notices(o.notices ?? [])}
${o.main}
</main>`,
  });
}

/** GET /admin/login */
export function loginPage(v: AdminView, o: { username?: string; notices: readonly Notice[] }): Html {
  return shell(v, {
    title: 'Log in',
    active: '',
    notices: o.notices,
    main: html`<section class="panel narrow">
<h1>Administrator login</h1>
<form method="post" action="/admin/login" class="form">
${csrfField(v.csrf)}
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required maxlength="64" value="${o.username ?? ''}" autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256">
<button class="button" type="submit">Log in</button>
</form>
</section>`,
  });
}

/** GET /admin/setup */
export function setupPage(v: AdminView, o: { username?: string; notices: readonly Notice[] }): Html {
  return shell(v, {
    title: 'Set up',
    active: '',
    notices: o.notices,
    main: html`<section class="panel narrow">
<h1>Create the first administrator</h1>
<p>Enter the one-time code that <code>tessera serve</code> printed at start-up (or run <code>tessera admin bootstrap-code</code>). There is no default password.</p>
<form method="post" action="/admin/setup" class="form">
${csrfField(v.csrf)}
<label for="code">One-time code</label>
<input id="code" name="code" required maxlength="64" autocomplete="off" placeholder="XXXX-XXXX-XXXX-XXXX" autofocus>
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required maxlength="64" value="${o.username ?? ''}">
<label for="password">Password <span class="hint">(at least 8 characters)</span></label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="256">
<label for="confirm">Repeat the password</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="8" maxlength="256">
<button class="button" type="submit">Create administrator</button>
</form>
</section>`,
  });
}

/** GET /admin */
export function dashboardPage(
  v: AdminView,
  o: {
    live: number | null;
    authenticated: number | null;
    storeKind: string;
    storeOk: boolean;
    series: MinuteCounts[];
    detections: number;
    keys: number;
    notices: readonly Notice[];
  },
): Html {
  const series = JSON.stringify({
    labels: o.series.map((m) => new Date(m.at).toISOString().slice(11, 16)),
    logins: o.series.map((m) => m.logins),
    revocations: o.series.map((m) => m.revocations),
    detections: o.series.map((m) => m.detections),
  });
  const stat = (label: string, value: string, hint?: Html) =>
    html`<div class="stat"><p class="stat-label">${label}</p><p class="stat-value">${value}</p>${hint ?? ''}</div>`;
  return shell(v, {
    title: 'Dashboard',
    active: 'dashboard',
    notices: o.notices,
    scripts: ['/assets/chart.umd.js', '/assets/admin.js'],
    main: html`<h1>Dashboard</h1>
<div class="stats">
${stat('Live sessions', o.live === null ? 'n/a' : String(o.live))}
${stat('Signed-in sessions', o.authenticated === null ? 'n/a' : String(o.authenticated))}
${stat('Open detections', String(o.detections), html`<a class="stat-link" href="/admin/detections">View</a>`)}
${stat('Store', `${o.storeKind}: ${o.storeOk ? 'healthy' : 'unavailable'}`)}
</div>
<section class="panel">
<h2>Last 60 minutes</h2>
<div class="chart-box"><canvas id="activity-chart" role="img" aria-label="Logins, revocations and detections per minute over the last 60 minutes" data-series="${series}"></canvas></div>
<p class="muted">Per minute, this process since start. ${o.keys} API key(s) active.</p>
</section>`,
  });
}

/** A row of the sessions table. */
function sessionRow(v: AdminView, r: SessionRecord): Html {
  return html`<tr>
<td>${r.userId === null ? html`<span class="muted">anonymous</span>` : html`<a href="/admin/sessions?q=${encodeURIComponent(r.userId)}">${r.userId}</a>`}</td>
<td>${r.device.browser ?? 'Unknown'} · ${r.device.os ?? 'unknown OS'}<div class="ua">${r.device.userAgent ?? ''}</div></td>
<td>${r.device.lastIp ?? '—'}</td>
<td>${ago(r.lastSeenAt, v.now)}</td>
<td>${until(Math.min(r.idleExpiresAt, r.absoluteExpiresAt), v.now)}</td>
<td class="row-actions"><a href="/admin/sessions/${r.id}">Details</a>
<form method="post" action="/admin/sessions/revoke" class="inline">${csrfField(v.csrf)}<input type="hidden" name="id" value="${r.id}"><button class="link-button danger" type="submit">Revoke</button></form></td>
</tr>`;
}

/** GET /admin/sessions */
export function sessionsPage(
  v: AdminView,
  o: {
    q: string;
    signedIn: boolean;
    rows: SessionRecord[] | null;
    limit: number;
    notices: readonly Notice[];
  },
): Html {
  return shell(v, {
    title: 'Sessions',
    active: 'sessions',
    notices: o.notices,
    main: html`<h1>Sessions</h1>
<form method="get" action="/admin/sessions" class="search" role="search">
<label for="q" class="visually-hidden">Search by user, address or agent</label>
<input id="q" name="q" type="search" value="${o.q}" placeholder="User, address, browser or user agent" maxlength="200">
<label class="check"><input type="checkbox" name="signedIn" value="1"${o.signedIn ? html` checked` : ''}> Signed-in only</label>
<button class="button" type="submit">Search</button>
</form>
${
  o.rows === null
    ? html`<p class="notice notice-warning">This store cannot search sessions. Look up a user's sessions with the API or <code>tessera sessions list --user</code>.</p>`
    : o.rows.length === 0
      ? html`<p class="empty">No live sessions match.</p>`
      : html`<div class="table-wrap"><table class="table">
<caption class="visually-hidden">Live sessions</caption>
<thead><tr><th scope="col">User</th><th scope="col">Device</th><th scope="col">Address</th><th scope="col">Last seen</th><th scope="col">Ends</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${o.rows.map((r) => sessionRow(v, r))}</tbody>
</table></div>
<p class="muted">${o.rows.length === o.limit ? `Showing the ${o.limit} most recently active; refine the search to see others.` : `${o.rows.length} session(s).`}</p>`
}
${
  o.q && o.rows?.some((r) => r.userId === o.q)
    ? html`<form method="post" action="/admin/users/revoke-all" class="danger-zone">${csrfField(v.csrf)}<input type="hidden" name="userId" value="${o.q}"><button class="button button-danger" type="submit">Revoke every session of ${o.q}</button></form>`
    : ''
}
<details class="danger-zone"><summary>End every user's sessions</summary>
<p>Signs out every user of the service at once (for example after a suspected breach). Administrators stay signed in.</p>
<form method="post" action="/admin/sessions/revoke-everyone">${csrfField(v.csrf)}<button class="button button-danger" type="submit">End all user sessions</button></form>
</details>`,
  });
}

/** GET /admin/sessions/:id */
export function sessionDetailPage(
  v: AdminView,
  o: {
    r: SessionRecord;
    family: SessionRecord[];
    history: Array<{ type: string; at: number; ip: string | null }>;
    notices: readonly Notice[];
  },
): Html {
  const r = o.r;
  const row = (k: string, val: unknown) => html`<dt>${k}</dt><dd>${val}</dd>`;
  return shell(v, {
    title: 'Session',
    active: 'sessions',
    notices: o.notices,
    main: html`<h1>Session of ${r.userId ?? 'an anonymous visitor'}</h1>
<div class="cols">
<section class="panel"><h2>Lifecycle</h2><dl class="facts">
${row('Session id', html`<code>${r.id}</code>`)}
${row('User', r.userId ?? 'anonymous')}
${row('Created', `${iso(r.createdAt)} (${ago(r.createdAt, v.now)})`)}
${row('Last seen', `${iso(r.lastSeenAt)} (${ago(r.lastSeenAt, v.now)})`)}
${row('Authenticated', r.authenticatedAt === null ? 'no' : `${iso(r.authenticatedAt)}, level ${r.authLevel}`)}
${row('Idle deadline', `${iso(r.idleExpiresAt)} (${until(r.idleExpiresAt, v.now)})`)}
${row('Absolute deadline', `${iso(r.absoluteExpiresAt)} (${until(r.absoluteExpiresAt, v.now)})`)}
${row('Token rotated', iso(r.rotatedAt))}
${row('Remember me', r.rememberMe ? 'yes' : 'no')}
${row('Step-up required', r.stepUpRequired ? 'yes (binding policy)' : 'no')}
</dl></section>
<section class="panel"><h2>Device</h2><dl class="facts">
${row('Browser', r.device.browser ?? 'unknown')}
${row('OS', r.device.os ?? 'unknown')}
${row('Type', r.device.deviceType ?? 'desktop')}
${row('User agent', html`<span class="ua">${r.device.userAgent ?? 'not recorded'}</span>`)}
${row('First address', r.device.firstIp ?? '—')}
${row('Last address', r.device.lastIp ?? '—')}
</dl></section>
</div>
<section class="panel"><h2>Rotation family</h2>
<p>Family <code>${r.family}</code>: ${o.family.length} live session(s) in this chain of logins and renewals.</p>
<h2>Address history</h2>
${
  o.history.length === 0
    ? html`<p class="muted">No events for this session in this process's recent activity.</p>`
    : html`<ul class="link-list">${o.history.map((h) => html`<li>${iso(h.at)} — ${h.type} — ${h.ip ?? 'no address'}</li>`)}</ul>`
}
</section>
<div class="actions">
<form method="post" action="/admin/sessions/revoke" class="inline">${csrfField(v.csrf)}<input type="hidden" name="id" value="${r.id}"><button class="button button-danger" type="submit">Revoke this session</button></form>
${r.userId === null ? '' : html`<form method="post" action="/admin/users/revoke-all" class="inline">${csrfField(v.csrf)}<input type="hidden" name="userId" value="${r.userId}"><button class="button button-secondary" type="submit">Revoke all of ${r.userId}'s sessions</button></form>`}
</div>`,
  });
}

/** GET /admin/activity */
export function activityPage(
  v: AdminView,
  o: {
    detectionsOnly: boolean;
    events: Array<{
      type: string;
      at: number;
      userId: string | null;
      ip: string | null;
      sessionId: string | null;
      source: string;
      detail: string;
    }>;
    notices: readonly Notice[];
  },
): Html {
  return shell(v, {
    title: 'Activity',
    active: 'activity',
    notices: o.notices,
    main: html`<h1>${o.detectionsOnly ? 'Detections' : 'Activity'}</h1>
<p><a href="/admin/activity">All events</a> · <a href="/admin/activity?detections=1">Detections only</a></p>
<p class="muted">The most recent events of this process (no tokens or session data). The permanent, tamper-evident record is the <a href="/admin/audit">audit trail</a>.</p>
${
  o.events.length === 0
    ? html`<p class="empty">Nothing yet.</p>`
    : html`<div class="table-wrap"><table class="table"><thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">User</th><th scope="col">Address</th><th scope="col">Detail</th></tr></thead>
<tbody>${o.events.map(
        (e) =>
          html`<tr><td>${iso(e.at)}</td><td><code>${e.type}</code>${e.source === 'admin' ? html` <span class="tag">console</span>` : ''}</td><td>${e.userId ?? '—'}</td><td>${e.ip ?? '—'}</td><td>${e.detail}</td></tr>`,
      )}</tbody></table></div>`
}`,
  });
}

/** GET /admin/keys */
export function keysPage(
  v: AdminView,
  o: { keys: ApiKeyInfo[]; created?: { key: string; name: string }; notices: readonly Notice[] },
): Html {
  return shell(v, {
    title: 'API keys',
    active: 'keys',
    notices: o.notices,
    main: html`<h1>API keys</h1>
${
  o.created
    ? html`<section class="panel created-key" aria-live="polite"><h2>New key “${o.created.name}”</h2><p>Copy it now: it is shown only once and stored only as a hash.</p><p><code class="secret">${o.created.key}</code></p></section>`
    : ''
}
<section class="panel">
<h2>Create a key</h2>
<form method="post" action="/admin/keys" class="form inline-form">
${csrfField(v.csrf)}
<label for="name">Name</label>
<input id="name" name="name" required maxlength="100" placeholder="checkout-service">
<fieldset><legend>Scopes</legend>
<label class="check"><input type="checkbox" name="validate" value="1" checked> validate</label>
<label class="check"><input type="checkbox" name="manage" value="1"> manage</label>
<label class="check"><input type="checkbox" name="admin" value="1"> admin</label>
</fieldset>
<button class="button" type="submit">Create key</button>
</form>
</section>
${
  o.keys.length === 0
    ? html`<p class="empty">No API keys yet.</p>`
    : html`<div class="table-wrap"><table class="table"><thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Status</th></tr></thead>
<tbody>${o.keys.map(
        (
          k,
        ) => html`<tr><td>${k.name}</td><td><code>${k.id}</code></td><td>${k.scopes.join(', ')}</td><td>${iso(k.createdAt)}</td><td>${k.lastUsedAt === null ? 'never' : ago(k.lastUsedAt, v.now)}</td>
<td>${k.revokedAt === null ? html`<form method="post" action="/admin/keys/revoke" class="inline">${csrfField(v.csrf)}<input type="hidden" name="id" value="${k.id}"><button class="link-button danger" type="submit">Revoke</button></form>` : 'revoked'}</td></tr>`,
      )}</tbody></table></div>`
}`,
  });
}

/** GET /admin/reauth */
export function reauthPage(v: AdminView, o: { back: string; notices: readonly Notice[] }): Html {
  return shell(v, {
    title: 'Confirm your password',
    active: '',
    notices: o.notices,
    main: html`<section class="panel narrow">
<h1>Confirm your password</h1>
<p>Destructive actions need a password check from the last 5 minutes.</p>
<form method="post" action="/admin/reauth" class="form">
${csrfField(v.csrf)}
<input type="hidden" name="back" value="${o.back}">
<label for="password">Password for ${v.admin}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256" autofocus>
<button class="button" type="submit">Confirm</button>
</form>
</section>`,
  });
}

/** GET /admin/audit */
export function auditPage(
  v: AdminView,
  o: {
    verify: { ok: true; entries: number } | { ok: false; entries: number; brokenAt: number; message: string };
    kind: string;
    user: string;
    entries: Array<{ seq: number; at: number; kind: string; body: string; hash: string }>;
    notices: readonly Notice[];
  },
): Html {
  return shell(v, {
    title: 'Audit trail',
    active: 'audit',
    notices: o.notices,
    main: html`<h1>Audit trail</h1>
${
  o.verify.ok
    ? html`<p class="notice notice-success" role="status">Hash chain verified: ${o.verify.entries} entries, no link broken.</p>`
    : html`<p class="notice notice-error" role="alert">Hash chain BROKEN at entry ${o.verify.brokenAt}: ${o.verify.message}</p>`
}
<form method="get" action="/admin/audit" class="search" role="search">
<label for="kind">Kind starts with</label>
<input id="kind" name="kind" value="${o.kind}" placeholder="session.revoked, admin., detection." maxlength="100">
<label for="user">User</label>
<input id="user" name="user" value="${o.user}" maxlength="256">
<button class="button" type="submit">Filter</button>
</form>
${
  o.entries.length === 0
    ? html`<p class="empty">No entries match.</p>`
    : html`<div class="table-wrap"><table class="table"><thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Kind</th><th scope="col">Facts</th><th scope="col">Hash</th></tr></thead>
<tbody>${o.entries.map(
        (e) =>
          html`<tr><td>${e.seq}</td><td>${iso(e.at)}</td><td><code>${e.kind}</code></td><td class="ua">${e.body}</td><td><code title="${e.hash}">${e.hash.slice(0, 12)}…</code></td></tr>`,
      )}</tbody></table></div>`
}`,
  });
}

/** A detection as the console lists it. */
export interface DetectionRow {
  id: string;
  rule: string;
  action: string;
  severity: string;
  at: number;
  userId: string | null;
  ip: string | null;
  summary: string;
  acknowledged: { at: number; by: string; note: string | null } | null;
}

/** GET /admin/detections */
export function detectionsPage(
  v: AdminView,
  o: { open: boolean; rows: DetectionRow[]; notices: readonly Notice[] },
): Html {
  return shell(v, {
    title: 'Detections',
    active: 'detections',
    notices: o.notices,
    main: html`<h1>Detections</h1>
<p><a href="/admin/detections"${o.open ? html` aria-current="page"` : ''}>Open</a> · <a href="/admin/detections?all=1"${o.open ? '' : html` aria-current="page"`}>All</a></p>
${
  o.rows.length === 0
    ? html`<p class="empty">${o.open ? 'No open detections.' : 'No detections yet.'}</p>`
    : html`<div class="table-wrap"><table class="table"><thead><tr><th scope="col">When</th><th scope="col">Rule</th><th scope="col">Severity</th><th scope="col">User</th><th scope="col">Address</th><th scope="col">What happened</th><th scope="col">Status</th></tr></thead>
<tbody>${o.rows.map(
        (
          d,
        ) => html`<tr><td>${iso(d.at)}</td><td><code>${d.rule}</code> → ${d.action}</td><td><span class="tag sev-${d.severity}">${d.severity}</span></td><td>${d.userId ?? '—'}</td><td>${d.ip ?? '—'}</td><td>${d.summary}</td>
<td>${
          d.acknowledged
            ? html`acknowledged by ${d.acknowledged.by}`
            : html`<form method="post" action="/admin/detections/acknowledge" class="inline">${csrfField(v.csrf)}<input type="hidden" name="id" value="${d.id}"><button class="link-button" type="submit">Acknowledge</button></form>`
        }</td></tr>`,
      )}</tbody></table></div>`
}`,
  });
}
