/**
 * Secrets never leave the auditor whole: a token is shown as its first four characters and its
 * length, e.g. `k3Zq…(43 chars)`.
 */
export function redactToken(token: string): string {
  if (token.length <= 4) return `…(${token.length} chars)`;
  return `${token.slice(0, 4)}…(${token.length} chars)`;
}

/** Replaces every occurrence of each secret in `text` (also URL-encoded forms) with its redacted form. */
export function redactText(text: string, secrets: Iterable<string>): string {
  let out = text;
  const list = [...new Set(secrets)].filter((s) => s.length >= 6).sort((a, b) => b.length - a.length);
  for (const secret of list) {
    const forms = new Set([secret, encodeURIComponent(secret)]);
    for (const form of forms) out = out.split(form).join(redactToken(secret));
  }
  return out;
}
