import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import * as z from 'zod';
import { parseDuration } from './duration.ts';
import { AuditError } from './errors.ts';
import { DEFAULT_LIMITS, type Limits } from './http/limits.ts';

const duration = z
  .union([z.string(), z.number()])
  .refine((v) => parseDuration(v) !== undefined, {
    message: 'expected a duration such as "30m", "12h", "1500ms" or seconds',
  })
  .transform((v) => parseDuration(v) as number);

const expectSchema = z.strictObject({
  status: z.union([z.number().int(), z.array(z.number().int()).min(1)]).optional(),
  text: z.string().optional(),
});

const requestSchema = z.strictObject({
  method: z
    .string()
    .regex(/^[A-Za-z]+$/)
    .default('GET'),
  path: z.string().min(1),
  headers: z.record(z.string(), z.string()).optional(),
  form: z.record(z.string(), z.string()).optional(),
  json: z.unknown().optional(),
  /** Path of a page whose form's hidden inputs (e.g. `_csrf`) are added to `form`. */
  hiddenFieldsFrom: z.string().optional(),
  expect: expectSchema.optional(),
});

const formLoginSchema = z.strictObject({
  page: z.string().default('/login'),
  action: z.string().optional(),
  method: z.string().default('POST'),
  usernameField: z.string().default('username'),
  passwordField: z.string().default('password'),
  usernameEnv: z.string().optional(),
  passwordEnv: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  fields: z.record(z.string(), z.string()).optional(),
});

/** An empty YAML section (`session:` with nothing under it) parses as null: treat it as absent. */
const section = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === null ? undefined : v), schema);

const profileSchema = z.strictObject({
  target: z.string().url().optional(),
  login: z
    .strictObject({
      form: formLoginSchema.optional(),
      /** Scripted steps; values may use `${username}`, `${password}` and `${env:NAME}`. */
      steps: z.array(requestSchema).min(1).max(10).optional(),
      usernameEnv: z.string().optional(),
      passwordEnv: z.string().optional(),
      username: z.string().optional(),
      password: z.string().optional(),
    })
    .refine((l) => (l.form ? 1 : 0) + (l.steps ? 1 : 0) === 1, {
      message: 'give exactly one of "form" or "steps"',
    }),
  loggedIn: z.strictObject({
    path: z.string().min(1),
    status: z.number().int().default(200),
    text: z.string().optional(),
  }),
  logout: section(requestSchema.optional()),
  session: section(
    z
      .strictObject({
        cookie: z.string().optional(),
        tokenPattern: z
          .string()
          .refine(
            (p) => {
              try {
                new RegExp(p);
                return true;
              } catch {
                return false;
              }
            },
            { message: 'not a valid regular expression' },
          )
          .optional(),
        issue: z.union([z.literal('login'), requestSchema]).optional(),
        rotationGrace: duration.default(0),
      })
      .default({ rotationGrace: 0 }),
  ),
  stateChanging: section(requestSchema.optional()),
  privilegeChange: section(requestSchema.optional()),
  timeouts: section(
    z
      .strictObject({
        idle: duration.optional(),
        absolute: duration.optional(),
        longRunning: z.boolean().default(false),
        tolerance: z.number().min(0).max(5).default(0.25),
      })
      .optional(),
  ),
  randomness: section(
    z
      .strictObject({
        samples: z.number().int().min(20).max(1_000_000).optional(),
        /** CPU budget of the generator-model search (TOKEN-PREDICTABLE), e.g. "3s". */
        modelBudget: duration.optional(),
        /** Wall-clock budget of token sampling (default 40 s). */
        maxTime: duration.optional(),
        /** Stop sampling once the verdict is certain (default true). */
        earlyStop: z.boolean().optional(),
      })
      .optional(),
  ),
  limits: section(
    z
      .strictObject({
        requestsPerSecond: z.number().positive().optional(),
        concurrency: z.number().int().min(1).max(64).optional(),
        maxRequests: z.number().int().min(10).optional(),
        totalTime: duration.optional(),
        requestTimeout: duration.optional(),
      })
      .optional(),
  ),
});

