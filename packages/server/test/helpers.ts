/** Test helpers: a service on a free port (memory store unless told otherwise), and a tiny cookie-keeping client. */

import { resolveConfig, type ServerConfig } from '../src/config.ts';
import { listen } from '../src/listen.ts';
import { createService, type Service } from '../src/service.ts';

/** A running service for a test. */
export interface TestService {
  svc: Service;
  url: string;
  stop(): Promise<void>;
}

const quiet = { warn: () => {} };

/** Starts a service on 127.0.0.1:0. Cheap password hashing (cost 10) keeps the tests quick. */
export async function startService(
  overrides: Partial<ServerConfig> = {},
  clock?: { now(): number },
): Promise<TestService> {
  const config = resolveConfig({ store: 'memory', port: 0, passwordCost: 10, demo: true, ...overrides });
  const svc = await createService(config, { logger: quiet, clock });
  const running = await listen(svc, '127.0.0.1', 0);
  return { svc, url: `http://127.0.0.1:${running.port}`, stop: () => running.stop(2000) };
}

/** A client that keeps cookies like a browser (per name), without Origin or Fetch Metadata headers. */
export class Client {
  readonly cookies = new Map<string, string>();
  constructor(
    readonly base: string,
    readonly userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
  ) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('user-agent', this.userAgent);
    if (!headers.has('accept')) headers.set('accept', 'text/html');
    if (this.cookies.size > 0)
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(this.base + path, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line))
        this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(path: string): Promise<Response> {
    return this.request(path);
  }

  /** Posts a form; `csrfFrom` names a page whose `_csrf` field is added. */
  async post(path: string, fields: Record<string, string>, csrfFrom?: string): Promise<Response> {
    const form = new URLSearchParams(fields);
    if (csrfFrom) {
      const html = await (await this.get(csrfFrom)).text();
      const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
      if (token) form.set('_csrf', token);
    }
    return this.request(path, {
      method: 'POST',
      body: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  /** Logs in through the form; returns the response of the POST. */
  async login(
    username = 'alice',
    password = 'wonderland',
    extra: Record<string, string> = {},
  ): Promise<Response> {
    return this.post('/login', { username, password, ...extra }, '/login');
  }
}

/** A clock that runs with real time plus an offset the test can advance. */
export class ShiftedClock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}
