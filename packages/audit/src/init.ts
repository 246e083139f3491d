import YAML from 'yaml';
import { AuditError } from './errors.ts';
import { type HtmlForm, linkTargets, parseForms } from './html.ts';
import { type Exchange, HttpClient } from './http/client.ts';
import { DEFAULT_LIMITS, Throttle } from './http/limits.ts';

/** Paths tried for a login form when the given URL has none (common stacks' defaults). */
const LOGIN_PATHS = [
  '/login',
  '/login/',
  '/signin',
  '/accounts/login/',
  '/user/login',
  '/users/sign_in',
  '/login.php',
  '/login.jsp',
  '/auth/login',
];

const CSRF_FIELD = /csrf|xsrf|authenticity|_token|nonce/i;

/** What `init` found out about the target. */
export interface Discovery {
  loginPage: string;
  form: { action: string; method: string; usernameField: string; passwordField: string; hidden: string[] };
  /** Where a successful login landed and what proves it, when credentials were given. */
  loggedIn?: { path: string; text?: string };
  logout?: { method: string; path: string; hiddenFieldsFrom?: string };
  stateChanging?: { method: string; path: string; hiddenFieldsFrom?: string; fields: string[] };
  notes: string[];
}

function loginForm(html: string): HtmlForm | undefined {
  return parseForms(html).find((f) => f.inputs.some((i) => i.type === 'password'));
}

function pathOf(url: string, base: URL): string {
  const u = new URL(url, base);
  return u.pathname + u.search;
}

/**
 * Discovers what an audit profile needs: the login form (fields, CSRF field, action), and with
 * credentials, where the login lands, a text only the logged-in user sees, the logout and a
 * state-changing form. Sends a handful of requests, same origin only.
 */
export async function discover(
  target: string,
  credentials: { username: string; password: string } | undefined,
): Promise<Discovery> {
  const start = new URL(target);
  const client = new HttpClient(
    start,
    new Throttle({ ...DEFAULT_LIMITS, maxRequests: 200, totalTimeMs: 60_000 }),
  );
  const notes: string[] = [];
  let page: Exchange | undefined;
  let form: HtmlForm | undefined;
  const tried = new Set<string>();
  const visit = async (path: string) => {
    if (tried.has(path)) return;
    tried.add(path);
    const chain = await client.sendChain({ path, followRedirects: true });
    const last = chain[chain.length - 1] as Exchange;
    const f = last.status < 400 ? loginForm(last.body) : undefined;
    if (f && !form) {
      form = f;
      page = last;
    }
    return last;
  };
  const first = await visit(start.pathname + start.search);
  // Links that look like a login, then the common paths.
  const links = first ? linkTargets(first.body).filter((l) => /log\s*-?in|sign\s*-?in|auth/i.test(l)) : [];
  for (const candidate of [...links, ...LOGIN_PATHS]) {
    if (form) break;
    try {
      const u = new URL(candidate, start);
      if (u.origin !== start.origin) continue;
      await visit(u.pathname + u.search);
    } catch {
      // not a URL
    }
  }
  if (!form || !page) {
    throw new AuditError(
      'LOGIN_FAILED',
      `no login form (a form with a password field) at ${start.origin}${start.pathname} or ${LOGIN_PATHS.join(', ')}; write the login section of the profile by hand`,
    );
  }
  const found = form as HtmlForm;
  const loginPage = pathOf((page as Exchange).url, start);
  const password = found.inputs.find((i) => i.type === 'password')?.name as string;
  const username =
    found.inputs.find(
      (i) => ['text', 'email'].includes(i.type) && /user|login|email|name|account/i.test(i.name),
    )?.name ??
    found.inputs.find((i) => ['text', 'email'].includes(i.type))?.name ??
    'username';
  const hidden = found.inputs.filter((i) => i.type === 'hidden').map((i) => i.name);
  const action = found.action ? pathOf(found.action, new URL((page as Exchange).url)) : loginPage;
  const discovery: Discovery = {
    loginPage,
    form: { action, method: found.method, usernameField: username, passwordField: password, hidden },
    notes,
  };
  const csrf = hidden.filter((h) => CSRF_FIELD.test(h));
  notes.push(
    `Login form at ${loginPage}: ${found.method} ${action}, fields "${username}" and "${password}"` +
      (csrf.length ? `, CSRF field ${csrf.map((c) => `"${c}"`).join(', ')} (sent back automatically)` : ''),
  );
  if (!credentials) {
    notes.push(
      'No credentials: set the environment variables named in the profile and run init again to find the logged-in page.',
    );
    return discovery;
  }

  // Log in once, as the audit will, and look around.
  const fields: Record<string, string> = {};
  for (const i of found.inputs) if (i.type === 'hidden') fields[i.name] = i.value;
  fields[username] = credentials.username;
  fields[password] = credentials.password;
  const chain = await client.sendChain({
    method: found.method,
    path: action,
    form: fields,
    followRedirects: true,
  });
  const landed = chain[chain.length - 1] as Exchange;
  const landedPath = pathOf(landed.url, start);
  if (landed.status >= 400 || loginForm(landed.body)) {
    notes.push(
      `The login did not work (${found.method} ${action} ended at ${landedPath} with ${landed.status}); check the credentials.`,
    );
    return discovery;
  }
  // Only a logged-in user may see it: the same page without cookies must not show the same text.
  const anonymous = await new HttpClient(
    start,
    new Throttle({ ...DEFAULT_LIMITS, maxRequests: 10, totalTimeMs: 20_000 }),
  ).send({
    path: landedPath,
  });
  const text = landed.body.includes(credentials.username) ? credentials.username : undefined;
  const onlyLoggedIn =
    anonymous.status !== landed.status || (text !== undefined && !anonymous.body.includes(text));
  if (onlyLoggedIn) {
    discovery.loggedIn = text ? { path: landedPath, text } : { path: landedPath };
    notes.push(
      `After login: ${landedPath} (${landed.status}); without the session it answers ${anonymous.status}.`,
    );
  } else {
    notes.push(
      `After login the app shows ${landedPath}, but it looks the same without a session: set loggedIn by hand.`,
    );
  }
  const forms = parseForms(landed.body).filter((f) => f.method === 'POST');
  const isLogout = (f: HtmlForm) => /log\s*-?out|sign\s*-?out/i.test(f.action ?? '');
  const logoutForm = forms.find(isLogout);
  const hiddenFrom = (f: HtmlForm) =>
    f.inputs.some((i) => i.type === 'hidden') ? { hiddenFieldsFrom: landedPath } : {};
  if (logoutForm)
    discovery.logout = {
      method: 'POST',
      path: pathOf(logoutForm.action ?? landedPath, new URL(landed.url)),
      ...hiddenFrom(logoutForm),
    };
  else {
    const link = linkTargets(landed.body).find((l) => /log\s*-?out|sign\s*-?out/i.test(l));
    if (link) discovery.logout = { method: 'GET', path: pathOf(link, new URL(landed.url)) };
  }
  const changing = forms.find((f) => !isLogout(f));
  if (changing) {
    discovery.stateChanging = {
      method: 'POST',
      path: pathOf(changing.action ?? landedPath, new URL(landed.url)),
      ...hiddenFrom(changing),
      fields: changing.inputs.filter((i) => i.type !== 'hidden' && i.type !== 'submit').map((i) => i.name),
    };
  }
  return discovery;
}

