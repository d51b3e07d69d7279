import type { FastifyRequest } from 'fastify';
import { esc, html, raw, type Raw } from '../format/html.js';
import { DEFAULT_LOCALE, isLocale, localeFromAcceptLanguage, localeOf, pickLocale, t, type Locale, type Vars } from '../i18n/index.js';

/** The shared page shell and base styles of the server-rendered pages (portal, pay page, outbox). */
export const BASE_CSS = `
  :root { color-scheme: light; --ink:#1b2430; --muted:#5b6673; --line:#d9dee4; --brand:#0b5cab; --ok:#1e7b34; --warn:#a05a00; --bad:#b42318; }
  * { box-sizing: border-box; }
  body { margin:0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background:#f5f7fa; }
  main { max-width: 760px; margin: 2rem auto; padding: 0 1rem; }
  .panel { background:#fff; border:1px solid var(--line); border-radius:10px; padding:1.5rem; }
  h1 { font-size:1.5rem; margin:0 0 .5rem; }
  table { width:100%; border-collapse:collapse; margin:1rem 0; }
  th, td { text-align:left; padding:.5rem; border-bottom:1px solid var(--line); }
  td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; white-space:nowrap; }
  .status { display:inline-block; padding:.1rem .6rem; border-radius:999px; font-size:.85rem; font-weight:600; }
  .status-paid { background:#e3f4e8; color:var(--ok); } .status-due, .status-partially_paid { background:#fff3e0; color:var(--warn); }
  .status-overdue { background:#fde8e7; color:var(--bad); } .status-void { background:#eee; color:#555; }
  .button { display:inline-block; background:var(--brand); color:#fff; border:0; border-radius:8px; padding:.7rem 1.3rem; font-size:1rem; font-weight:600; cursor:pointer; text-decoration:none; }
  .button:focus-visible { outline:3px solid #ffbf47; outline-offset:2px; }
  .button.secondary { background:#fff; color:var(--brand); border:1px solid var(--brand); }
  .muted { color: var(--muted); }
  .notice { border-left:4px solid var(--brand); background:#eef5fc; padding:.75rem 1rem; border-radius:6px; }
  .back-links { display:flex; flex-wrap:wrap; gap:.75rem; margin:1rem 0 0; }
  h1 { overflow-wrap:anywhere; }
  /* Phones (320-430 px and up to small tablets): tighter margins, nothing wider than the screen. */
  @media (max-width: 44rem) {
    main { margin:1rem auto; padding:0 .75rem; }
    .panel { padding:1rem; }
    h1 { font-size:1.3rem; }
    .button { padding:.7rem 1rem; }
  }
`;

export function page(title: string, body: Raw, opts: { head?: Raw; locale?: Locale } = {}): string {
  return html`<!doctype html>
<html lang="${opts.locale ?? DEFAULT_LOCALE}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${raw(BASE_CSS)}</style>
${opts.head ?? raw('')}
</head>
<body>
${body}
</body>
</html>`.html;
}

/**
 * A catalogue message with HTML parts: each `{{name}}` in `parts` is filled with its fragment
 * (Raw as is, a string escaped), the message's own text escaped, other `vars` as plain text.
 * Messages stay plain text; the markup (links, <strong>) stays here.
 */
export function rich(locale: Locale, key: string, parts: Record<string, Raw | string>, vars: Vars = {}): Raw {
  const names = Object.keys(parts);
  // Private-use characters mark where each part goes (no message contains them).
  const marks = Object.fromEntries(names.map((n, i) => [n, `\uE000${i}\uE001`]));
  const plain = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v.replace(/[\uE000\uE001]/g, '') : v]));
  const text = t(locale, key, { ...plain, ...marks });
  const out = text
    .split(/\uE000(\d+)\uE001/)
    .map((piece, i) => {
      if (i % 2 === 0) return esc(piece);
      const part = parts[names[Number(piece)]!]!;
      return typeof part === 'string' ? esc(part) : part.html;
    })
    .join('');
  return raw(out);
}

function asLocale(v: unknown): Locale | null {
  if (typeof v !== 'string') return null;
  if (isLocale(v)) return v;
  return v === 'fr' || v === 'en' ? localeOf(v) : null;
}

/** A `lang` parameter (fr-CA, en-CA, fr, en) in the query or a posted form, or null when absent or not one of ours. */
export function langParam(req: FastifyRequest): Locale | null {
  const field = (o: unknown) => (o && typeof o === 'object' ? (o as Record<string, unknown>)['lang'] : undefined);
  return asLocale(field(req.query)) ?? asLocale(field(req.body));
}

/**
 * The locale of a page that has no session (signed pay links, the sandbox checkout, the pay
 * return page): a valid `lang` query parameter (not part of any signature: it changes only the
 * words), then Accept-Language, then en-CA.
 */
export function publicPageLocale(req: FastifyRequest): Locale {
  return pickLocale(langParam(req), localeFromAcceptLanguage(req.headers['accept-language']));
}

/** `path` with `lang=<locale>` added when the page was asked for in an explicit language, so the next page keeps it. */
export function keepLang(path: string, lang: Locale | null): string {
  if (!lang) return path;
  return `${path}${path.includes('?') ? '&' : '?'}lang=${lang}`;
}
