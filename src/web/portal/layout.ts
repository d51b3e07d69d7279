import type { FastifyReply, FastifyRequest } from 'fastify';
import { html, raw, type Raw } from '../../format/html.js';
import { t, type Locale } from '../../i18n/index.js';
import { page } from '../page.js';
import { CSRF_FIELD } from './csrf.js';
import type { PortalSession } from './session.js';

/**
 * Headers for portal pages: our own script only (the widget bundle, no inline script), API calls
 * to ourselves, inline styles (the page CSS is inline), nothing third-party, no framing.
 */
export const PORTAL_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Pages carry the session token for the widget: never cached.
  'cache-control': 'no-store',
};

/**
 * Phones and small tablets: the page never scrolls sideways. Tables become one card per row
 * (pure CSS: display:block/grid on the table's parts; each cell's label comes from its data-label
 * attribute, so the cells' text stays what the table shows on a desktop), the Billing tabs wrap as
 * pills, the header wraps (the name on its own line, the language switch and Sign out below). The
 * rows keep their table roles in the markup (Safari drops a table's semantics once its parts are
 * not display:table-*).
 */
const PORTAL_PHONE_CSS = `
  @media (max-width: 44rem) {
    .site-inner { padding:.5rem .75rem; gap:.25rem 1rem; }
    .who { margin-left:0; width:100%; justify-content:space-between; flex-wrap:wrap; row-gap:.35rem; font-size:.85rem; }
    .who > span { flex:1 1 100%; min-width:0; overflow-wrap:anywhere; }
    main.portal { margin-top:1rem; padding:0 .75rem; }
    main.portal h1 { font-size:1.35rem; margin-bottom:.5rem; }
    .tabs { gap:.4rem; border-bottom:0; margin-bottom:1rem; }
    .tabs a { padding:.4rem .85rem; margin:0; border:1px solid var(--line); border-radius:999px; background:#fff; }
    .tabs a[aria-current="page"] { background:var(--brand); border-color:var(--brand); color:#fff; }
    .tabs a:hover { background:#e9eef4; }
    .tabs a[aria-current="page"]:hover { background:var(--brand); }
    .summary { gap:.75rem; }
    .stat { padding:.85rem 1rem; }
    .stat .value { font-size:1.5rem; }
    .crumbs ol { flex-wrap:wrap; }
    .table-wrap { background:none; border:0; border-radius:0; overflow:visible; }
    .table-wrap table, .table-wrap tbody, .table-wrap tr, .table-wrap td, .table-wrap tbody th { display:block; }
    .table-wrap thead { position:absolute; width:1px; height:1px; margin:-1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
    .table-wrap tbody tr { display:grid; grid-template-columns:repeat(2, minmax(0, 1fr)); gap:.6rem 1rem; background:#fff; border:1px solid var(--line); border-radius:10px; padding:.8rem 1rem; margin:0 0 .75rem; }
    .table-wrap tbody th, .table-wrap td { padding:0; border:0; min-width:0; overflow-wrap:anywhere; }
    .table-wrap tbody th { grid-column:1; grid-row:1; font-size:1.05rem; align-self:center; }
    .table-wrap tbody th.wide { font-size:1rem; }
    .table-wrap td.top { grid-column:2; grid-row:1; justify-self:end; align-self:center; text-align:right; }
    .table-wrap .wide { grid-column:1 / -1; }
    .table-wrap td.num { text-align:left; white-space:normal; }
    .table-wrap td.key { font-weight:700; }
    .table-wrap td[data-label]::before { content:attr(data-label); display:block; color:var(--muted); font-size:.8rem; font-weight:600; }
    .table-wrap td.pay .button, .table-wrap td.act .button { display:block; width:100%; text-align:center; padding:.65rem 1rem; font-size:1rem; }
    .table-wrap td.pay-none { display:none; }
    .table-wrap td.top .status { text-align:center; }
    .invoice-sheet { padding:1rem; }
    .actions .button { flex:1 1 auto; text-align:center; }
    .card-form { padding:1rem; }
  }
`;

