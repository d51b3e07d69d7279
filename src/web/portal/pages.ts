import { formatDate } from '../../format/dates.js';
import { FIXTURE_ACCOUNTS } from '../../billing/fixture.js';
import { OPENING_FEE_CENTS } from '../../billing/ledger.js';
import { formatMoney } from '../../format/money.js';
import type { Balance, CreditItem, InvoiceSummary, Paged, PaymentItem } from '../../billing/queries.js';
import { html, raw, type Raw } from '../../format/html.js';
import { statusLabel, t, type Locale } from '../../i18n/index.js';
import { page, rich } from '../page.js';
import { FAVICON } from './layout.js';

/** The bodies of the portal pages (layout in layout.ts), in the page's locale. Every value goes through html``. */

export const invoicePath = (n: string) => `/portal/billing/invoices/${encodeURIComponent(n)}`;

function status(s: { status: string; partiallyPaid: boolean }, locale: Locale): Raw {
  return html`<span class="status status-${s.status}">${statusLabel(locale, s.status, s.partiallyPaid)}</span>`;
}

/** Pay Now: the signed link to the secure payment page (the screen-reader text names the invoice). */
function payNow(number: string, payUrl: string | null, locale: Locale): Raw {
  return payUrl
    ? html`<a class="button small" href="${payUrl}">${t(locale, 'portal.invoices.payNow')}<span class="sr-only"> ${t(locale, 'portal.invoices.payNowFor', { number })}</span></a>`
    : html`<span class="muted">—</span>`;
}

/** A list's pager: its label and its two links, by list (each language words them its own way). */
const PAGERS = {
  invoices: { base: '/portal/billing/invoices', label: 'portal.invoices.pages', newer: 'portal.invoices.newer', older: 'portal.invoices.older' },
  payments: { base: '/portal/billing/payments', label: 'portal.payments.pages', newer: 'portal.payments.newer', older: 'portal.payments.older' },
  credits: { base: '/portal/billing/credits', label: 'portal.credits.pages', newer: 'portal.credits.newer', older: 'portal.credits.older' },
} as const;

function pager(list: keyof typeof PAGERS, p: Paged<unknown>, locale: Locale): Raw {
  const { base, label, newer, older } = PAGERS[list];
  const prev = p.offset > 0 ? Math.max(0, p.offset - p.limit) : null;
  if (prev === null && p.nextOffset === null) return raw('');
  return html`<nav class="pager" aria-label="${t(locale, label)}">
    ${prev !== null ? html`<a href="${base}?offset=${prev}">${t(locale, newer)}</a>` : ''}
    ${p.nextOffset !== null ? html`<a href="${base}?offset=${p.nextOffset}">${t(locale, older)}</a>` : ''}
  </nav>`;
}

export interface InvoiceRow extends InvoiceSummary {
  payUrl: string | null;
}

/**
 * A table that phones show as one card per row (PORTAL_CSS). The roles repeat the elements' own:
 * Safari forgets a table's semantics once its parts are display:block/grid. `cls` places a cell on
 * the phone card: "top" (top right, beside the row's name), "wide" (the whole width), "key" (bold).
 */
export function stackedTable(name: string, caption: string, head: Raw, rows: Raw[]): Raw {
  return html`<div class="table-wrap"><table role="table" data-table="${name}">
  <caption class="sr-only">${caption}</caption>
  <thead role="rowgroup"><tr role="row">${head}</tr></thead>
  <tbody role="rowgroup">${rows}</tbody>
</table></div>`;
}

/** A column header of a stacked table. */
export function col(label: string | Raw, cls = ''): Raw {
  return html`<th scope="col" role="columnheader"${cls ? html` class="${cls}"` : ''}>${label}</th>`;
}

/** A cell of a stacked table; `label` is shown above the value on phones (null: no label). */
export function cell(label: string | null, body: Raw | string, cls = ''): Raw {
  return html`<td role="cell"${cls ? html` class="${cls}"` : ''}${label ? html` data-label="${label}"` : ''}>${body}</td>`;
}

