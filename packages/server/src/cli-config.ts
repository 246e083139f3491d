/** The configuration of a CLI run: file, environment, then flags. */
import { ConfigError } from '@tessera-sessions/core';
import { configFromEnv, configFromFile, resolveConfig, type ServerConfig } from './config.ts';

/** The configuration from `--config`, the environment and the flags (later wins). */
export function loadConfigFromArgs(args: {
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
