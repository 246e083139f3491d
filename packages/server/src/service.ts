/**
 * The service: stores, the two session managers (the shop's and the API's sessions; the console's
 * own), accounts, API keys, throttles, activity and metrics — and the HTTP handler that routes
 * `/admin` to the console, `/v1` to the API, health and metrics, and everything else to the shop.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  type Clock,
  createSessionManager,
  ephemeralKeyRing,
  type KeyRing,
  type Logger,
  type SessionManager,
} from '@tessera-sessions/core';
import { type AuditLog, createAuditLog, sqliteAuditBackend } from '@tessera-sessions/core/audit-log';
import {
  auditSink,
  createDetector,
  type Detector,
  sqliteDetectionStore,
} from '@tessera-sessions/core/monitor';
import type { Database } from 'better-sqlite3';
import { Activity } from './activity.ts';
import { adminApp } from './admin/app.ts';
import { apiApp } from './api/app.ts';
import { assetsApp } from './assets.ts';
import type { ServerConfig } from './config.ts';
import { healthApp } from './health.ts';
import { createMetrics, type ServiceMetrics } from './metrics.ts';
import { shopApp } from './shop/app.ts';
import { ApiKeys } from './state/api-keys.ts';
import { issueBootstrapCode } from './state/bootstrap.ts';
import { migrateServerTables } from './state/db.ts';
import { UserDirectory } from './state/users.ts';
import { type OpenStores, openStores } from './stores.ts';
import { KeyThrottle, LoginThrottle } from './throttle.ts';

/** Everything the apps share. */
export interface ServiceContext {
  config: ServerConfig;
  stores: OpenStores;
  db: Database;
  /** Sessions of the shop and of apps using the API. */
  sessions: SessionManager;
  /** Sessions of the admin console. */
  admin: SessionManager;
  users: UserDirectory;
  apiKeys: ApiKeys;
  loginThrottle: LoginThrottle;
  adminThrottle: LoginThrottle;
  keyThrottle: KeyThrottle;
  activity: Activity;
  /** The hash-chained audit log (session events of both managers, console actions, detections). */
  audit: AuditLog;
  /** Detection rules over the users' sessions, with the detections the console lists. */
  detector: Detector;
  /** Records an administrator's action in the audit log (never a token). */
  recordAdmin(kind: string, admin: string, data: Record<string, unknown>): Promise<void>;
  metrics: ServiceMetrics;
  logger: Logger;
  clock: Clock;
}

/** A running service (without a listening socket: see `listen`). */
export interface Service extends ServiceContext {
  /** The HTTP handler (web-standard; @hono/node-server passes the node request as `env.incoming`). */
  fetch(request: Request, env?: unknown): Promise<Response>;
  /** The one-time admin bootstrap code when no administrator exists yet (null otherwise). */
  bootstrapCode: string | null;
  /** Stops timers and closes the stores. */
  close(): Promise<void>;
}

/** Options for tests and embedding. */
export interface ServiceOptions {
  clock?: Clock;
  logger?: Logger;
  /** Issue a bootstrap code when no administrator exists (default true; the CLI's own commands pass false). */
  bootstrap?: boolean;
}

/**
 * Data-encryption keys: `TESSERA_KEYS` when set; with the SQLite store, otherwise a development key
 * kept beside the file (mode 0600, announced loudly) so sessions survive a restart; in memory,
 * the engine's random development key.
 */
