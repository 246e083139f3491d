/**
 * The operator subcommands of `tessera` (everything but `serve`): administrators, API keys,
 * sessions of a user, data keys, migrations, and audit-log verification. Each opens the configured
 * store, does its work and closes it; output goes to `out` (stdout by default).
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, parseKeyRing } from '@tessera-sessions/core';
import { defineCommand } from 'citty';
import { loadConfigFromArgs } from './cli-config.ts';
import { createService, type Service } from './service.ts';
import { SCOPES, type Scope } from './state/api-keys.ts';
import { issueBootstrapCode } from './state/bootstrap.ts';

/** An error the CLI reports as one line, with exit status 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** The audit chain does not verify (exit status 1, not 2: the command worked, the log did not). */
export class AuditBrokenError extends Error {
  override readonly name = 'AuditBrokenError';
  constructor(readonly brokenAt: number) {
    super(`the audit log is broken at entry #${brokenAt}.`);
  }
}

/** Where commands write (tests swap it). */
export const output = { write: (line: string) => console.log(line) };

const common = {
  config: { type: 'string', description: 'JSON config file' },
  store: { type: 'string', description: 'sqlite (default), sqlite:<file>, redis://…, postgres://…' },
} as const;

/** Opens the service's state for a one-off command (no demo seeding, no bootstrap code). */
async function withService<T>(
  args: { config?: string; store?: string },
  work: (s: Service) => Promise<T>,
): Promise<T> {
  const config = loadConfigFromArgs(args);
  if (config.store === 'memory')
    throw new CliError(
      'STORE=memory lives inside the `tessera serve` process; operator commands need the SQLite store.',
    );
  const quiet = { warn: () => {} };
  const service = await createService({ ...config, demo: false }, { bootstrap: false, logger: quiet });
  try {
    return await work(service);
  } finally {
    await service.close();
  }
}

