/**
 * The few RFC 9651 structured-field shapes DBSC uses, read leniently where browsers differ: the
 * specification sends `Secure-Session-Response` and `Sec-Secure-Session-Id` as sf-strings (quoted),
 * Chromium sends them bare. Serialisation is strict.
 * @internal
 */

/** An sf-string's value (quoted form) or a bare value up to the first parameter; null when malformed. */
export function readStringItem(value: string | undefined, maxLength: number): string | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (v.length === 0 || v.length > maxLength + 2) return null;
  if (v[0] !== '"') {
    const bare = v.split(';', 1)[0]!.trim();
    return bare.length > 0 && bare.length <= maxLength && /^[\x21-\x7e]+$/.test(bare) && !bare.includes('"')
      ? bare
      : null;
  }
  let out = '';
  for (let i = 1; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\') {
      const n = v[++i];
      if (n !== '"' && n !== '\\') return null;
      out += n;
    } else if (c === '"') {
      return out.length <= maxLength ? out : null;
    } else if (c < ' ' || c > '~') {
      return null;
    } else out += c;
  }
  return null;
}

/** Serialises a string as an sf-string (printable ASCII only, as every value Tessera sends is). */
export function sfString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new TypeError('sf-string values must be printable ASCII.');
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/**
 * The `session_identifier` parameters of a `Secure-Session-Skipped` list, with each item's reason
 * token (`unreachable`, `server_error`, `quota_exceeded`). Malformed items are ignored.
 */
export function readSkipped(value: string | undefined): Array<{ reason: string; sessionId: string }> {
  if (!value || value.length > 4096) return [];
  const out: Array<{ reason: string; sessionId: string }> = [];
  for (const item of value.split(',')) {
    const [token = '', ...params] = item.split(';').map((p) => p.trim());
    if (!/^[a-z_]{1,32}$/.test(token)) continue;
    for (const p of params) {
      const eq = p.indexOf('=');
      if (eq === -1 || p.slice(0, eq).trim() !== 'session_identifier') continue;
      const id = readStringItem(p.slice(eq + 1), 256);
      if (id !== null) out.push({ reason: token, sessionId: id });
    }
  }
  return out;
}