/** The row's name (its first cell). */
export function rowHead(body: Raw | string, cls = ''): Raw {
  return html`<th scope="row" role="rowheader"${cls ? html` class="${cls}"` : ''}>${body}</th>`;
}

function invoiceRow(i: InvoiceRow, l: Locale): Raw {
  return html`<tr role="row" data-invoice="${i.number}">
      ${rowHead(html`<a href="${invoicePath(i.number)}">${i.number}</a>`)}
      ${cell(t(l, 'portal.invoices.date'), formatDate(i.issuedOn, l))}
      ${cell(t(l, 'portal.invoices.due'), formatDate(i.dueOn, l))}
      ${cell(t(l, 'portal.invoices.amount'), formatMoney(i.totalCents, i.currency, l), 'num')}
      ${cell(t(l, 'portal.invoices.balanceDue'), formatMoney(i.amountDueCents, i.currency, l), 'num key')}
      ${html`<td role="cell" class="top" data-col="status">${status(i, l)}</td>`}
      ${cell(null, payNow(i.number, i.payUrl, l), i.payUrl ? 'wide pay' : 'wide pay-none')}
    </tr>`;
}

export function invoiceTable(rows: InvoiceRow[], caption: string, l: Locale): Raw {
  if (rows.length === 0) return html`<p class="empty">${t(l, 'portal.invoices.empty')}</p>`;
  const head = html`${col(t(l, 'portal.invoices.invoice'))}${col(t(l, 'portal.invoices.date'))}${col(t(l, 'portal.invoices.due'))}${col(
    t(l, 'portal.invoices.amount'),
    'num',
  )}${col(t(l, 'portal.invoices.balanceDue'), 'num')}${col(t(l, 'portal.invoices.status'))}${col(html`<span class="sr-only">${t(l, 'portal.invoices.pay')}</span>`)}`;
  return stackedTable('invoices', caption, head, rows.map((r) => invoiceRow(r, l)));
}

export function dashboardBody(b: Balance, outstanding: InvoiceRow[], openingFeeDue: boolean, l: Locale): Raw {
  const c = b.currency;
  const money = (cents: bigint, currency = c) => formatMoney(cents, currency, l);
  const next = b.nextDueOn ? outstanding.filter((i) => i.dueOn === b.nextDueOn) : [];
  const balanceNote =
    b.unappliedCreditsCents > 0n
      ? t(l, 'portal.dashboard.balanceNoteCredit', { amount: money(b.outstandingCents), count: b.openCount, credit: money(b.unappliedCreditsCents) })
      : t(l, 'portal.dashboard.balanceNote', { amount: money(b.outstandingCents), count: b.openCount });
  return html`<h2 id="summary-title" class="sr-only">${t(l, 'portal.dashboard.summary')}</h2>
<dl class="summary" aria-labelledby="summary-title">
  <div class="stat" data-stat="balance">
    <dt>${t(l, 'portal.dashboard.balance')}</dt>
    <dd><span class="value">${money(b.balanceCents)}</span>
    <span class="note">${balanceNote}</span></dd>
  </div>
  <div class="stat${b.overdueCents > 0n ? ' stat-bad' : ''}" data-stat="overdue">
    <dt>${t(l, 'portal.dashboard.overdue')}</dt>
    <dd><span class="value">${money(b.overdueCents)}</span>
    <span class="note">${b.overdueCount === 0 ? t(l, 'portal.dashboard.overdueNone') : t(l, 'portal.dashboard.overdueNote', { count: b.overdueCount })}</span></dd>
  </div>
  <div class="stat" data-stat="next-due">
    <dt>${t(l, 'portal.dashboard.nextDue')}</dt>
    <dd><span class="value">${b.nextDueOn ? formatDate(b.nextDueOn, l) : t(l, 'portal.dashboard.nextDueNone')}</span>
    <span class="note">${
      next.length > 0
        ? next.map((i) => t(l, 'portal.dashboard.nextDueItem', { number: i.number, amount: money(i.amountDueCents, i.currency) })).join(', ')
        : t(l, 'portal.dashboard.nextDueNoneNote')
    }</span></dd>
  </div>
</dl>
${openingFeeDue ? html`<p class="notice">${t(l, 'portal.dashboard.openingFee', { amount: money(OPENING_FEE_CENTS, 'CAD') })}</p>` : ''}
<h2>${t(l, 'portal.dashboard.outstanding')}</h2>
${invoiceTable(outstanding, t(l, 'portal.dashboard.outstandingCaption'), l)}
<p class="muted">${t(l, 'portal.dashboard.asOf', { currency: c, date: formatDate(b.asOf, l) })}</p>`;
}

