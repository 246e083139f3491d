/**
 * What users get: every published workspace package is packed with `npm pack` and installed
 * from its tarball into fresh temporary projects, outside this repository, with nothing of the
 * monorepo in reach (no tsx, no sources, no NODE_OPTIONS):
 *   - the plain-JavaScript ESM app of the README (Express 5, SQLite) on Node 20 and Node 24:
 *     it starts, logs in, validates, logs out over HTTP;
 *   - a CommonJS `require()` of the package (Node ≥ 20.19 loads ESM synchronously);
 *   - a TypeScript project that imports every export of every package and type-checks with
 *     moduleResolution nodenext and bundler (skipLibCheck off);
 *   - every package's bin (`tessera-audit`, `tessera`, and any later one) with `--version` and
 *     `--help`, installed on its own;
 *   - `tessera serve` of `@tessera-sessions/server` (in the project of its bin test, so one
 *     install) on STORE=memory and a free port: /healthz and the /login form answer, then SIGTERM
 *     stops it.
 * Run after `npm run build` (`npm run test:consumer` does both). Installs use the local npm cache
 * (--prefer-offline); better-sqlite3 compiles once per Node major. NODE24_DIR may name an unpacked
 * Node 24 (the node-linux-<arch> package's folder); otherwise the test installs one from npm.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { publicWorkspaces, root } from '../../scripts/lib/workspaces.mjs';

const INSTALL_TIMEOUT = 10 * 60_000;
const fixtures = join(import.meta.dirname, 'fixtures');
const work = mkdtempSync(join(tmpdir(), 'tessera-consumer-'));
const packages = publicWorkspaces();
const tarballs = new Map<string, string>();

/** The environment of a user's shell: none of this repository's test settings or npm's run-script variables. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_OPTIONS' || k.startsWith('npm_') || k.startsWith('TEST_') || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, NODE_ENV: 'development', ...extra };
}

function run(cmd: string, args: string[], cwd: string, env = userEnv(), timeout = INSTALL_TIMEOUT): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`.slice(
        -8000,
      ),
    );
  }
  return r.stdout;
}

/** The version of a package installed at the repository root (so consumer installs hit the npm cache). */
function rootVersion(name: string): string {
  const file = join(root, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/** The tarballs of `name` and of every workspace package it depends on (they are not on npm yet). */
function tarballsFor(name: string, seen = new Set<string>()): string[] {
  if (seen.has(name)) return [];
  seen.add(name);
  const w = packages.find((p) => p.name === name);
  assert.ok(w, `no workspace package ${name}`);
  const deps = Object.keys({ ...w.manifest.dependencies, ...w.manifest.peerDependencies });
  return [tarballs.get(name)!, ...deps.filter((d) => tarballs.has(d)).flatMap((d) => tarballsFor(d, seen))];
}

/** A fresh project folder with a package.json, and `npm install` of what is given. */
function project(
  name: string,
  install: string[],
  options: { env?: NodeJS.ProcessEnv; scripts?: boolean } = {},
) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module' }, null, 2)}\n`,
  );
  const flags = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
  if (options.scripts === false) flags.push('--ignore-scripts');
  run('npm', ['install', ...flags, ...install], dir, options.env ?? userEnv());
  return dir;
}

/** Node 24: NODE24_DIR, or the node-linux-<arch>@24 package from npm (cached after the first time). */
function node24Dir(): string {
  if (process.env.NODE24_DIR) return process.env.NODE24_DIR;
  const pkg = `node-linux-${process.arch}`;
  const dir = project('node24', [`${pkg}@24`]);
  return join(dir, 'node_modules', pkg);
}

/** Starts the app, waits for its "listening on" line, returns its base URL. */
async function start(
  node: string,
  cwd: string,
): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn(node, ['app.mjs'], {
    cwd,
    env: userEnv({ PORT: '0', SESSIONS_DB: join(cwd, 'sessions.db') }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app did not start:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on http:\/\/localhost:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`app exited (${code}) before listening:\n${out}`));
    });
  });
  return { url, child, output: () => out };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** A cookie-keeping HTTP client, as a browser-less user (curl, a script) would drive the app. */
