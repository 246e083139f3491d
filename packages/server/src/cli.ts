/**
 * The `tessera` command. `runMain` alone touches process.argv and exit codes; every subcommand is
 * a plain function over a {@link ServerConfig}, so tests call them directly.
 */
import { isTesseraError } from '@tessera-sessions/core';
import { type CommandDef, defineCommand, runCommand, runMain, showUsage } from 'citty';
import { loadConfigFromArgs } from './cli-config.ts';
import { AuditBrokenError, CliError, operatorCommands } from './commands.ts';
import { listen } from './listen.ts';
import { createService } from './service.ts';
import { VERSION } from './version.ts';

const common = {
  config: {
    type: 'string',
    description: 'JSON config file (keys as in the docs; environment and flags override it)',
  },
  store: { type: 'string', description: 'sqlite (default), sqlite:<file>, memory, redis://…, postgres://…' },
} as const;

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
    const config = loadConfigFromArgs(args);
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
  meta: { name: 'tessera', version: VERSION, description: 'Tessera session service' },
  subCommands: {
    serve: serveCommand,
    ...operatorCommands,
  },
});

/** Entry point of the bin: runs the command; configuration and usage errors become one clear line (status 2). */
export async function run(rawArgs: string[] = process.argv.slice(2)): Promise<void> {
  if (rawArgs.length === 1 && (rawArgs[0] === '--version' || rawArgs[0] === '-v')) {
    console.log(VERSION);
    return;
  }
  if (rawArgs.length === 0 || rawArgs.some((a) => a === '--help' || a === '-h'))
    return runMain(main, { rawArgs });
  try {
    await runCommand(main, { rawArgs });
  } catch (err) {
    if (err instanceof AuditBrokenError) process.exit(1);
    if (isTesseraError(err) || err instanceof CliError) {
      console.error(`tessera: ${(err as Error).message}`);
      process.exit(2);
    }
    if ((err as Error).name === 'CLIError') {
      await showUsage(...(await resolveSubCommandFor(rawArgs)));
      console.error(`tessera: ${(err as Error).message}`);
      process.exit(2);
    }
    throw err;
  }
}

/** The (sub)command the arguments name, for its usage text. */
async function resolveSubCommandFor(rawArgs: string[]): Promise<[CommandDef, CommandDef?]> {
  let cmd: CommandDef = main as CommandDef;
  let parent: CommandDef | undefined;
  for (const a of rawArgs) {
    const subs = (cmd.subCommands ?? {}) as Record<string, CommandDef>;
    if (!Object.hasOwn(subs, a)) break;
    parent = cmd;
    cmd = subs[a]!;
  }
  return [cmd, parent];
}