export const PORTAL_CSS = `
  body { background:#f5f7fa; }
  .skip { position:absolute; left:-10000px; top:0; background:#fff; color:var(--brand); padding:.5rem 1rem; z-index:10; }
  .skip:focus { left:1rem; top:1rem; outline:3px solid #ffbf47; }
  .site { background:#0b2e4f; color:#fff; }
  .site-inner { max-width:1080px; margin:0 auto; padding:.6rem 1rem; display:flex; flex-wrap:wrap; gap:.5rem 1.5rem; align-items:center; }
  .logo { color:#fff; font-weight:700; text-decoration:none; font-size:1.05rem; }
  .site nav ul { list-style:none; margin:0; padding:0; display:flex; gap:.25rem; }
  .site nav a { color:#fff; text-decoration:none; padding:.4rem .75rem; border-radius:6px; display:inline-block; }
  .site nav a[aria-current="page"] { background:rgba(255,255,255,.16); font-weight:600; }
  .site a:focus-visible, .site button:focus-visible, .tabs a:focus-visible, table a:focus-visible, .crumbs a:focus-visible { outline:3px solid #ffbf47; outline-offset:2px; }
  .who { margin-left:auto; display:flex; gap:.75rem; align-items:center; font-size:.9rem; }
  .who form { margin:0; }
  .link-btn { background:none; border:1px solid rgba(255,255,255,.6); color:#fff; border-radius:6px; padding:.25rem .7rem; font:inherit; cursor:pointer; white-space:nowrap; }
  .lang { display:flex; gap:.25rem; align-items:center; }
  .lang button { background:none; border:1px solid transparent; color:#fff; border-radius:6px; padding:.25rem .5rem; font:inherit; cursor:pointer; text-decoration:underline; }
  .lang button[aria-current="true"] { border-color:rgba(255,255,255,.6); font-weight:700; text-decoration:none; }
  main.portal { max-width:1080px; margin:1.5rem auto 6rem; padding:0 1rem; }
  main.portal h1 { font-size:1.6rem; margin:0 0 1rem; }
  main.portal h2 { font-size:1.15rem; margin:1.5rem 0 .5rem; }
  .tabs { display:flex; gap:.25rem; border-bottom:2px solid var(--line); margin-bottom:1.25rem; flex-wrap:wrap; }
  .tabs a { padding:.55rem 1rem; text-decoration:none; color:var(--ink); border-radius:8px 8px 0 0; margin-bottom:-2px; border-bottom:3px solid transparent; }
  .tabs a[aria-current="page"] { border-bottom-color:var(--brand); color:var(--brand); font-weight:700; }
  .tabs a:hover { background:#e9eef4; }
  .summary { display:grid; grid-template-columns:repeat(auto-fit, minmax(220px, 1fr)); gap:1rem; margin:0 0 1rem; }
  .stat { background:#fff; border:1px solid var(--line); border-radius:10px; padding:1rem 1.25rem; margin:0; }
  .stat dt { color:var(--muted); font-weight:600; font-size:.9rem; }
  .stat dd { margin:0; }
  .stat .value { font-size:1.8rem; font-weight:700; font-variant-numeric:tabular-nums; display:block; }
  .stat .note { color:var(--muted); font-size:.88rem; display:block; }
  .stat-bad .value { color:var(--bad); }
  .table-wrap { background:#fff; border:1px solid var(--line); border-radius:10px; overflow-x:auto; }
  .table-wrap table { margin:0; }
  .table-wrap th { background:#f1f4f8; font-size:.85rem; color:#3b4450; }
  .table-wrap td, .table-wrap th { padding:.6rem .8rem; }
  .table-wrap tbody th { background:transparent; font-size:1rem; color:var(--ink); }
  .table-wrap tbody tr:last-child td, .table-wrap tbody tr:last-child th { border-bottom:0; }
  .button.small { padding:.35rem .8rem; font-size:.9rem; }
  .actions { display:flex; gap:.75rem; flex-wrap:wrap; margin:0 0 1rem; }
  .pager { display:flex; gap:1rem; margin:.75rem 0; }
  .crumbs ol { list-style:none; display:flex; gap:.4rem; padding:0; margin:0 0 1rem; color:var(--muted); }
  .crumbs li + li::before { content:"›"; margin-right:.4rem; }
  .crumbs a { color:var(--brand); }
  table a { color:var(--brand); font-weight:600; }
  .empty { background:#fff; border:1px dashed var(--line); border-radius:10px; padding:1rem; color:var(--muted); }
  .sr-only { position:absolute; width:1px; height:1px; padding:0; margin:-1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; border:0; }
  .invoice-sheet { background:#fff; border:1px solid var(--line); border-radius:10px; padding:1.5rem; }
  .site-foot { max-width:1080px; margin:0 auto 2rem; padding:0 1rem; color:var(--muted); font-size:.85rem; }
  /* The invoice template's headings inside the portal keep the document's own sizes. */
  main.portal .invoice h2 { font-size:10pt; margin:0 0 4px; }
  .form-row { display:grid; gap:.3rem; margin:0 0 1rem; max-width:28rem; }
  .form-row label { font-weight:600; }
  .form-row input { font:inherit; font-size:1rem; padding:.55rem .7rem; border:1px solid #8a95a3; border-radius:8px; width:100%; }
  .form-row input:focus-visible { outline:3px solid #ffbf47; outline-offset:1px; }
  .form-row input[aria-invalid="true"] { border-color:var(--bad); border-width:2px; }
  .form-row .hint { color:var(--muted); font-size:.88rem; }
  .form-row .error { color:var(--bad); font-weight:600; }
  .card-form { background:#fff; border:1px solid var(--line); border-radius:10px; padding:1.25rem; margin:0 0 1rem; }
  .error-summary { border:2px solid var(--bad); border-radius:10px; background:#fff5f4; padding:.75rem 1rem; margin:0 0 1rem; }
  main.portal .error-summary h2 { margin:0 0 .25rem; font-size:1.05rem; color:var(--bad); }
  .error-summary a { color:var(--bad); font-weight:600; }
  .done { border-left:4px solid var(--ok); background:#eef8f0; padding:.75rem 1rem; border-radius:6px; margin:0 0 1rem; }
  .domains { padding-left:1.25rem; }
  .button.danger { background:var(--bad); overflow-wrap:anywhere; }
  .email { overflow-wrap:anywhere; }
${PORTAL_PHONE_CSS}`;