export function invoicesBody(rows: InvoiceRow[], p: Paged<unknown>, l: Locale): Raw {
  return html`<h2 class="sr-only">${t(l, 'portal.tabs.invoices')}</h2>
${invoiceTable(rows, t(l, 'portal.invoices.caption'), l)}
${pager('invoices', p, l)}`;
}

/** Payment methods as stored (src/billing/ops/schemas.ts PAYMENT_METHODS), as people read them; any other is shown as stored. */
const METHODS: Record<string, string> = {
  'Credit card': 'portal.payments.methods.creditCard',
  Cheque: 'portal.payments.methods.cheque',
  'Wire transfer': 'portal.payments.methods.wire',
  EFT: 'portal.payments.methods.eft',
};

export function paymentMethod(method: string, l: Locale): string {
  const key = METHODS[method];
  return key ? t(l, key) : method;
}

function paymentRow(x: PaymentItem, l: Locale): Raw {
  const applied = html`${x.allocations.map(
    (a, i) => html`${i > 0 ? ', ' : ''}<a href="${invoicePath(a.invoiceNumber)}">${a.invoiceNumber}</a> (${formatMoney(a.amountCents, x.currency, l)})`,
  )}`;
  return html`<tr role="row" data-payment="${x.number}">
    ${rowHead(x.number)}${cell(t(l, 'portal.payments.date'), formatDate(x.receivedOn, l))}${cell(null, formatMoney(x.amountCents, x.currency, l), 'num top key')}${cell(
      t(l, 'portal.payments.method'),
      paymentMethod(x.method, l),
    )}
    ${cell(t(l, 'portal.payments.appliedTo'), applied, 'wide')}
  </tr>`;
}

export function paymentsBody(items: PaymentItem[], p: Paged<unknown>, l: Locale): Raw {
  const head = html`${col(t(l, 'portal.payments.payment'))}${col(t(l, 'portal.payments.date'))}${col(t(l, 'portal.payments.amount'), 'num')}${col(
    t(l, 'portal.payments.method'),
  )}${col(t(l, 'portal.payments.appliedTo'))}`;
  const body =
    items.length === 0
      ? html`<p class="empty">${t(l, 'portal.payments.empty')}</p>`
      : stackedTable('payments', t(l, 'portal.payments.caption'), head, items.map((x) => paymentRow(x, l)));
  return html`<h2 class="sr-only">${t(l, 'portal.tabs.payments')}</h2>${body}${pager('payments', p, l)}`;
}

function creditRow(x: CreditItem, l: Locale): Raw {
  const money = (cents: bigint) => formatMoney(cents, x.currency, l);
  const applied =
    x.applications.length === 0
      ? html`<span class="muted">${t(l, 'portal.credits.notApplied')}</span>`
      : html`${x.applications.map(
          (a, i) =>
            html`${i > 0 ? ', ' : ''}${rich(l, 'portal.credits.appliedOn', { invoice: html`<a href="${invoicePath(a.invoiceNumber)}">${a.invoiceNumber}</a>` }, { date: formatDate(a.appliedOn, l) })}`,
        )}`;
  return html`<tr role="row" data-credit="${x.number}">
    ${rowHead(x.number)}${cell(t(l, 'portal.credits.issued'), formatDate(x.issuedOn, l))}${cell(null, money(x.amountCents), 'num top key')}
    ${cell(t(l, 'portal.credits.applied'), money(x.appliedCents), 'num')}${cell(t(l, 'portal.credits.available'), money(x.availableCents), 'num key')}${cell(
      t(l, 'portal.credits.reason'),
      x.reason,
      'wide',
    )}
    ${cell(t(l, 'portal.credits.appliedTo'), applied, 'wide')}
  </tr>`;
}

