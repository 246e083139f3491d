/**
 * Validation of the options every adapter shares (and of the handler's own), done the way the
 * engine does it: an unknown key or a value of the wrong type is a `ConfigError` (code
 * `CONFIG_INVALID`) that names it, so a typo such as `verifyCSRF` is never silently ignored.
 */
import { ConfigError } from '../errors.ts';

/** Checks one option's value; throws {@link ConfigError} naming `field` when it is wrong. */
export type OptionCheck = (value: unknown, field: string) => void;

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v;

function expect(ok: boolean, field: string, what: string, v: unknown): void {
  if (!ok) throw new ConfigError(field, `expected ${what}, got ${describe(v)}.`);
}

/** Ready-made checks for adapters' own options. */
export const optionChecks = {
  function: ((v, f) => expect(typeof v === 'function', f, 'a function', v)) as OptionCheck,
  boolean: ((v, f) => expect(typeof v === 'boolean', f, 'true or false', v)) as OptionCheck,
  string: ((v, f) =>
    expect(typeof v === 'string' && v.length > 0, f, 'a non-empty string', v)) as OptionCheck,
  /** `false`, or an object whose keys are checked by `shape`. */
  objectOrFalse:
    (shape: Record<string, OptionCheck>): OptionCheck =>
    (v, f) => {
      if (v !== false) checkObject(v, f, shape);
    },
  oneOf:
    (...values: readonly unknown[]): OptionCheck =>
    (v, f) => {
      if (!values.includes(v))
        throw new ConfigError(f, `expected one of ${values.map((x) => JSON.stringify(x)).join(', ')}.`);
    },
} as const;

const c = optionChecks;

const stringArray: OptionCheck = (v, f) => {
  expect(Array.isArray(v), f, 'an array of strings', v);
  for (const [i, x] of (v as unknown[]).entries()) c.string(x, `${f}[${i}]`);
};

const url: OptionCheck = (v, f) => {
  c.string(v, f);
  let protocol = '';
  try {
    protocol = new URL(v as string).protocol;
  } catch {}
  if (protocol !== 'https:' && protocol !== 'http:')
    throw new ConfigError(f, 'expected an absolute http(s) URL such as "https://shop.example".');
};

/** Options of {@link SessionHandler} (the keys every adapter shares but `clientIp`). */
const HANDLER: Record<string, OptionCheck> = {
  cookie: (v, f) =>
    checkObject(v, f, { name: c.string, sameSite: c.oneOf('lax', 'strict'), insecure: c.boolean }),
  publicOrigin: url,
  csrf: c.objectOrFalse({
    allowedOrigins: stringArray,
    allowSameSite: c.boolean,
    headerName: c.string,
    fieldName: c.string,
    check: c.oneOf('auto', 'manual'),
  }),
  loginUrl: c.string,
  onError: c.function,
  trustProxy: c.boolean,
  logger: (v, f) => {
    expect(v !== null && typeof v === 'object', f, 'an object with a warn(message) method', v);
    c.function((v as { warn?: unknown }).warn, `${f}.warn`);
  },
  // The contents are checked by the DBSC layer, which knows their ranges.
  deviceBound: (v, f) =>
    expect(v === false || (v !== null && typeof v === 'object'), f, 'false or an object', v),
  clearSiteData: (v, f) => expect(v === false || typeof v === 'string', f, 'a string or false', v),
};

/** Option names that were renamed: a clear error naming the new one instead of "unknown option". */
const RENAMED: Record<string, string> = {
  autocsrf:
    'was replaced by `csrf`: the adapter checks CSRF by default; pass `csrf: { check: "manual" }` to call `verifyCsrf` yourself, or `csrf: false` to turn the guard off.',
  verifycsrf:
    'was replaced by `csrf`: the adapter checks CSRF by default; pass `csrf: { check: "manual" }` to call `verifyCsrf` yourself, or `csrf: false` to turn the guard off.',
  manager:
    'is not an option: pass the SessionManager as the first argument, e.g. `fastifySessions(manager, options)`.',
};

function checkObject(v: unknown, field: string, shape: Record<string, OptionCheck>): void {
  expect(v !== null && typeof v === 'object' && !Array.isArray(v), field, 'an object', v);
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    const name = field ? `${field}.${key}` : key;
    const check = shape[key];
    if (!check) {
      const renamed = field ? undefined : RENAMED[key.toLowerCase()];
      if (renamed) throw new ConfigError(name, renamed);
      const near = Object.keys(shape).find((k) => k.toLowerCase() === key.toLowerCase());
      throw new ConfigError(name, `is not a known option${near ? ` (did you mean \`${near}\`?)` : ''}.`);
    }
    if (o[key] !== undefined) check(o[key], name);
  }
}

/** Validates the options of `createSessionHandler`. @internal */
export function validateHandlerOptions(options: unknown): void {
  if (options !== undefined) checkObject(options, '', HANDLER);
}

/**
 * Validates an adapter's options: the shared vocabulary (`cookie`, `publicOrigin`, `csrf`,
 * `loginUrl`, `onError`, `trustProxy`, `logger`, `deviceBound`, `clearSiteData`, `clientIp`) plus
 * the adapter's own keys in `extra`. Throws `ConfigError` (CONFIG_INVALID) naming the first
 * unknown key or wrong value.
 */
export function validateAdapterOptions(options: unknown, extra: Record<string, OptionCheck> = {}): void {
  if (options !== undefined) checkObject(options, '', { ...HANDLER, clientIp: c.function, ...extra });
}

/** The keys of the handler's own options (what an adapter passes on to `createSessionHandler`). */
export const HANDLER_OPTION_KEYS: readonly string[] = Object.keys(HANDLER);