function client(base: string) {
  let cookie: string | undefined;
  return {
    get cookie() {
      return cookie;
    },
    set cookie(value: string | undefined) {
      cookie = value;
    },
    async call(method: string, path: string, opts: { csrf?: string; form?: Record<string, string> } = {}) {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (cookie) headers.cookie = cookie;
      if (opts.csrf) headers['x-csrf-token'] = opts.csrf;
      let body: string | undefined;
      if (opts.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(opts.form).toString();
      }
      const res = await fetch(base + path, { method, headers, body, redirect: 'manual' });
      for (const line of res.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        const value = pair.slice(eq + 1);
        cookie = value && !/max-age=0|expires=thu, 01 jan 1970/i.test(line) ? pair : undefined;
      }
      const text = await res.text();
      return {
        status: res.status,
        type: res.headers.get('content-type') ?? '',
        body: text ? JSON.parse(text) : null,
      };
    },
  };
}

/** Logs in, validates, logs out; checks that CSRF and revocation hold in the shipped build. */
async function exercise(base: string): Promise<void> {
  const c = client(base);
  const anonymous = await c.call('GET', '/me');
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.type, /application\/problem\+json/);
  assert.equal(anonymous.body.code, 'UNAUTHENTICATED');

  const { body } = await c.call('GET', '/csrf');
  assert.equal(typeof body.csrfToken, 'string');
  const anonCookie = c.cookie;
  assert.ok(anonCookie?.startsWith('__Host-sid='), 'an anonymous session cookie for the CSRF token');

  const forged = await c.call('POST', '/login', { form: { username: 'alice', password: 'wonderland' } });
  assert.equal(forged.status, 403, 'a login without the CSRF token is refused');
  assert.equal(forged.body.code, 'CSRF_REJECTED');
  const wrong = await c.call('POST', '/login', {
    csrf: body.csrfToken,
    form: { username: 'alice', password: 'nope' },
  });
  assert.equal(wrong.status, 401);

  const login = await c.call('POST', '/login', {
    csrf: body.csrfToken,
    form: { username: 'alice', password: 'wonderland' },
  });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  assert.equal(login.body.userId, 'alice');
  assert.notEqual(c.cookie, anonCookie, 'login issues a new session token');
  const loggedIn = c.cookie;

  const me = await c.call('GET', '/me');
  assert.equal(me.status, 200);
  assert.deepEqual(me.body, { userId: 'alice' });

  const logout = await c.call('POST', '/logout', { csrf: login.body.csrfToken });
  assert.equal(logout.status, 200, JSON.stringify(logout.body));
  assert.equal(c.cookie, undefined, 'logout clears the cookie');

  c.cookie = loggedIn; // replay the logged-in token: it must be dead on the server too
  const replay = await c.call('GET', '/me');
  assert.equal(replay.status, 401);
}

before(() => {
  assert.ok(packages.length > 0, 'no public workspace packages');
  const out = join(work, 'tarballs');
  mkdirSync(out);
  for (const w of packages) {
    const built = Object.values(w.manifest.exports as Record<string, string | { default: string }>)
      .map((v) => (typeof v === 'string' ? v : v.default))
      .filter((p) => p.startsWith('./dist/'));
    for (const p of built)
      assert.ok(existsSync(join(w.dir, p)), `${w.name}: ${p} missing — run npm run build first`);
    const packed = JSON.parse(
      run('npm', ['pack', '--pack-destination', out, '--json', '--ignore-scripts'], w.dir),
    ) as [{ filename: string }];
    tarballs.set(w.name, join(out, packed[0].filename));
  }
});

after(() => {
  if (!process.env.KEEP_CONSUMER) rmSync(work, { recursive: true, force: true });
});