/** The profile as commented YAML, credentials by environment variable (never written to the file). */
export function profileYaml(
  target: string,
  d: Discovery,
  env: { username: string; password: string },
): string {
  const doc = new YAML.Document({
    target,
    login: {
      form: {
        page: d.loginPage,
        ...(d.form.action !== d.loginPage ? { action: d.form.action } : {}),
        method: d.form.method,
        usernameField: d.form.usernameField,
        passwordField: d.form.passwordField,
        usernameEnv: env.username,
        passwordEnv: env.password,
      },
    },
    loggedIn: d.loggedIn
      ? { path: d.loggedIn.path, status: 200, ...(d.loggedIn.text ? { text: d.loggedIn.text } : {}) }
      : { path: '/CHANGE-ME', status: 200 },
    ...(d.logout ? { logout: d.logout } : {}),
    ...(d.stateChanging
      ? {
          stateChanging: {
            method: d.stateChanging.method,
            path: d.stateChanging.path,
            form: Object.fromEntries(d.stateChanging.fields.map((f) => [f, 'CHANGE-ME'])),
            ...(d.stateChanging.hiddenFieldsFrom
              ? { hiddenFieldsFrom: d.stateChanging.hiddenFieldsFrom }
              : {}),
          },
        }
      : {}),
    timeouts: { idle: '30m', absolute: '12h', longRunning: false },
  });
  doc.commentBefore = [
    ` tessera-audit profile written by \`tessera-audit init\` — check every value before trusting a report.`,
    ...d.notes.map((n) => ` ${n}`),
    ` Credentials come from the environment: export ${env.username}=… ${env.password}=…`,
  ].join('\n');
  const pair = (key: string) =>
    doc.contents && YAML.isMap(doc.contents)
      ? doc.contents.items.find((p) => YAML.isScalar(p.key) && p.key.value === key)
      : undefined;
  const note = (key: string, text: string) => {
    const p = pair(key);
    if (p && YAML.isScalar(p.key)) p.key.commentBefore = ` ${text}`;
  };
  note('login', 'How to log in; hidden fields of the form (CSRF tokens) are sent back automatically.');
  note(
    'loggedIn',
    d.loggedIn
      ? 'A page only a logged-in user sees, and text on it.'
      : 'CHANGE ME: a page only a logged-in user sees (init could not find one).',
  );
  if (d.logout) note('logout', 'The logout request (the logout check replays the old token afterwards).');
  if (d.stateChanging)
    note('stateChanging', 'A state-changing request for the CSRF check: fill in harmless values.');
  note(
    'timeouts',
    'Your declared session lifetimes; --long-running measures them (raise limits.totalTime to match).',
  );
  return doc.toString();
}