/** No favicon request (a 404 in every browser console). */
export const FAVICON = raw('<link rel="icon" href="data:,">');

export type PortalTab = 'overview' | 'invoices' | 'payments' | 'credits' | 'contacts';

const TABS: ReadonlyArray<{ id: PortalTab; label: string; href: string }> = [
  { id: 'overview', label: 'portal.tabs.overview', href: '/portal/billing' },
  { id: 'invoices', label: 'portal.tabs.invoices', href: '/portal/billing/invoices' },
  { id: 'payments', label: 'portal.tabs.payments', href: '/portal/billing/payments' },
  { id: 'credits', label: 'portal.tabs.credits', href: '/portal/billing/credits' },
  { id: 'contacts', label: 'portal.tabs.contacts', href: '/portal/billing/contacts' },
];

/** The language switch's path (routes.ts). */
export const LANGUAGE_PATH = '/portal/language';

/** The switch's choices, each named in its own language. */
const LANGUAGES: ReadonlyArray<{ locale: Locale; label: string }> = [
  { locale: 'en-CA', label: 'portal.language.english' },
  { locale: 'fr-CA', label: 'portal.language.french' },
];

/**
 * English / Français: a form post (works without JavaScript) carrying this session's form token
 * and the page to come back to; the current language is marked.
 */
function languageSwitch(locale: Locale, formToken: string, back: string): Raw {
  return html`<form class="lang" method="post" action="${LANGUAGE_PATH}" aria-label="${t(locale, 'portal.language.label')}">
        <input type="hidden" name="${CSRF_FIELD}" value="${formToken}">
        <input type="hidden" name="next" value="${back}">
        ${LANGUAGES.map(
          (l) =>
            html`<button type="submit" name="locale" value="${l.locale}" lang="${l.locale}"${raw(l.locale === locale ? ' aria-current="true"' : '')}>${t(l.locale, l.label)}</button>`,
        )}
      </form>`;
}

export interface PortalPageOptions {
  title: string;
  session: PortalSession;
  locale: Locale;
  /** This session's form token (csrf.ts), for the language switch. */
  formToken: string;
  /** The page's own path and query, where the language switch comes back to. */
  path: string;
  accountName: string;
  /** The Billing tab to mark current; null for pages below a tab (an invoice). */
  tab: PortalTab | null;
  /** The page's h1; null or omitted when the body brings its own (the invoice view). */
  heading?: string | null;
  body: Raw;
  head?: Raw;
}

/** What a signed-in route renders (the portal adds the session, the account's name and the headers). */
export interface PortalRender {
  /** The page's own title (the layout adds the portal's). */
  title: string;
  tab: PortalTab | null;
  /** The page's h1: "Billing" in the page's locale when omitted; null when the body brings its own (the invoice view). */
  heading?: string | null;
  body: Raw;
  head?: Raw;
  status?: number;
}

/** Sends a signed-in portal page for this request. */
export type RenderPortal = (req: FastifyRequest, reply: FastifyReply, o: PortalRender) => Promise<FastifyReply>;

/** A signed-in portal page: header (with the language switch), Billing tabs, the body, and the assistant widget. */
export function portalPage(o: PortalPageOptions): string {
  const l = o.locale;
  const who = o.session.userName ? `${o.session.userName} · ${o.accountName}` : o.accountName;
  const body = html`<a class="skip" href="#content">${t(l, 'portal.layout.skip')}</a>
<header class="site">
  <div class="site-inner">
    <a class="logo" href="/portal/billing">${t(l, 'portal.layout.brand')}</a>
    <nav aria-label="${t(l, 'portal.layout.siteNav')}">
      <ul><li><a href="/portal/billing" aria-current="page">${t(l, 'portal.layout.billing')}</a></li></ul>
    </nav>
    <div class="who">
      <span>${who} (${o.session.accountId})</span>
      ${languageSwitch(l, o.formToken, o.path)}
      <form method="post" action="/portal/sign-out"><button class="link-btn" type="submit">${t(l, 'portal.layout.signOut')}</button></form>
    </div>
  </div>
</header>
<main id="content" class="portal">
  ${o.heading ? html`<h1>${o.heading}</h1>` : ''}
  <nav class="tabs" aria-label="${t(l, 'portal.layout.sections')}">
    ${TABS.map((tab) => html`<a href="${tab.href}"${raw(tab.id === o.tab ? ' aria-current="page"' : '')}>${t(l, tab.label)}</a>`)}
  </nav>
  ${o.body}
</main>
<footer class="site-foot">${t(l, 'portal.layout.footer')}</footer>
<script src="/widget.js" data-token="${o.session.token}" data-locale="${l}" defer></script>`;
  return page(t(l, 'portal.layout.title', { page: o.title }), body, { locale: l, head: html`${FAVICON}<style>${raw(PORTAL_CSS)}</style>${o.head ?? raw('')}` });
}