describe('plain-JavaScript ESM app from the tarball (README example: Express 5, SQLite)', () => {
  let node20App: string;

  test("the README's app is this file, word for word (after its comment header)", () => {
    const app = readFileSync(join(fixtures, 'app.mjs'), 'utf8').replace(/^(\/\/.*\n)+\n/, '');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    assert.ok(
      readme.includes(`\`\`\`js\n${app}\`\`\``),
      'README.md "From an empty directory" differs from fixtures/app.mjs',
    );
  });

  test('Node 20: installs, starts, logs in, validates, logs out', { timeout: INSTALL_TIMEOUT }, async () => {
    node20App = project('app-node20', [
      ...tarballsFor('@tessera-sessions/core'),
      `express@${rootVersion('express')}`,
      'better-sqlite3@^12',
    ]);
    cpSync(join(fixtures, 'app.mjs'), join(node20App, 'app.mjs'));
    assert.ok(!existsSync(join(node20App, 'node_modules/tsx')), 'tsx is not installed with the package');
    const app = await start(process.execPath, node20App);
    try {
      await exercise(app.url);
    } finally {
      await stop(app.child);
    }
  });

  test('CommonJS: require() of the ESM package works on Node ≥ 20.19', () => {
    assert.ok(node20App, 'needs the Node 20 project');
    const out = run(
      process.execPath,
      [
        '--no-warnings',
        '-e',
        "const t = require('@tessera-sessions/core'); const m = require('@tessera-sessions/core/stores/memory');" +
          "const e = require('@tessera-sessions/core/express'); const s = require('@tessera-sessions/core/stores/sqlite');" +
          'console.log(typeof t.createSessionManager, typeof m.memoryStore, typeof e.expressSessions,' +
          ' typeof s.sqliteStore, t.TesseraError.name)',
      ],
      node20App,
    );
    assert.equal(out.trim(), 'function function function function TesseraError');
  });

  test('Node 24: installs (better-sqlite3 13), starts, logs in, validates, logs out', {
    timeout: INSTALL_TIMEOUT,
  }, async () => {
    const n24 = node24Dir();
    const node = join(n24, 'bin', 'node');
    assert.match(run(node, ['--version'], work).trim(), /^v24\./);
    const env = userEnv({ PATH: `${join(n24, 'bin')}:${process.env.PATH}`, npm_config_nodedir: n24 });
    const dir = project(
      'app-node24',
      [...tarballsFor('@tessera-sessions/core'), `express@${rootVersion('express')}`, 'better-sqlite3@^13'],
      { env },
    );
    cpSync(join(fixtures, 'app.mjs'), join(dir, 'app.mjs'));
    const app = await start(node, dir);
    try {
      await exercise(app.url);
    } finally {
      await stop(app.child);
    }
  });
});

describe('TypeScript project type-checks against the published .d.ts', () => {
  let dir: string;
  before(() => {
    // The compiler, and every peer dependency of every package with its @types package where
    // there is one (at the versions installed here, so the npm cache has them).
    const types = ['typescript', '@types/node'];
    for (const w of packages) {
      for (const peer of Object.keys(w.manifest.peerDependencies ?? {})) {
        if (peer.startsWith('@types/')) continue;
        types.push(peer);
        if (existsSync(join(root, 'node_modules/@types', peer))) types.push(`@types/${peer}`);
      }
    }
    dir = project(
      'typescript',
      [...packages.flatMap((w) => tarballsFor(w.name)), ...types.map((t) => `${t}@${rootVersion(t)}`)].filter(
        (v, i, all) => all.indexOf(v) === i,
      ),
      { scripts: false },
    );
    cpSync(join(fixtures, 'typescript'), dir, { recursive: true });
    // Every export of every package, so a subpath whose types do not resolve fails here.
    const lines = packages.flatMap((w) =>
      Object.keys(w.manifest.exports)
        .filter((k) => !k.endsWith('.json'))
        .map((k, i) => `export * as ${w.name.replace(/\W/g, '_')}_${i} from '${w.name}${k.slice(1)}';`),
    );
    writeFileSync(join(dir, 'all-exports.ts'), `${lines.join('\n')}\n`);
  });

  for (const resolution of ['nodenext', 'bundler']) {
    test(`moduleResolution ${resolution}`, { timeout: INSTALL_TIMEOUT }, () => {
      run(
        process.execPath,
        [join(dir, 'node_modules/typescript/bin/tsc'), '-p', `tsconfig.${resolution}.json`],
        dir,
      );
    });
  }
});

