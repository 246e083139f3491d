/**
 * Throwaway real servers for tests: a single redis-server, a 3-master Redis Cluster, a PostgreSQL
 * cluster (initdb in a temporary directory, run as a non-root user), nginx, and Node app servers.
 * Everything listens on 127.0.0.1 and lives in a temporary directory removed on stop. Node apps
 * listen on port 0 and report the port the OS chose; redis-server, postgres and nginx cannot (port
 * 0 means "no TCP" to Redis), so they get a probed free port, and a new one when another process
 * took it between the probe and the bind ({@link onFreePort}).
 *
 * A missing binary skips the tests loudly; under CI=true it fails them (see {@link serverSkip}).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). Only for servers that
 * cannot listen on port 0 themselves; start them through {@link onFreePort}, which survives the
 * race between this probe and the server's bind.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** True for the error a server start reports when its port was taken (the probe-then-bind race). */
function portClash(err: unknown): boolean {
  return /address already in use|port is already in use|could not bind|EADDRINUSE/i.test(
    err instanceof Error ? err.message : String(err),
  );
}

/**
 * Starts a server that cannot listen on port 0 on a probed free port; when another process took
 * the port between the probe and the bind, starts it again on a new one (up to `attempts` times).
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await start(port);
    } catch (err) {
      if (attempt >= attempts || !portClash(err)) throw err;
    }
  }
}

function which(bin: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/lib/postgresql/15/bin'];
  for (const d of dirs) if (d && existsSync(join(d, bin))) return join(d, bin);
  for (const v of ['17', '16', '15', '14', '13']) {
    const p = `/usr/lib/postgresql/${v}/bin/${bin}`;
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * `false` when the binaries exist; otherwise a skip reason, printed loudly. Under CI=true a missing
 * server throws (CI must run these tests).
 */
export function serverSkip(kind: 'redis' | 'postgres' | 'nginx'): string | false {
  const bins = { redis: ['redis-server', 'redis-cli'], postgres: ['initdb', 'postgres'], nginx: ['nginx'] }[
    kind
  ];
  const missing = bins.filter((b) => which(b) === null);
  if (missing.length === 0) return false;
  const msg = `${missing.join(', ')} not installed: ${kind} tests SKIPPED (see .ci/setup.d)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${msg}`);
  console.warn(`\n!!! ${msg} !!!\n`);
  return msg;
}

function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  what: string,
  timeoutMs = 15_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start in time:\n${seen.slice(-2000)}`)),
      timeoutMs,
    );
    const on = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stdout?.off('data', on);
        child.stderr?.off('data', on);
        resolve(seen);
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before it was ready:\n${seen.slice(-2000)}`));
    });
  });
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill(signal);
  });
}

/** A running redis-server. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Stops the process (data stays in `dir`); SIGKILL simulates a crash. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory (AOF, if on, is replayed). */
  start(): Promise<void>;
  /** Stops and removes the directory. */
  destroy(): Promise<void>;
}

/** Starts a redis-server on a free port. `appendonly` turns AOF on (fsync every write). */
export async function startRedis(
  options: { appendonly?: boolean; extraArgs?: string[] } = {},
): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-redis-'));
  return onFreePort((port) => redisOn(port, dir, options));
}

