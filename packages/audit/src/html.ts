/** Minimal HTML reading for probes: forms, hidden inputs and link targets. Not a full parser. */

const ATTR = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;

/** Decodes the handful of entities that appear in attribute values. */
export function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Attributes of one tag's source, lower-cased names. */
export function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  const inner = tag.replace(/^<\s*[a-zA-Z0-9-]+/, '').replace(/\/?>$/, '');
  for (const m of inner.matchAll(ATTR)) {
    const name = (m[1] ?? '').toLowerCase();
    if (!name) continue;
    out[name] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

/** A form found in a page. */
export interface HtmlForm {
  action: string | undefined;
  method: string;
  inputs: Array<{ name: string; type: string; value: string }>;
}

/** All forms of a page with their inputs. */
export function parseForms(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const m of html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/gi)) {
    const open = /^<form\b[^>]*>/i.exec(m[0])?.[0] ?? '<form>';
    const attrs = attributes(open);
    const inputs: HtmlForm['inputs'] = [];
    for (const i of (m[1] ?? '').matchAll(/<input\b[^>]*>/gi)) {
      const a = attributes(i[0]);
      if (a.name) inputs.push({ name: a.name, type: (a.type ?? 'text').toLowerCase(), value: a.value ?? '' });
    }
    forms.push({ action: attrs.action, method: (attrs.method ?? 'GET').toUpperCase(), inputs });
  }
  return forms;
}

/** Hidden inputs of the form that posts to `actionPath` (or that has `fieldName`, or the first form). */
export function hiddenFields(
  html: string,
  pick: { actionPath?: string; fieldName?: string } = {},
): Record<string, string> {
  const forms = parseForms(html);
  const form =
    forms.find(
      (f) => pick.actionPath !== undefined && f.action !== undefined && sameAction(f.action, pick.actionPath),
    ) ??
    forms.find((f) => pick.fieldName !== undefined && f.inputs.some((i) => i.name === pick.fieldName)) ??
    forms[0];
  const out: Record<string, string> = {};
  for (const i of form?.inputs ?? []) if (i.type === 'hidden') out[i.name] = i.value;
  return out;
}

function sameAction(action: string, path: string): boolean {
  try {
    return new URL(action, 'http://x').pathname === new URL(path, 'http://x').pathname;
  } catch {
    return false;
  }
}

/** Every URL-valued attribute (href, src, action, formaction) in a page. */
export function linkTargets(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(
    /\b(?:href|src|action|formaction)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi,
  )) {
    out.push(decodeEntities(m[1] ?? m[2] ?? m[3] ?? ''));
  }
  return out;
}