function dataKeys(stores: OpenStores, logger: Logger): string | undefined {
  if (process.env.TESSERA_KEYS) return undefined; // the engine reads it
  if (process.env.NODE_ENV === 'production' || stores.file === null) return undefined;
  const file = resolve(dirname(stores.file), 'dev.key');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `dev:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  }
  logger.warn(`tessera: using the development data key in ${file} (set TESSERA_KEYS in production).`);
  return readFileSync(file, 'utf8').trim();
}

function developmentKeyRing(logger: Logger): KeyRing {
  logger.warn(
    'tessera: no data-encryption key configured (TESSERA_KEYS); using a random development key. Session data will not survive a restart. Never run production like this.',
  );
  return ephemeralKeyRing();
}

/** Builds the service from a validated configuration. */
export async function createService(config: ServerConfig, options: ServiceOptions = {}): Promise<Service> {
  const logger = options.logger ?? { warn: (m: string) => console.warn(m) };
  const clock = options.clock ?? { now: () => Date.now() };
  const stores = await openStores(config.store, config.dataDir);
  try {
    migrateServerTables(stores.db);
    await stores.migrate?.();
    // One key ring for both managers (in memory: one development key, one warning).
    const keys =
      dataKeys(stores, logger) ??
      (process.env.TESSERA_KEYS || process.env.NODE_ENV === 'production'
        ? undefined
        : developmentKeyRing(logger));
    const common = { keys, clock, logger, stepUpMaxAge: config.stepUpMaxAge };
    const sessions = createSessionManager({
      ...common,
      store: stores.sessions,
      creationRateLimit:
        config.sessionCreationLimit === false
          ? false
          : (stores.creationLimiter?.(config.sessionCreationLimit) ?? {
              points: config.sessionCreationLimit,
              window: '1m',
            }),
    });
    const admin = createSessionManager({
      ...common,
      store: stores.admin,
      idleTimeout: '15m',
      absoluteTimeout: '8h',
      maxSessionsPerUser: 5,
    });
    const stopSweepers =
      stores.kind === 'sqlite' || stores.kind === 'postgres'
        ? [sessions.startSweeper({ every: '5m' }), admin.startSweeper({ every: '5m' })]
        : [];
    const users = new UserDirectory(stores.db, { passwordCost: config.passwordCost });
    if (config.demo) await seedDemoUsers(users);
    const activity = new Activity();
    activity.follow(sessions, 'sessions');
    activity.follow(admin, 'admin');
    // The audit log and the detections live beside the service's tables (the session store's own
    // SQLite file by default), so they survive restarts and `tessera audit-log verify` finds them.
    const audit = createAuditLog({ backend: sqliteAuditBackend({ database: stores.db }), clock });
    const sinks = [auditSink(sessions, audit), auditSink(admin, audit)];
    const detector = createDetector(sessions, {
      store: sqliteDetectionStore({ database: stores.db }),
      audit,
      clock,
      onError: (err) =>
        logger.warn(`tessera: detection action failed: ${err instanceof Error ? err.message : String(err)}`),
    });
    const ctx: ServiceContext = {
      config,
      stores,
      db: stores.db,
      sessions,
      admin,
      users,
      apiKeys: new ApiKeys(stores.db),
      loginThrottle: new LoginThrottle(),
      adminThrottle: new LoginThrottle({ perAccount: 5, perAddress: 20 }),
      keyThrottle: new KeyThrottle(),
      activity,
      audit,
      detector,
      async recordAdmin(kind, by, data) {
        try {
          await audit.append(`admin.${kind}`, { admin: by, ...data });
        } catch (err) {
          logger.warn(`tessera: audit append failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      },
      metrics: createMetrics({ sessions, admin }, stores.sessions),
      logger,
      clock,
    };
    const bootstrapCode =
      options.bootstrap !== false && users.count('admin') === 0 ? issueBootstrapCode(stores.db) : null;
    const apps = {
      assets: assetsApp(),
      health: healthApp(ctx),
      api: apiApp(ctx),
      admin: adminApp(ctx),
      shop: shopApp(ctx),
    };
    const route = (path: string): [keyof typeof apps, string] => {
      if (path.startsWith('/assets/')) return ['assets', 'assets'];
      if (path === '/healthz' || path === '/readyz' || path === '/metrics') return ['health', 'health'];
      if (path === '/v1' || path.startsWith('/v1/')) return ['api', 'api'];
      if (path === '/admin' || path.startsWith('/admin/')) return ['admin', 'admin'];
      return ['shop', 'shop'];
    };
    return {
      ...ctx,
      bootstrapCode,
      async fetch(request, env) {
        const [key, area] = route(new URL(request.url).pathname);
        const res = await apps[key].fetch(request, env);
        ctx.metrics.response(area, res.status);
        return res;
      },
      async close() {
        for (const stop of stopSweepers) stop();
        detector.stop();
        await detector.settle().catch(() => {});
        for (const sink of sinks) await sink.stop().catch(() => {});
        await stores.close();
      },
    };
  } catch (err) {
    await stores.close();
    throw err;
  }
}

/** The demo shop's customers (public credentials, shown on the login page in demo mode). */
export const DEMO_USERS: ReadonlyArray<{ username: string; password: string }> = [
  { username: 'alice', password: 'wonderland' },
  { username: 'bob', password: 'builder' },
];

async function seedDemoUsers(users: UserDirectory): Promise<void> {
  for (const u of DEMO_USERS)
    if (!users.get(u.username)) await users.create(u.username, u.password, 'customer', { seed: true });
}