/** One fresh project per package with a bin (its tarball and its workspace dependencies), installed once. */
const binProjects = new Map<string, string>();
function binProject(name: string, bin: string): string {
  let dir = binProjects.get(name);
  if (!dir) {
    dir = project(`bin-${bin}`, tarballsFor(name));
    binProjects.set(name, dir);
  }
  return dir;
}

describe('command-line tools from the tarball, each installed on its own', () => {
  const withBin = packages.filter((w) => w.manifest.bin);
  test('at least one package ships a bin', () => {
    assert.ok(withBin.length > 0);
  });
  for (const w of withBin) {
    const bins = Object.keys(
      typeof w.manifest.bin === 'string' ? { [w.name]: w.manifest.bin } : (w.manifest.bin ?? {}),
    );
    for (const bin of bins) {
      test(`npx ${bin} --version and --help (${w.name})`, { timeout: INSTALL_TIMEOUT }, () => {
        const dir = binProject(w.name, bin);
        assert.ok(!existsSync(join(dir, 'node_modules/tsx')), 'tsx is not installed with the package');
        const version = run('npx', ['--no-install', bin, '--version'], dir).trim();
        assert.equal(version, w.manifest.version);
        const help = run('npx', ['--no-install', bin, '--help'], dir);
        assert.match(help, new RegExp(bin), 'the help names the command');
      });
    }
  }
});

describe('tessera serve from the tarball (STORE=memory, a free port)', () => {
  const server = packages.find((w) => w.name === '@tessera-sessions/server');
  test('npx tessera --version; serve answers /healthz and the /login form; SIGTERM stops it', {
    skip: server ? false : 'no @tessera-sessions/server workspace',
    timeout: INSTALL_TIMEOUT,
  }, async () => {
    const dir = binProject(server!.name, 'tessera');
    assert.equal(run('npx', ['--no-install', 'tessera', '--version'], dir).trim(), server!.manifest.version);
    // The installed bin itself (what npx runs), so SIGTERM reaches the server and not an npm wrapper.
    const child = spawn(join(dir, 'node_modules/.bin/tessera'), ['serve'], {
      cwd: dir,
      env: userEnv({
        STORE: 'memory',
        PORT: '0',
        HOST: '127.0.0.1',
        TESSERA_DATA_DIR: join(dir, '.tessera'),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let exitCode: number | null = null;
    try {
      const base = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`tessera serve did not start:\n${out}`)), 30_000);
        const onData = (d: Buffer) => {
          out += d.toString();
          const m = /Health +http:\/\/[^\s/]+:(\d+)\/healthz/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(`http://127.0.0.1:${m[1]}`);
          }
        };
        child.stdout?.on('data', onData);
        child.stderr?.on('data', onData);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`tessera serve exited (${code}) before listening:\n${out}`));
        });
      });
      assert.match(out, /memory store/);
      const health = await fetch(`${base}/healthz`);
      assert.equal(health.status, 200);
      await health.arrayBuffer();
      const login = await fetch(`${base}/login`, { headers: { accept: 'text/html' } });
      assert.equal(login.status, 200);
      const form = await login.text();
      for (const field of ['username', 'password', '_csrf'])
        assert.match(form, new RegExp(`name="${field}"`), `the login form has ${field}`);
      assert.match(login.headers.get('set-cookie') ?? '', /^__Host-sid=/, 'the form starts a session');
      assert.equal((await fetch(`${base}/`)).status, 200, 'the demo shop page');
      for (const asset of ['site.css', 'favicon.svg', 'admin.js', 'chart.umd.js']) {
        const res: Response = await fetch(`${base}/assets/${asset}`);
        assert.equal(res.status, 200, `/assets/${asset}`);
        assert.ok((await res.arrayBuffer()).byteLength > 0, `/assets/${asset} is empty`);
      }
    } finally {
      const exited = new Promise<number | null>((resolve) => {
        if (child.exitCode !== null) resolve(child.exitCode);
        else child.once('exit', (code) => resolve(code));
      });
      child.kill('SIGTERM');
      exitCode = await exited;
    }
    assert.equal(exitCode, 0, `tessera serve stops cleanly on SIGTERM:\n${out}`);
  });
});
