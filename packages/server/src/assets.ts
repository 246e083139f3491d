/**
 * Static files of the pages: the stylesheet, the console's scripts and the chart library (Chart.js,
 * served from the installed package — never a CDN). Read once, served with long caching.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';

const here = join(dirname(new URL(import.meta.url).pathname), 'assets');
const require = createRequire(import.meta.url);

const FILES: Record<string, { path: string; type: string }> = {
  'site.css': { path: join(here, 'site.css'), type: 'text/css; charset=utf-8' },
  'admin.js': { path: join(here, 'admin.js'), type: 'text/javascript; charset=utf-8' },
  'favicon.svg': { path: join(here, 'favicon.svg'), type: 'image/svg+xml' },
  'chart.umd.js': {
    path: join(dirname(require.resolve('chart.js')), 'chart.umd.js'),
    type: 'text/javascript; charset=utf-8',
  },
};

/** The `/assets/*` app. */
export function assetsApp(): Hono {
  const cache = new Map<string, Buffer>();
  const app = new Hono();
  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    const f = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
    if (!f) return c.text('Not found', 404);
    let body = cache.get(name);
    if (!body) {
      body = readFileSync(f.path);
      cache.set(name, body);
    }
    return c.body(new Uint8Array(body), 200, {
      'content-type': f.type,
      'cache-control': 'public, max-age=3600',
      'x-content-type-options': 'nosniff',
    });
  });
  return app;
}