async function redisOn(
  port: number,
  dir: string,
  options: { appendonly?: boolean; extraArgs?: string[] },
): Promise<RedisServer> {
  let child: ChildProcess | null = null;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendonly ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--maxmemory-policy',
    'noeviction',
    ...(options.extraArgs ?? []),
  ];
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async start() {
      child = spawn(which('redis-server')!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      await waitForOutput(child, /Ready to accept connections/, 'redis-server');
    },
    async stop(signal = 'SIGTERM') {
      if (child) await stopChild(child, signal);
      child = null;
    },
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** A running 3-master Redis Cluster. */
export interface RedisClusterServers {
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  destroy(): Promise<void>;
}

/** Starts three `--cluster-enabled` redis-servers and joins them with `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<RedisClusterServers> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-rcluster-'));
  const children: ChildProcess[] = [];
  const nodes: Array<{ host: string; port: number }> = [];
  try {
    for (let i = 0; i < 3; i++) {
      const node = await onFreePort(async (port) => {
        const busPort = await freePort();
        const child = spawn(
          which('redis-server')!,
          [
            '--port',
            String(port),
            '--cluster-port',
            String(busPort),
            '--bind',
            '127.0.0.1',
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${i}.conf`),
            '--cluster-node-timeout',
            '2000',
            '--dir',
            dir,
            '--dbfilename',
            `dump-${i}.rdb`,
            '--save',
            '',
            '--appendonly',
            'no',
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        children.push(child);
        await waitForOutput(child, /Ready to accept connections/, `redis cluster node ${i}`);
        return { host: '127.0.0.1', port };
      });
      nodes.push(node);
    }
    execFileSync(
      which('redis-cli')!,
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `${n.host}:${n.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { stdio: 'pipe', timeout: 30_000 },
    );
    const deadline = Date.now() + 20_000;
    for (const n of nodes) {
      for (;;) {
        const info = execFileSync(which('redis-cli')!, ['-p', String(n.port), 'cluster', 'info']).toString();
        if (info.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`Redis Cluster did not become ready:\n${info}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    await Promise.all(children.map((c) => stopChild(c)));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    nodes,
    async destroy() {
      await Promise.all(children.map((c) => stopChild(c)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A running PostgreSQL cluster. */
export interface PostgresServer {
  readonly port: number;
  /** `postgres://tessera@127.0.0.1:<port>/postgres` (trust authentication, local only). */
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * initdb in a temporary directory and starts `postgres` on a free port. As root, both run as the
 * `postgres` user (PostgreSQL refuses to run as root).
 */
export async function startPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pg-'));
  const data = join(dir, 'data');
  let ids: { uid: number; gid: number } | undefined;
  if (userInfo().uid === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    ids = { uid, gid };
  }
  execFileSync(
    which('initdb')!,
    ['-D', data, '-U', 'tessera', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'],
    { stdio: 'pipe', cwd: dir, ...ids, timeout: 60_000 },
  );
  return onFreePort((port) => postgresOn(port, dir, data, ids));
}

async function postgresOn(
  port: number,
  dir: string,
  data: string,
  ids: { uid: number; gid: number } | undefined,
): Promise<PostgresServer> {
  let child: ChildProcess | null = null;
  const server: PostgresServer = {
    port,
    url: `postgres://tessera@127.0.0.1:${port}/postgres`,
    async start() {
      child = spawn(
        which('postgres')!,
        [
          '-D',
          data,
          '-p',
          String(port),
          '-k',
          dir,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'fsync=off',
          '-c',
          'synchronous_commit=off',
          '-c',
          'full_page_writes=off',
          '-c',
          'max_connections=200',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, ...ids },
      );
      await waitForOutput(child, /database system is ready to accept connections/, 'postgres', 30_000);
    },
    async stop() {
      // SIGINT: "fast" shutdown (disconnects clients, no waiting for them).
      if (child) await stopChild(child, 'SIGINT');
      child = null;
    },
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** A running child process (an app server). */
export interface RunningProcess {
  readonly port: number;
  readonly child: ChildProcess;
  /** SIGKILL: the process dies mid-request, as a crashed node would. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `node --import tsx <script>` with PORT=0, so the OS picks the port, and waits until it
 * prints `readyPattern`, whose first group must capture the port it listens on.
 */
export async function startNodeApp(
  script: string,
  env: Record<string, string>,
  readyPattern: RegExp,
): Promise<RunningProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seen = await waitForOutput(child, readyPattern, script, 30_000);
  const port = Number(readyPattern.exec(seen)?.[1]);
  if (!(port > 0)) {
    await stopChild(child, 'SIGKILL');
    throw new Error(`${script}: the ready line names no port (${readyPattern}):\n${seen.slice(-2000)}`);
  }
  return {
    port,
    child,
    kill: () => stopChild(child, 'SIGKILL'),
    stop: () => stopChild(child, 'SIGTERM'),
  };
}

/** A running nginx. */
export interface NginxServer {
  readonly port: number;
  readonly url: string;
  destroy(): Promise<void>;
}

/**
 * nginx in the foreground on a free port, round-robin over `upstreams` (127.0.0.1 ports), retrying
 * the next upstream when one refuses or drops a connection. Adds `X-Upstream` to every response.
 */
export async function startNginx(upstreams: readonly number[]): Promise<NginxServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-nginx-'));
  return onFreePort((port) => nginxOn(port, dir, upstreams));
}

async function nginxOn(port: number, dir: string, upstreams: readonly number[]): Promise<NginxServer> {
  const conf = `daemon off;
master_process off;
worker_processes 1;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app {
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_connect_timeout 1s;
      proxy_read_timeout 10s;
      proxy_next_upstream error timeout;
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn(which('nginx')!, ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (d) => {
    log += d;
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${log.slice(-2000)}`);
    // Only nginx adds X-Upstream: another process that took the port between probe and bind does not count.
    const ok = await fetch(`http://127.0.0.1:${port}/login`).then(
      (res) => res.headers.has('x-upstream'),
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error('nginx did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    async destroy() {
      await stopChild(child, 'SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
