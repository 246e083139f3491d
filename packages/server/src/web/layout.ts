/**
 * Page shells. Every value is interpolated through hono's `html` template, which escapes it; `raw`
 * is used only for fragments this code built itself.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

/** A rendered fragment. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** A message shown at the top of a page. */
export interface Notice {
  kind: 'info' | 'success' | 'warning' | 'error';
  text: string;
}

/** The notices as an accessible list (errors are announced at once). */
export function notices(list: readonly Notice[]): Html {
  if (list.length === 0) return html``;
  return html`<div class="notices">${list.map(
    (n) =>
      html`<p class="notice notice-${n.kind}" role="${n.kind === 'error' || n.kind === 'warning' ? 'alert' : 'status'}">${n.text}</p>`,
  )}</div>`;
}

/** The hidden CSRF field of a form (nothing when the request has no session yet). */
export function csrfField(token: string | null): Html {
  return token ? html`<input type="hidden" name="_csrf" value="${token}">` : html``;
}

/** A complete HTML document. */
export function documentShell(options: {
  title: string;
  body: Html;
  bodyClass?: string;
  scripts?: readonly string[];
}): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title}</title>
<link rel="stylesheet" href="/assets/site.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
${(options.scripts ?? []).map((s) => html`<script src="${s}" defer></script>`)}
</head>
<body class="${options.bodyClass ?? ''}">
<a class="skip" href="#main">Skip to content</a>
${options.body}
</body>
</html>`;
}
