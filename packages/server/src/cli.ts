/**
 * The `tessera` command. `runMain` alone touches process.argv and exit codes; every subcommand is
 * a plain function over a {@link ServerConfig}, so tests call them directly.
 */
import { ConfigError, isTesseraError } from '@tessera-sessions/core';
import { defineCommand, runMain } from 'citty';
import { configFromEnv, configFromFile, resolveConfig, type ServerConfig } from './config.ts';
import { listen } from './listen.ts';
import { createService } from './service.ts';

const common = {
  config: {
    type: 'string',
    description: 'JSON config file (keys as in the docs; environment and flags override it)',
  },
  store: { type: 'string', description: 'sqlite (default), sqlite:<file>, memory, redis://…, postgres://…' },
} as const;

/** The configuration from file, environment and flags (later wins). */
export function loadConfig(args: {
  config?: string;
  store?: string;
  port?: string;
  host?: string;
}): ServerConfig {
  const flags: Partial<ServerConfig> = {};
  if (args.store !== undefined) flags.store = args.store;
  if (args.host !== undefined) flags.host = args.host;
  if (args.port !== undefined) {
    if (!/^\d+$/.test(args.port))
      throw new ConfigError('--port', `expected a port number, got ${JSON.stringify(args.port)}.`);
    flags.port = Number(args.port);
  }
  return resolveConfig(
    args.config ? configFromFile(args.config) : undefined,
    configFromEnv(process.env),
    flags,
  );
}

const serveCommand = defineCommand({
  meta: {
    name: 'serve',
    description: 'Run the session service, the admin console (/admin) and the demo shop (/)',
  },
  args: {
    ...common,
    port: { type: 'string', description: 'TCP port (default 3000, or PORT)' },
    host: { type: 'string', description: 'listen address (default 127.0.0.1, or HOST)' },
  },
  async run({ args }) {
    const config = loadConfig(args);
    const service = await createService(config);
    const running = await listen(service, config.host, config.port);
    const lines = [
      '',
      `  Tessera is running (${service.stores.kind} store${service.stores.file ? `: ${service.stores.file}` : ''})`,
      '',
      `  Demo shop       ${running.url}/${config.demo ? '   (log in as alice / wonderland or bob / builder)' : '   (demo off)'}`,
      `  Admin console   ${running.url}/admin`,
      `  Session API     ${running.url}/v1   (OpenAPI: ${running.url}/v1/openapi.json)`,
      `  Health          ${running.url}/healthz  ${running.url}/readyz  ${running.url}/metrics`,
      '',
    ];
    if (service.bootstrapCode)
      lines.push(
        `  No administrator yet. Open ${running.url}/admin/setup and enter this one-time code`,
        `  (valid for 1 hour, shown only now):   ${service.bootstrapCode}`,
        '',
      );
    console.log(lines.join('\n'));
    const stop = (signal: string) => {
      console.log(`\n  ${signal}: finishing requests in flight, then closing the store…`);
      running.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(err);
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  },
});

/** The root command. */
export const main = defineCommand({
  meta: { name: 'tessera', description: 'Tessera session service' },
  subCommands: {
    serve: serveCommand,
  },
});

/** Entry point of the bin: runs the command, turning configuration errors into one clear line. */
export async function run(): Promise<void> {
  process.on('uncaughtException', (err) => {
    if (isTesseraError(err)) {
      console.error(`tessera: ${err.message}`);
      process.exit(2);
    }
    throw err;
  });
  await runMain(main);
}
