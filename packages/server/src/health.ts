/**
 * `/healthz` (the process answers), `/readyz` (the session store answers: a read of an id that
 * cannot exist) and `/metrics` (Prometheus text format).
 */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import type { ServiceContext } from './service.ts';

/** The health and metrics endpoints. */
export function healthApp(svc: ServiceContext): Hono {
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    c.header('cache-control', 'no-store');
  });
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const checks = { sessions: await probe(svc.stores.sessions), admin: await probe(svc.stores.admin) };
    const ok = checks.sessions && checks.admin;
    return c.json(
      {
        status: ok ? 'ready' : 'unavailable',
        store: svc.stores.kind,
        checks: {
          sessionStore: checks.sessions ? 'ok' : 'failed',
          adminStore: checks.admin ? 'ok' : 'failed',
        },
      },
      ok ? 200 : 503,
    );
  });
  app.get('/metrics', async (c) => {
    const body = await svc.metrics.registry.metrics();
    return c.body(body, 200, { 'content-type': svc.metrics.registry.contentType });
  });
  return app;
}

/** True when the store answers a read within 2 s. */
export async function probe(store: { get(id: string): Promise<unknown> }): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      store.get(`readyz-${randomBytes(8).toString('hex')}`).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), 2000);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
