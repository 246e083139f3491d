/**
 * The service's configuration: defaults, then a JSON config file, then the environment, then
 * command-line flags. Validated once; a bad value throws `ConfigError` naming the field.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, type Duration } from '@tessera-sessions/core';
import { z } from 'zod';

/** Everything `tessera serve` needs to know. */
export interface ServerConfig {
  /** TCP port (`PORT`, default 3000; 0 picks a free one). */
  port: number;
  /** Listen address (`HOST`, default 127.0.0.1). */
  host: string;
  /** Where sessions live (`STORE`): `sqlite` / `sqlite:<file>` (default), `memory`, `redis://…`, `postgres://…`. */
  store: string;
  /** Folder for the SQLite file and the development data key (`TESSERA_DATA_DIR`, default `.tessera`). */
  dataDir: string;
  /** The origin users reach the service at, when behind a proxy (`PUBLIC_ORIGIN`). */
  publicOrigin?: string;
  /** Honour X-Forwarded-Proto/Host (`TRUST_PROXY=1`). */
  trustProxy: boolean;
  /** Serve the demo shop with its seeded users (`DEMO`, default on unless NODE_ENV=production). */
  demo: boolean;
  /** New anonymous sessions per address per minute (`SESSION_CREATION_LIMIT`, number or `off`). */
  sessionCreationLimit: number | false;
  /** scrypt cost as log2(N) for new password hashes (`PASSWORD_COST`, default 17). */
  passwordCost: number;
  /** How recent a login must be for sensitive actions (`STEP_UP_MAX_AGE`, default `5m`). */
  stepUpMaxAge: Duration;
}

const schema = z
  .object({
    port: z.coerce.number().int().min(0).max(65535),
    host: z.string().min(1),
    store: z.string().regex(/^(memory|sqlite(:.+)?|redis(s)?:\/\/.+|postgres(ql)?:\/\/.+)$/, {
      message: 'expected sqlite, sqlite:<file>, memory, redis://… or postgres://…',
    }),
    dataDir: z.string().min(1),
    publicOrigin: z.string().url().optional(),
    trustProxy: z.boolean(),
    demo: z.boolean(),
    sessionCreationLimit: z.union([z.literal(false), z.number().int().positive()]),
    passwordCost: z.number().int().min(10).max(20),
    stepUpMaxAge: z.string().regex(/^\d+(ms|s|m|h)$/, {
      message: 'expected a duration such as 5m',
    }) as unknown as z.ZodType<Duration>,
  })
  .strict();

const DEFAULTS: ServerConfig = {
  port: 3000,
  host: '127.0.0.1',
  store: 'sqlite',
  dataDir: '.tessera',
  trustProxy: false,
  demo: process.env.NODE_ENV !== 'production',
  sessionCreationLimit: 60,
  passwordCost: 17,
  stepUpMaxAge: '5m',
};

function bool(name: string, v: string): boolean {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(name, `expected 1/0, true/false, yes/no or on/off, got ${JSON.stringify(v)}.`);
}

function intOrOff(name: string, v: string): number | false {
  if (v === 'off') return false;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(name, 'expected a positive integer or "off".');
  return n;
}

/** The part of the configuration the environment sets. */
export function configFromEnv(env: NodeJS.ProcessEnv): Partial<ServerConfig> {
  const out: Partial<ServerConfig> = {};
  const set = <K extends keyof ServerConfig>(k: K, v: ServerConfig[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  const e = (k: string) => (env[k] === undefined || env[k] === '' ? undefined : env[k]);
  set('port', e('PORT') === undefined ? undefined : (Number(e('PORT')) as number));
  if (e('PORT') !== undefined && !/^\d+$/.test(e('PORT')!))
    throw new ConfigError('PORT', `expected a port number, got ${JSON.stringify(e('PORT'))}.`);
  set('host', e('HOST'));
  set('store', e('STORE'));
  set('dataDir', e('TESSERA_DATA_DIR'));
  set('publicOrigin', e('PUBLIC_ORIGIN'));
  if (e('TRUST_PROXY')) set('trustProxy', bool('TRUST_PROXY', e('TRUST_PROXY')!));
  if (e('DEMO')) set('demo', bool('DEMO', e('DEMO')!));
  if (e('SESSION_CREATION_LIMIT'))
    set('sessionCreationLimit', intOrOff('SESSION_CREATION_LIMIT', e('SESSION_CREATION_LIMIT')!));
  if (e('PASSWORD_COST')) set('passwordCost', Number(e('PASSWORD_COST')));
  set('stepUpMaxAge', e('STEP_UP_MAX_AGE') as Duration | undefined);
  return out;
}

/** Reads a JSON config file (keys as in {@link ServerConfig}). */
export function configFromFile(path: string): Partial<ServerConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('--config', `cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const data = JSON.parse(text) as unknown;
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      throw new Error('expected a JSON object');
    return data as Partial<ServerConfig>;
  } catch (err) {
    throw new ConfigError('--config', `${path} is not a JSON object: ${(err as Error).message}`);
  }
}

/**
 * Merges the layers (later wins) over the defaults and validates the result.
 *
 * @example
 * const config = resolveConfig(configFromEnv(process.env), { port: 8080 });
 */
export function resolveConfig(...layers: Array<Partial<ServerConfig> | undefined>): ServerConfig {
  const merged: Record<string, unknown> = { ...DEFAULTS };
  for (const layer of layers)
    for (const [k, v] of Object.entries(layer ?? {})) if (v !== undefined) merged[k] = v;
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field =
      issue.path.length > 0 ? issue.path.join('.') : ((issue as { keys?: string[] }).keys ?? []).join(', ');
    throw new ConfigError(field || '(config)', issue.message);
  }
  return parsed.data as ServerConfig;
}
