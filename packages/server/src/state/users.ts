/**
 * The service's accounts: demo shop customers and console administrators, passwords hashed with
 * scrypt. Verifying an unknown user costs the same as a known one (no user enumeration by timing).
 */
import type { Database } from 'better-sqlite3';
import { hashPassword, verifyPassword } from './passwords.ts';

/** Who an account is for. */
export type Role = 'customer' | 'admin';

/** An account as the service shows it (no hash). */
export interface User {
  username: string;
  role: Role;
  createdAt: number;
  passwordChangedAt: number;
}

interface Row {
  username: string;
  password_hash: string;
  role: Role;
  created_at: number;
  password_changed_at: number;
}

/** Usernames: 1-64 letters, digits, `.`, `_`, `-` and `@`. */
export const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;
/** Accepted password lengths (NIST 800-63B: at least 8, allow long passphrases). */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

const toUser = (r: Row): User => ({
  username: r.username,
  role: r.role,
  createdAt: r.created_at,
  passwordChangedAt: r.password_changed_at,
});

/** Accounts kept in the service's SQLite tables. */
export class UserDirectory {
  readonly #db: Database;
  readonly #cost: number;
  #dummy: Promise<string> | null = null;

  constructor(db: Database, options: { passwordCost?: number } = {}) {
    this.#db = db;
    this.#cost = options.passwordCost ?? 17;
  }

  /** Creates an account; throws if the name is taken or invalid. */
  async create(
    username: string,
    password: string,
    role: Role,
    options: { seed?: boolean } = {},
  ): Promise<User> {
    if (!USERNAME.test(username))
      throw new RangeError('username: 1-64 letters, digits, ".", "_", "-" or "@".');
    if (!options.seed) checkPasswordShape(password); // the demo's public seed passwords predate the policy
    // Seeded demo passwords are printed on the login page: a high hashing cost would protect nothing
    // and only slow the start down.
    const hash = await hashPassword(password, options.seed ? Math.min(this.#cost, 12) : this.#cost);
    const now = Date.now();
    try {
      this.#db
        .prepare(
          'INSERT INTO tessera_server_users (username, password_hash, role, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(username, hash, role, now, now);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
        throw new RangeError(`username: ${username} already exists.`);
      throw err;
    }
    return { username, role, createdAt: now, passwordChangedAt: now };
  }

  /** The account, or null. */
  get(username: string): User | null {
    const row = this.#db.prepare('SELECT * FROM tessera_server_users WHERE username = ?').get(username) as
      | Row
      | undefined;
    return row ? toUser(row) : null;
  }

  /** The account when the password matches and the role is `role`; null otherwise (same cost either way). */
  async verify(username: unknown, password: unknown, role: Role): Promise<User | null> {
    if (typeof username !== 'string' || typeof password !== 'string') return null;
    const pw = password.length > PASSWORD_MAX ? '' : password;
    const row = USERNAME.test(username)
      ? (this.#db.prepare('SELECT * FROM tessera_server_users WHERE username = ?').get(username) as
          | Row
          | undefined)
      : undefined;
    if (!row) {
      this.#dummy ??= hashPassword('not a real password', this.#cost);
      await verifyPassword(pw, await this.#dummy);
      return null;
    }
    const ok = (await verifyPassword(pw, row.password_hash)) && pw.length > 0;
    return ok && row.role === role ? toUser(row) : null;
  }

  /** Sets a new password. */
  async setPassword(username: string, password: string): Promise<void> {
    checkPasswordShape(password);
    const hash = await hashPassword(password, this.#cost);
    this.#db
      .prepare(
        'UPDATE tessera_server_users SET password_hash = ?, password_changed_at = ? WHERE username = ?',
      )
      .run(hash, Date.now(), username);
  }

  /** How many accounts have the role. */
  count(role: Role): number {
    return (
      this.#db.prepare('SELECT count(*) AS n FROM tessera_server_users WHERE role = ?').get(role) as {
        n: number;
      }
    ).n;
  }

  /** Accounts with the role, by name. */
  list(role: Role): User[] {
    return (
      this.#db
        .prepare('SELECT * FROM tessera_server_users WHERE role = ? ORDER BY username')
        .all(role) as Row[]
    ).map(toUser);
  }
}

/** Throws a RangeError naming what is wrong with a new password. */
export function checkPasswordShape(password: string): void {
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX)
    throw new RangeError(`password: between ${PASSWORD_MIN} and ${PASSWORD_MAX} characters.`);
}
