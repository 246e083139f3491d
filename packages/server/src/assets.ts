/**
 * Static files of the pages: the stylesheet, the console's script, the favicon (kept as strings in
 * `assets/*.ts`, so the build needs no file copying) and the chart library — Chart.js, read from
 * its installed package and served from here, never from a CDN. Served with an hour of caching.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import { ADMIN_JS } from './assets/admin-script.ts';
import { FAVICON_SVG } from './assets/favicon.ts';
import { SITE_CSS } from './assets/styles.ts';

const require = createRequire(import.meta.url);

const FILES: Record<string, { body: () => Uint8Array<ArrayBuffer>; type: string }> = {
  'site.css': { body: () => new TextEncoder().encode(SITE_CSS), type: 'text/css; charset=utf-8' },
  'admin.js': { body: () => new TextEncoder().encode(ADMIN_JS), type: 'text/javascript; charset=utf-8' },
  'favicon.svg': { body: () => new TextEncoder().encode(FAVICON_SVG), type: 'image/svg+xml' },
  'chart.umd.js': {
    body: () => new Uint8Array(readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.js'))),
    type: 'text/javascript; charset=utf-8',
  },
};

/** The `/assets/*` app. */
export function assetsApp(): Hono {
  const cache = new Map<string, Uint8Array<ArrayBuffer>>();
  const app = new Hono();
  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    const f = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
    if (!f) return c.text('Not found', 404);
    let body = cache.get(name);
    if (!body) {
      body = f.body();
      cache.set(name, body);
    }
    return c.body(body, 200, {
      'content-type': f.type,
      'cache-control': 'public, max-age=3600',
      'x-content-type-options': 'nosniff',
    });
  });
  return app;
}