async function readPassword(): Promise<string> {
  const fromEnv = process.env.TESSERA_ADMIN_PASSWORD;
  if (fromEnv) return fromEnv;
  if (process.stdin.isTTY)
    throw new CliError(
      'set TESSERA_ADMIN_PASSWORD, or pipe the password on standard input (it is never a flag: flags end up in shell history).',
    );
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text.replace(/\r?\n$/, '');
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

const adminCommand = defineCommand({
  meta: { name: 'admin', description: 'Console administrators' },
  subCommands: {
    create: defineCommand({
      meta: {
        name: 'create',
        description: 'Create an administrator (password from TESSERA_ADMIN_PASSWORD or standard input)',
      },
      args: { ...common, username: { type: 'string', required: true, description: 'login name' } },
      async run({ args }) {
        const password = await readPassword();
        await withService(args, async (s) => {
          try {
            await s.users.create(args.username, password, 'admin');
          } catch (err) {
            throw new CliError((err as Error).message);
          }
          output.write(`Administrator ${args.username} created.`);
        });
      },
    }),
    'bootstrap-code': defineCommand({
      meta: {
        name: 'bootstrap-code',
        description: 'Print a new one-time code for /admin/setup (only while no administrator exists)',
      },
      args: { ...common },
      async run({ args }) {
        await withService(args, async (s) => {
          if (s.users.count('admin') > 0)
            throw new CliError('an administrator already exists; use `tessera admin create` instead.');
          output.write(`One-time code (valid 1 hour): ${issueBootstrapCode(s.db)}`);
        });
      },
    }),
  },
});

const apiKeysCommand = defineCommand({
  meta: { name: 'api-keys', description: 'API keys of the session API' },
  subCommands: {
    create: defineCommand({
      meta: { name: 'create', description: 'Create a key (shown once)' },
      args: {
        ...common,
        name: { type: 'string', required: true, description: 'what the key is for' },
        scopes: { type: 'string', default: 'validate', description: `comma-separated: ${SCOPES.join(', ')}` },
      },
      async run({ args }) {
        const scopes = args.scopes
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
        const bad = scopes.filter((x) => !SCOPES.includes(x as Scope));
        if (bad.length > 0 || scopes.length === 0)
          throw new CliError(
            `--scopes: expected one or more of ${SCOPES.join(', ')}, got ${JSON.stringify(args.scopes)}.`,
          );
        await withService(args, async (s) => {
          const { key, info } = s.apiKeys.create(args.name, scopes as Scope[]);
          output.write(`API key ${info.id} (${info.scopes.join(', ')}) — shown once, store it now:\n${key}`);
        });
      },
    }),
    list: defineCommand({
      meta: { name: 'list', description: 'List keys (never their secrets)' },
      args: { ...common },
      async run({ args }) {
        await withService(args, async (s) => {
          const keys = s.apiKeys.list();
          if (keys.length === 0) output.write('No API keys.');
          for (const k of keys)
            output.write(
              `${k.id}  ${k.name}  [${k.scopes.join(',')}]  created ${iso(k.createdAt)}  last used ${iso(k.lastUsedAt)}${k.revokedAt ? '  REVOKED' : ''}`,
            );
        });
      },
    }),
    revoke: defineCommand({
      meta: { name: 'revoke', description: 'Revoke a key by id' },
      args: { ...common, id: { type: 'positional', required: true, description: 'key id' } },
      async run({ args }) {
        await withService(args, async (s) => {
          if (!s.apiKeys.revoke(args.id))
            throw new CliError(`no live API key with id ${JSON.stringify(args.id)}.`);
          output.write(`API key ${args.id} revoked.`);
        });
      },
    }),
  },
});

const sessionsCommand = defineCommand({
  meta: { name: 'sessions', description: "A user's sessions" },
  subCommands: {
    list: defineCommand({
      meta: { name: 'list', description: "List a user's live sessions" },
      args: { ...common, user: { type: 'string', required: true, description: 'user id' } },
      async run({ args }) {
        await withService(args, async (s) => {
          const list = await s.sessions.listForUser(args.user);
          if (list.length === 0) output.write(`No live sessions for ${args.user}.`);
          for (const x of list)
            output.write(
              `${x.id}  ${x.device.browser ?? '?'} on ${x.device.os ?? '?'}  ${x.device.lastIp ?? '-'}  last seen ${iso(x.lastSeenAt)}`,
            );
        });
      },
    }),
    revoke: defineCommand({
      meta: { name: 'revoke', description: 'Revoke one session (--id) or all of a user (--user)' },
      args: {
        ...common,
        user: { type: 'string', description: 'user id' },
        id: { type: 'string', description: 'session id' },
      },
      async run({ args }) {
        if (!args.user === !args.id) throw new CliError('give exactly one of --user or --id.');
        await withService(args, async (s) => {
          if (args.id) {
            if (!(await s.sessions.revoke(args.id)))
              throw new CliError(`no live session with id ${args.id}.`);
            output.write(`Session ${args.id} revoked.`);
          } else {
            output.write(
              `Revoked ${await s.sessions.revokeAllForUser(args.user!)} session(s) of ${args.user}.`,
            );
          }
        });
      },
    }),
  },
});

/** A new data key entry `id:base64`. */
export function generateKeyEntry(now = new Date()): string {
  const id = `k${now.toISOString().slice(0, 10).replaceAll('-', '')}${randomBytes(2).toString('hex')}`;
  return `${id}:${randomBytes(32).toString('base64')}`;
}

const keysCommand = defineCommand({
  meta: { name: 'keys', description: 'Data-encryption keys (TESSERA_KEYS)' },
  subCommands: {
    generate: defineCommand({
      meta: { name: 'generate', description: 'Print a new key ring with one key' },
      async run() {
        output.write(`TESSERA_KEYS=${generateKeyEntry()}`);
      },
    }),
    rotate: defineCommand({
      meta: {
        name: 'rotate',
        description: 'Print TESSERA_KEYS with a new current key first; old keys still open old data',
      },
      args: { keep: { type: 'string', default: '3', description: 'how many old keys to keep' } },
      async run({ args }) {
        const current = process.env.TESSERA_KEYS;
        if (!current)
          throw new CliError('TESSERA_KEYS is not set: nothing to rotate (use `tessera keys generate`).');
        try {
          parseKeyRing(current);
        } catch (err) {
          throw new CliError(`TESSERA_KEYS is invalid: ${(err as Error).message}`);
        }
        const keep = Number(args.keep);
        if (!Number.isInteger(keep) || keep < 1 || keep > 20)
          throw new CliError('--keep: an integer from 1 to 20.');
        const old = current
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
          .slice(0, keep);
        output.write(`TESSERA_KEYS=${[generateKeyEntry(), ...old].join(',')}`);
      },
    }),
  },
});

const migrateCommand = defineCommand({
  meta: {
    name: 'migrate',
    description: 'Apply pending schema migrations to the store and the service tables',
  },
  args: { ...common },
  async run({ args }) {
    await withService(args, async (s) => {
      const v = s.db.prepare('SELECT MAX(version) AS v FROM tessera_server_migrations').get() as {
        v: number;
      };
      output.write(
        `Store ${s.stores.kind}${s.stores.file ? ` (${s.stores.file})` : ''}: schema up to date (service tables at version ${v.v}).`,
      );
    });
  },
});

const auditLogCommand = defineCommand({
  meta: { name: 'audit-log', description: 'The tamper-evident audit log' },
  subCommands: {
    verify: defineCommand({
      meta: {
        name: 'verify',
        description: 'Check the hash chain of the audit log (exit status 1 when broken)',
      },
      args: { ...common },
      async run({ args }) {
        await withService(args, async (s) => {
          output.write('Verifying the audit log…');
          const r = await s.audit.verify();
          if (r.ok) {
            output.write(
              `Audit log OK: ${r.entries} entries, head ${r.head ? `#${r.head.seq} ${r.head.hash}` : '(empty)'}.`,
            );
            return;
          }
          output.write(
            `Audit log BROKEN at entry #${r.brokenAt} (${r.reason}): ${r.message} (${r.entries} entries sound before it).`,
          );
          throw new AuditBrokenError(r.brokenAt);
        });
      },
    }),
  },
});

/** The operator subcommands, by name. */
export const operatorCommands = {
  admin: adminCommand,
  'api-keys': apiKeysCommand,
  sessions: sessionsCommand,
  keys: keysCommand,
  migrate: migrateCommand,
  'audit-log': auditLogCommand,
};

export { ConfigError };
