/**
 * The `auth_request` endpoint behind a real nginx: nginx asks `GET /v1/auth` (with an API key) for
 * every request to the protected app and passes the user on in a header. Without a session, or
 * after logout, the app is never reached.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { onFreePort, serverSkip } from '../../tessera/test/servers/index.ts';
import { Client, startService, type TestService } from './helpers.ts';

const skip = serverSkip('nginx');

describe('nginx auth_request in front of an app', { skip }, () => {
  let t: TestService;
  let app: Server;
  let nginx: ChildProcess;
  let dir = '';
  let base = '';
  const seen: Array<string | undefined> = [];

  before(async () => {
    t = await startService();
    const key = t.svc.apiKeys.create('nginx', ['validate']).key;
    app = createServer((req, res) => {
      seen.push(req.headers['x-user'] as string | undefined);
      res.end(`app sees ${req.headers['x-user'] ?? 'nobody'}`);
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const appPort = (app.address() as { port: number }).port;
    dir = mkdtempSync(join(tmpdir(), 'tessera-nginx-'));
    const service = new URL(t.url);
    // nginx cannot listen on port 0: a probed port, and another one if it was taken meanwhile.
    const port = await onFreePort(async (port) => {
      writeFileSync(
        join(dir, 'nginx.conf'),
        `worker_processes 1;
  error_log ${dir}/error.log warn;
  pid ${dir}/nginx.pid;
  events { worker_connections 64; }
  http {
    access_log off;
    client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;
    uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
    server {
      listen 127.0.0.1:${port};
      location = /_tessera {
        internal;
        proxy_pass http://127.0.0.1:${service.port}/v1/auth;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_set_header Authorization "Bearer ${key}";
        proxy_set_header X-Real-IP $remote_addr;
      }
      location / {
        auth_request /_tessera;
        auth_request_set $tessera_user $upstream_http_x_tessera_user;
        proxy_set_header X-User $tessera_user;
        proxy_pass http://127.0.0.1:${appPort};
      }
    }
  }
  `,
      );
      nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` },
      });
      let log = '';
      nginx.stderr?.on('data', (d) => {
        log += d;
      });
      for (let i = 0; i < 100; i++) {
        if (nginx.exitCode !== null) throw new Error(`nginx exited (${nginx.exitCode}): ${log}`);
        // Only our nginx guards /: without a session it answers 401 (another process on the port would not).
        const status = await fetch(`http://127.0.0.1:${port}/`).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 401) return port;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`nginx did not start: ${log}`);
    });
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    nginx?.kill('SIGQUIT');
    await new Promise((r) => setTimeout(r, 200));
    await new Promise<void>((r) => app?.close(() => r()));
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('no session: 401 and the app is never reached', async () => {
    const before = seen.length;
    assert.equal((await fetch(`${base}/orders`)).status, 401);
    assert.equal(
      (await fetch(`${base}/orders`, { headers: { cookie: `__Host-sid=${'A'.repeat(43)}` } })).status,
      401,
    );
    assert.equal(seen.length, before);
  });

  test('signed in: the app gets the user from Tessera; after logout, 401 again', async () => {
    const browser = new Client(t.url);
    await browser.login();
    const headers = {
      cookie: `__Host-sid=${browser.cookies.get('__Host-sid')}`,
      'user-agent': browser.userAgent,
    };
    const res = await fetch(`${base}/orders`, { headers });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'app sees alice');
    await browser.post('/logout', {}, '/account');
    assert.equal((await fetch(`${base}/orders`, { headers })).status, 401);
  });
});
