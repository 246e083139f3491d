/**
 * Secrets never leave the auditor whole. A long token is shown as its first four characters and
 * its length, e.g. `k3Zq…(43 chars)`; a token shorter than 16 characters only by its length, since
 * four of a few characters would be most of it.
 */
export function redactToken(token: string): string {
  if (token.length < 16) return `…(${token.length} chars)`;
  return `${token.slice(0, 4)}…(${token.length} chars)`;
}

/** Secrets shorter than this are redacted only where they stand as a `name=value` pair. */
const MIN_FREE_TEXT = 6;

/** Replaces every occurrence of each secret in `text` (also URL-encoded forms) with its redacted form. */
export function redactText(text: string, secrets: Iterable<string>): string {
  let out = text;
  const list = [...new Set(secrets)]
    .filter((s) => s.length >= MIN_FREE_TEXT)
    .sort((a, b) => b.length - a.length);
  for (const secret of list) {
    const forms = new Set([secret, encodeURIComponent(secret)]);
    for (const form of forms) if (out.includes(form)) out = out.split(form).join(redactToken(secret));
  }
  return out;
}

/** Parameter and cookie names that carry session ids on common stacks. */
export const SESSION_PARAM_NAMES = [
  'jsessionid',
  'phpsessid',
  'sessionid',
  'session_id',
  'sessid',
  'sid',
  'session',
  'aspsessionid',
  'cfid',
  'cftoken',
];

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A redactor for everything that leaves the auditor: every known secret anywhere in the text, and
 * any value after `<session name>=` (cookie headers, `;jsessionid=`, `?sid=`) whatever its length,
 * so short and never-seen tokens are covered too. Already redacted values are left alone.
 */
export function makeRedactor(secrets: Iterable<string>, names: Iterable<string>): (text: string) => string {
  const list = [...new Set(secrets)]
    .filter((s) => s.length >= MIN_FREE_TEXT)
    .sort((a, b) => b.length - a.length);
  const all = [...new Set([...SESSION_PARAM_NAMES, ...names])].filter((n) => n.length > 0);
  const pair = new RegExp(`(^|[\\s;,?&"'(])(${all.map(escapeRegExp).join('|')})=([^\\s;,&"'<>)#?]+)`, 'gi');
  return (text: string): string => {
    let out = redactText(
      text,
      list.filter((s) => text.includes(s) || text.includes(encodeURIComponent(s))),
    );
    out = out.replace(pair, (whole, lead: string, name: string, value: string) =>
      value.includes('…') || /^(deleted|""|\[password\])$/i.test(value)
        ? whole
        : `${lead}${name}=${redactToken(value)}`,
    );
    return out;
  };
}

/** Applies `redact` to every string inside `value` (objects and arrays, recursively); returns a copy. */
export function redactDeep<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, redact);
    return out as T;
  }
  return value;
}
