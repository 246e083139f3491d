/** The stylesheet of the shop and the console (served at /assets/site.css). Plain CSS in a string, so the build needs no copying. */
export const SITE_CSS = `/* Tessera Tiles — the demo shop. System fonts, one accent, AA contrast, works from 320 px up. */
:root {
  --bg: #f7f5f0;
  --surface: #ffffff;
  --text: #1c1917;
  --muted: #57534e;
  --border: #d6d3d1;
  --accent: #1d4ed8;
  --accent-dark: #1e3a8a;
  --danger: #b91c1c;
  --success-bg: #ecfdf5;
  --success: #065f46;
  --warning-bg: #fffbeb;
  --warning: #92400e;
  --error-bg: #fef2f2;
  --info-bg: #eff6ff;
  --radius: 10px;
  --shadow: 0 1px 2px rgb(0 0 0 / 6%), 0 4px 12px rgb(0 0 0 / 5%);
  color-scheme: light;
}
* {
  box-sizing: border-box;
}
html {
  -webkit-text-size-adjust: 100%;
}
body {
  margin: 0;
  font:
    16px / 1.55 system-ui,
    -apple-system,
    "Segoe UI",
    Roboto,
    "Helvetica Neue",
    Arial,
    sans-serif;
  color: var(--text);
  background: var(--bg);
  min-height: 100vh;
  display: flex;
  flex-direction: column;
}
a {
  color: var(--accent);
  text-underline-offset: 2px;
}
a:hover {
  color: var(--accent-dark);
}
:focus-visible {
  outline: 3px solid #f59e0b;
  outline-offset: 2px;
  border-radius: 4px;
}
code {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 0.92em;
  background: #f1f0ec;
  padding: 0.05em 0.3em;
  border-radius: 4px;
}
h1 {
  font-size: clamp(1.6rem, 4vw, 2.2rem);
  line-height: 1.2;
  margin: 0.2em 0 0.6em;
  letter-spacing: -0.01em;
}
h2 {
  font-size: 1.15rem;
  margin: 0 0 0.6em;
}
.skip {
  position: absolute;
  left: -9999px;
  top: 0;
  background: var(--text);
  color: #fff;
  padding: 0.5em 1em;
  z-index: 10;
}
.skip:focus {
  left: 0.5em;
  top: 0.5em;
}
.visually-hidden {
  position: absolute;
  width: 1px;
  height: 1px;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
}
.muted {
  color: var(--muted);
}
.container {
  width: 100%;
  max-width: 1040px;
  margin: 0 auto;
  padding: 1.5rem 1rem 3rem;
  flex: 1;
}

/* Header */
.site-header {
  background: var(--surface);
  border-bottom: 1px solid var(--border);
}
.nav {
  max-width: 1040px;
  margin: 0 auto;
  padding: 0.75rem 1rem;
  display: flex;
  align-items: center;
  justify-content: space-between;
  gap: 1rem;
  flex-wrap: wrap;
}
.brand {
  display: inline-flex;
  align-items: center;
  gap: 0.55rem;
  font-weight: 700;
  font-size: 1.1rem;
  color: var(--text);
  text-decoration: none;
}
.brand-mark {
  width: 22px;
  height: 22px;
  display: inline-block;
  background:
    linear-gradient(90deg, #1d4ed8 0 48%, transparent 48% 52%, #c2410c 52%) top / 100% 48% no-repeat,
    linear-gradient(90deg, #b45309 0 48%, transparent 48% 52%, #047857 52%) bottom / 100% 48% no-repeat;
}
.nav-links {
  list-style: none;
  display: flex;
  align-items: center;
  gap: 0.25rem 1rem;
  margin: 0;
  padding: 0;
  flex-wrap: wrap;
}
.nav-links a {
  text-decoration: none;
  font-weight: 500;
}
.badge {
  display: inline-block;
  min-width: 1.5em;
  padding: 0 0.4em;
  border-radius: 999px;
  background: var(--accent);
  color: #fff;
  font-size: 0.8rem;
  text-align: center;
}
.inline {
  display: inline;
  margin: 0;
}

/* Buttons */
.button {
  display: inline-block;
  border: 0;
  border-radius: 8px;
  background: var(--accent);
  color: #fff;
  font: inherit;
  font-weight: 600;
  padding: 0.6em 1.1em;
  cursor: pointer;
  text-decoration: none;
  min-height: 44px;
}
.button:hover {
  background: var(--accent-dark);
  color: #fff;
}
.button-small {
  padding: 0.35em 0.9em;
  min-height: 36px;
}
.button-secondary {
  background: #fff;
  color: var(--text);
  border: 1px solid var(--border);
}
.button-secondary:hover {
  background: #f5f5f4;
  color: var(--text);
}
.button-danger {
  background: var(--danger);
}
.button-danger:hover {
  background: #7f1d1d;
}
.link-button {
  border: 0;
  background: none;
  color: var(--accent);
  font: inherit;
  font-weight: 500;
  cursor: pointer;
  padding: 0.25em 0;
  text-decoration: underline;
  text-underline-offset: 2px;
  min-height: 32px;
}

/* Notices */
.notices {
  margin-bottom: 1rem;
  display: grid;
  gap: 0.5rem;
}
.notice {
  margin: 0;
  padding: 0.75em 1em;
  border-radius: var(--radius);
  border-left: 4px solid;
}
.notice-info {
  background: var(--info-bg);
  border-color: var(--accent);
}
.notice-success {
  background: var(--success-bg);
  border-color: #059669;
  color: var(--success);
}
.notice-warning {
  background: var(--warning-bg);
  border-color: #d97706;
  color: var(--warning);
}
.notice-error {
  background: var(--error-bg);
  border-color: var(--danger);
  color: #7f1d1d;
}

/* Shop */
.hero {
  padding: 1rem 0 0.5rem;
}
.hero p {
  color: var(--muted);
  font-size: 1.1rem;
  margin-top: -0.4em;
}
.grid {
  list-style: none;
  padding: 0;
  margin: 1rem 0 0;
  display: grid;
  gap: 1rem;
  grid-template-columns: repeat(auto-fill, minmax(220px, 1fr));
}
.card {
  background: var(--surface);
  border-radius: var(--radius);
  box-shadow: var(--shadow);
  padding: 1rem;
  display: flex;
  flex-direction: column;
}
.card-title {
  margin: 0.75rem 0 0.1rem;
  font-size: 1.05rem;
}
.card p {
  margin: 0.1rem 0 0.5rem;
}
.card form {
  margin-top: auto;
}
.card .button {
  width: 100%;
}
.price {
  font-weight: 700;
  font-size: 1.1rem;
}
.swatch {
  aspect-ratio: 4 / 3;
  border-radius: 8px;
}
.dot {
  display: inline-block;
  width: 14px;
  height: 14px;
  border-radius: 3px;
  margin-right: 0.5em;
  vertical-align: -2px;
}
.sw-cobalt {
  background: repeating-conic-gradient(#1e40af 0 25%, #2563eb 0 50%) 0 0 / 24px 24px;
}
.sw-terracotta {
  background: repeating-conic-gradient(#9a3412 0 25%, #c2410c 0 50%) 0 0 / 24px 24px;
}
.sw-gold {
  background: repeating-conic-gradient(#a16207 0 25%, #eab308 0 50%) 0 0 / 24px 24px;
}
.sw-marble {
  background: repeating-conic-gradient(#e7e5e4 0 25%, #fafaf9 0 50%) 0 0 / 24px 24px;
  border: 1px solid var(--border);
}
.sw-jade {
  background: repeating-conic-gradient(#065f46 0 25%, #10b981 0 50%) 0 0 / 24px 24px;
}
.sw-onyx {
  background: repeating-conic-gradient(#0c0a09 0 25%, #44403c 0 50%) 0 0 / 24px 24px;
}

/* Panels and forms */
.panel {
  background: var(--surface);
  border-radius: var(--radius);
  box-shadow: var(--shadow);
  padding: 1.25rem;
  margin-bottom: 1rem;
}
.narrow {
  max-width: 440px;
}
.cols {
  display: grid;
  gap: 1rem;
  grid-template-columns: repeat(auto-fit, minmax(280px, 1fr));
}
.cols .panel {
  margin-bottom: 0;
}
.cols + .panel {
  margin-top: 1rem;
}
.form {
  display: grid;
  gap: 0.35rem;
}
.form label {
  font-weight: 600;
  margin-top: 0.5rem;
}
.form .check {
  font-weight: 400;
  display: flex;
  gap: 0.5em;
  align-items: center;
  margin: 0.6rem 0;
}
.form .button {
  margin-top: 0.75rem;
  justify-self: start;
}
.hint {
  font-weight: 400;
  color: var(--muted);
}
input[type="text"],
input:not([type]),
input[type="password"],
input[type="search"] {
  font: inherit;
  padding: 0.6em 0.75em;
  border: 1px solid #a8a29e;
  border-radius: 8px;
  background: #fff;
  width: 100%;
  min-height: 44px;
}
input[type="checkbox"] {
  width: 1.2em;
  height: 1.2em;
}
.demo-users {
  margin-top: 1.25rem;
  padding: 1rem;
  border: 1px dashed #a8a29e;
  border-radius: var(--radius);
  background: #fafaf9;
}
.demo-users h2 {
  font-size: 1rem;
}
.demo-users p {
  margin: 0;
}
.facts {
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: 0.35rem 1rem;
  margin: 0;
}
.facts dt {
  color: var(--muted);
}
.facts dd {
  margin: 0;
  font-weight: 500;
}
.link-list {
  padding-left: 1.1rem;
  margin: 0 0 1rem;
}
.link-list li {
  margin: 0.3rem 0;
}
.actions {
  margin-top: 1rem;
}
.step-up {
  margin-top: 1rem;
  border-left: 4px solid #d97706;
}

/* Tables */
.table {
  width: 100%;
  border-collapse: collapse;
  background: var(--surface);
  border-radius: var(--radius);
  overflow: hidden;
  box-shadow: var(--shadow);
}
.table th,
.table td {
  text-align: left;
  padding: 0.65rem 0.8rem;
  border-bottom: 1px solid #e7e5e4;
  vertical-align: middle;
}
.table thead th {
  background: #f5f5f4;
  font-size: 0.9rem;
  color: var(--muted);
}
.table .num {
  text-align: right;
  font-variant-numeric: tabular-nums;
}
.total {
  font-weight: 700;
}
.empty {
  padding: 1.5rem;
  background: var(--surface);
  border-radius: var(--radius);
  box-shadow: var(--shadow);
}

/* Devices */
.devices {
  list-style: none;
  padding: 0;
  margin: 1rem 0;
  display: grid;
  gap: 0.75rem;
}
.device {
  display: flex;
  gap: 1rem;
  align-items: center;
  background: var(--surface);
  padding: 1rem;
  border-radius: var(--radius);
  box-shadow: var(--shadow);
  flex-wrap: wrap;
}
.device-current {
  outline: 2px solid var(--accent);
}
.device-icon {
  width: 40px;
  height: 32px;
  border: 3px solid var(--muted);
  border-radius: 4px;
  flex: none;
}
.device-icon.is-mobile {
  width: 22px;
  height: 36px;
  border-radius: 5px;
}
.device-body {
  flex: 1;
  min-width: 200px;
}
.device-body p {
  margin: 0;
}
.device-name {
  font-weight: 600;
}
.tag {
  display: inline-block;
  font-size: 0.75rem;
  font-weight: 600;
  padding: 0.1em 0.5em;
  border-radius: 999px;
  background: var(--info-bg);
  color: var(--accent-dark);
  margin-left: 0.4em;
}
.tag-bound {
  background: var(--success-bg);
}

/* Footer */
.site-footer {
  border-top: 1px solid var(--border);
  background: var(--surface);
  padding: 1rem;
  text-align: center;
  font-size: 0.92rem;
}
.site-footer p {
  margin: 0.25rem 0;
}

@media (max-width: 560px) {
  .nav {
    padding: 0.6rem 0.75rem;
  }
  .nav-links {
    gap: 0.25rem 0.75rem;
  }
  .table th,
  .table td {
    padding: 0.55rem 0.5rem;
  }
  .facts {
    grid-template-columns: 1fr;
  }
  .facts dd {
    margin-bottom: 0.4rem;
  }
}

/* Admin console */
body.admin {
  background: #f4f4f5;
}
.admin-header {
  display: flex;
  align-items: center;
  gap: 1rem 2rem;
  flex-wrap: wrap;
  padding: 0.75rem 1.25rem;
  background: #18181b;
  color: #fafafa;
}
.admin-brand {
  display: inline-flex;
  align-items: center;
  gap: 0.5rem;
  color: #fff;
  font-weight: 700;
  text-decoration: none;
}
.admin-brand span:last-child {
  font-weight: 400;
  color: #a1a1aa;
}
.admin-brand:hover {
  color: #fff;
}
.admin-nav {
  list-style: none;
  display: flex;
  gap: 0.25rem;
  margin: 0;
  padding: 0;
  flex-wrap: wrap;
}
.admin-nav a {
  color: #e4e4e7;
  text-decoration: none;
  padding: 0.4rem 0.75rem;
  border-radius: 6px;
  display: inline-block;
}
.admin-nav a:hover {
  background: #27272a;
  color: #fff;
}
.admin-nav a[aria-current="page"] {
  background: #3f3f46;
  color: #fff;
}
.admin-user {
  margin-left: auto;
  display: flex;
  align-items: center;
  gap: 0.75rem;
  color: #d4d4d8;
}
.admin-main {
  width: 100%;
  max-width: 1200px;
  margin: 0 auto;
  padding: 1.5rem 1.25rem 3rem;
  flex: 1;
}
.stats {
  display: grid;
  gap: 1rem;
  grid-template-columns: repeat(auto-fit, minmax(200px, 1fr));
  margin-bottom: 1rem;
}
.stat {
  background: var(--surface);
  border-radius: var(--radius);
  box-shadow: var(--shadow);
  padding: 1rem 1.25rem;
}
.stat-label {
  margin: 0;
  color: var(--muted);
  font-size: 0.9rem;
}
.stat-value {
  margin: 0.2rem 0 0;
  font-size: 1.6rem;
  font-weight: 700;
}
.stat-link {
  font-size: 0.9rem;
}
.chart-box {
  position: relative;
  height: 280px;
}
.search {
  display: flex;
  gap: 0.75rem;
  align-items: center;
  flex-wrap: wrap;
  margin-bottom: 1rem;
}
.search input[type="search"] {
  max-width: 420px;
  flex: 1 1 240px;
}
.search .check {
  display: flex;
  gap: 0.4em;
  align-items: center;
}
.table-wrap {
  overflow-x: auto;
  border-radius: var(--radius);
  box-shadow: var(--shadow);
}
.table-wrap .table {
  box-shadow: none;
}
.ua {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 0.78rem;
  color: var(--muted);
  word-break: break-all;
  max-width: 38ch;
}
.row-actions {
  white-space: nowrap;
}
.row-actions form {
  margin-left: 0.75rem;
}
.link-button.danger {
  color: var(--danger);
}
.danger-zone {
  margin-top: 1.5rem;
  padding: 1rem;
  border: 1px solid #fecaca;
  background: #fff;
  border-radius: var(--radius);
}
.danger-zone summary {
  cursor: pointer;
  font-weight: 600;
  color: var(--danger);
}
.actions {
  display: flex;
  gap: 0.75rem;
  flex-wrap: wrap;
}
.created-key {
  border-left: 4px solid #059669;
}
.secret {
  display: inline-block;
  padding: 0.5em 0.75em;
  word-break: break-all;
  font-size: 0.95rem;
}
  .sev-high { background: #fee2e2; color: #7f1d1d; }
  .sev-medium { background: #fef3c7; color: #78350f; }
  .sev-low { background: #e0f2fe; color: #0c4a6e; }
  .search input:not([type='checkbox']) { max-width: 320px; flex: 1 1 200px; width: auto; }
  .search > label:not(.check) { font-weight: 600; }
fieldset {
  border: 1px solid var(--border);
  border-radius: 8px;
  padding: 0.5rem 0.75rem;
  margin: 0.5rem 0;
}
legend {
  font-weight: 600;
  padding: 0 0.25rem;
}
.form fieldset .check {
  display: inline-flex;
  gap: 0.4em;
  align-items: center;
  margin-right: 1rem;
  font-weight: 400;
}
`;
