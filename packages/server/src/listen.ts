/**
 * Runs a service on a TCP port with @hono/node-server, and shuts it down gracefully: stop
 * accepting, let requests in flight finish (up to a deadline), then close the stores.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Service } from './service.ts';

/** A listening service. */
export interface Listening {
  /** `http://host:port` as a browser should open it. */
  url: string;
  port: number;
  /** Graceful shutdown: drains requests (at most `timeoutMs`), then closes the service. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Listens on `host:port` (0: a free port). */
export async function listen(service: Service, host: string, port: number): Promise<Listening> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: service.fetch, hostname: host, port }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const shown =
    host === '127.0.0.1' || host === '::1' || host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  let stopping: Promise<void> | null = null;
  return {
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${address.port}`,
    port: address.port,
    stop(timeoutMs = 10_000) {
      stopping ??= (async () => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
            resolve();
          }, timeoutMs);
          timer.unref();
          server.close(() => {
            clearTimeout(timer);
            resolve();
          });
          (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        });
        await service.close();
      })();
      return stopping;
    },
  };
}