/** A validated profile, durations in milliseconds. */
export type Profile = z.output<typeof profileSchema>;
/** A request described in a profile. */
export type ProfileRequest = z.output<typeof requestSchema>;
/** What a profile request must answer to count as success. */
export type Expectation = z.output<typeof expectSchema>;

/** Credentials resolved from the profile (literals or environment variables). */
export interface Credentials {
  username: string;
  password: string;
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
  return `${field}: ${issue.message}`;
}

/** Validates a parsed profile object; throws PROFILE_INVALID naming the first bad field(s). */
export function parseProfile(input: unknown): Profile {
  const result = profileSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.slice(0, 5).map(formatIssue);
    throw new AuditError('PROFILE_INVALID', `profile does not validate: ${lines.join('; ')}`);
  }
  return result.data;
}

/** Parses YAML text (JSON is YAML too) into a validated profile. */
export function parseProfileText(text: string): Profile {
  let data: unknown;
  try {
    data = YAML.parse(text);
  } catch (err) {
    throw new AuditError('PROFILE_INVALID', `profile is not valid YAML: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseProfile(data);
}

/** Reads and validates a profile file. */
export async function loadProfile(path: string): Promise<Profile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AuditError('PROFILE_NOT_FOUND', `cannot read profile ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseProfileText(text);
}

function fromEnv(field: string, name: string, env: NodeJS.ProcessEnv): string {
  const v = env[name];
  if (v === undefined || v === '') {
    throw new AuditError('PROFILE_INVALID', `${field}: environment variable ${name} is not set`);
  }
  return v;
}

/** Resolves the login credentials: an `*Env` variable wins over a literal. */
export function resolveCredentials(profile: Profile, env: NodeJS.ProcessEnv = process.env): Credentials {
  const src = profile.login.form ?? profile.login;
  const prefix = profile.login.form ? 'login.form' : 'login';
  const username = src.usernameEnv ? fromEnv(`${prefix}.usernameEnv`, src.usernameEnv, env) : src.username;
  const password = src.passwordEnv ? fromEnv(`${prefix}.passwordEnv`, src.passwordEnv, env) : src.password;
  if (username === undefined)
    throw new AuditError('PROFILE_INVALID', `${prefix}.username: give username or usernameEnv`);
  if (password === undefined)
    throw new AuditError('PROFILE_INVALID', `${prefix}.password: give password or passwordEnv`);
  return { username, password };
}

/** The request-rate cap on loopback targets (in effect, none: concurrency bounds the load). */
export const LOOPBACK_REQUESTS_PER_SECOND = 10_000;

/** True for 127.0.0.0/8, ::1 and localhost: the auditor's own machine. */
export function isLoopback(url: URL): boolean {
  const h = url.hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The effective limits: profile values over the defaults. A target on the loopback interface
 * is the user's own machine: no request-rate cap there unless the profile sets one (concurrency
 * still bounds the load); elsewhere the polite default of {@link DEFAULT_LIMITS}.
 */
export function resolveLimits(profile: Profile, target?: URL): Limits {
  const l = profile.limits ?? {};
  const local = target !== undefined && isLoopback(target);
  return {
    requestsPerSecond:
      l.requestsPerSecond ?? (local ? LOOPBACK_REQUESTS_PER_SECOND : DEFAULT_LIMITS.requestsPerSecond),
    concurrency: l.concurrency ?? DEFAULT_LIMITS.concurrency,
    maxRequests: l.maxRequests ?? DEFAULT_LIMITS.maxRequests,
    totalTimeMs: l.totalTime ?? DEFAULT_LIMITS.totalTimeMs,
    requestTimeoutMs: l.requestTimeout ?? DEFAULT_LIMITS.requestTimeoutMs,
  };
}