export function creditsBody(items: CreditItem[], p: Paged<unknown>, l: Locale): Raw {
  const head = html`${col(t(l, 'portal.credits.memo'))}${col(t(l, 'portal.credits.issued'))}${col(t(l, 'portal.credits.amount'), 'num')}${col(
    t(l, 'portal.credits.applied'),
    'num',
  )}${col(t(l, 'portal.credits.available'), 'num')}${col(t(l, 'portal.credits.reason'))}${col(t(l, 'portal.credits.appliedTo'))}`;
  const body =
    items.length === 0
      ? html`<p class="empty">${t(l, 'portal.credits.empty')}</p>`
      : stackedTable('credits', t(l, 'portal.credits.caption'), head, items.map((x) => creditRow(x, l)));
  return html`<h2 class="sr-only">${t(l, 'portal.tabs.credits')}</h2>${body}${pager('credits', p, l)}
<p class="muted">${t(l, 'portal.credits.note')}</p>`;
}

export function invoiceActions(number: string, payUrl: string | null, l: Locale): Raw {
  return html`<nav class="crumbs" aria-label="${t(l, 'portal.invoice.breadcrumb')}"><ol>
  <li><a href="/portal/billing">${t(l, 'portal.layout.billing')}</a></li><li><a href="/portal/billing/invoices">${t(l, 'portal.tabs.invoices')}</a></li><li aria-current="page">${number}</li>
</ol></nav>
<div class="actions">
  ${
    payUrl
      ? html`<a class="button" href="${payUrl}">${t(l, 'portal.invoices.payNow')}<span class="sr-only"> ${t(l, 'portal.invoices.payNowFor', { number })}</span></a>`
      : ''
  }
  <a class="button secondary" href="${invoicePath(number)}/pdf" download="${number}.pdf">${t(l, 'portal.invoice.download')}<span class="sr-only"> ${t(
    l,
    'portal.invoice.downloadFor',
    { number },
  )}</span></a>
</div>`;
}

const NOT_FOUND = { account: 'portal.notFound.account', invoice: 'portal.notFound.invoice' } as const;

export function notFoundBody(what: keyof typeof NOT_FOUND, l: Locale): Raw {
  return html`<h2>${t(l, NOT_FOUND[what])}</h2><p>${rich(l, 'portal.notFound.text', {
    link: html`<a href="/portal/billing/invoices">${t(l, 'portal.notFound.allInvoices')}</a>`,
  })}</p>`;
}

/** Development sign-in: the fixture accounts, one button each. */
export function signInPage(next: string | null, current: string | null, l: Locale): string {
  return page(
    t(l, 'portal.signIn.title'),
    html`<main><div class="panel">
  <h1>${t(l, 'portal.signIn.heading')}</h1>
  <p class="notice">${t(l, 'portal.signIn.devNotice')}</p>
  ${current ? html`<p>${t(l, 'portal.signIn.current', { account: current })}</p>` : ''}
  <ul class="accounts">
    ${FIXTURE_ACCOUNTS.map(
      (a) => html`<li><form method="post" action="/portal/sign-in">
      <input type="hidden" name="account" value="${a.id}">
      ${next ? html`<input type="hidden" name="next" value="${next}">` : ''}
      <button class="button" type="submit" data-account="${a.id}">${t(l, 'portal.signIn.as', { user: a.userName, name: a.name, id: a.id })}</button>
    </form></li>`,
    )}
  </ul>
</div></main>`,
    { locale: l, head: html`${FAVICON}<style>.accounts { list-style:none; padding:0; display:grid; gap:.75rem; } .accounts form { margin:0; }</style>` },
  );
}

export function signedOutPage(l: Locale): string {
  return page(
    t(l, 'portal.signedOut.title'),
    html`<main><div class="panel"><h1>${t(l, 'portal.signedOut.heading')}</h1><p>${t(l, 'portal.signedOut.text')}</p></div></main>`,
    { locale: l },
  );
}
