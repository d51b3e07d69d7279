import { formatDate } from '../../format/dates.js';
import { FIXTURE_ACCOUNTS } from '../../billing/fixture.js';
import { OPENING_FEE_CENTS } from '../../billing/ledger.js';
import { formatMoney } from '../../format/money.js';
import type { Balance, CreditItem, InvoiceSummary, Paged, PaymentItem } from '../../billing/queries.js';
import { html, raw, type Raw } from '../../format/html.js';
import { page } from '../page.js';
import { FAVICON } from './layout.js';

/** The bodies of the portal pages (layout in layout.ts). Every value goes through html``. */

export const invoicePath = (n: string) => `/portal/billing/invoices/${encodeURIComponent(n)}`;

function status(s: { status: string; statusLabel: string }): Raw {
  return html`<span class="status status-${s.status}">${s.statusLabel}</span>`;
}

/** Pay Now: the signed link to the secure payment page; the visible text stays "Pay Now". */
function payNow(number: string, payUrl: string | null): Raw {
  return payUrl ? html`<a class="button small" href="${payUrl}">Pay Now<span class="sr-only"> invoice ${number}</span></a>` : html`<span class="muted">—</span>`;
}

function pager(base: string, p: Paged<unknown>, noun: string): Raw {
  const prev = p.offset > 0 ? Math.max(0, p.offset - p.limit) : null;
  if (prev === null && p.nextOffset === null) return raw('');
  return html`<nav class="pager" aria-label="${noun} pages">
    ${prev !== null ? html`<a href="${base}?offset=${prev}">Newer ${noun}</a>` : ''}
    ${p.nextOffset !== null ? html`<a href="${base}?offset=${p.nextOffset}">Older ${noun}</a>` : ''}
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

function invoiceRow(i: InvoiceRow): Raw {
  return html`<tr role="row" data-invoice="${i.number}">
      ${rowHead(html`<a href="${invoicePath(i.number)}">${i.number}</a>`)}
      ${cell('Date', formatDate(i.issuedOn))}
      ${cell('Due', formatDate(i.dueOn))}
      ${cell('Amount', formatMoney(i.totalCents, i.currency), 'num')}
      ${cell('Balance due', formatMoney(i.amountDueCents, i.currency), 'num key')}
      ${html`<td role="cell" class="top" data-col="status">${status(i)}</td>`}
      ${cell(null, payNow(i.number, i.payUrl), i.payUrl ? 'wide pay' : 'wide pay-none')}
    </tr>`;
}

export function invoiceTable(rows: InvoiceRow[], caption: string): Raw {
  if (rows.length === 0) return html`<p class="empty">No invoices to show.</p>`;
  const head = html`${col('Invoice')}${col('Date')}${col('Due')}${col('Amount', 'num')}${col('Balance due', 'num')}${col('Status')}${col(html`<span class="sr-only">Pay</span>`)}`;
  return stackedTable('invoices', caption, head, rows.map(invoiceRow));
}

export function dashboardBody(b: Balance, outstanding: InvoiceRow[], openingFeeDue: boolean): Raw {
  const c = b.currency;
  const next = b.nextDueOn ? outstanding.filter((i) => i.dueOn === b.nextDueOn) : [];
  return html`<h2 id="summary-title" class="sr-only">Account summary</h2>
<dl class="summary" aria-labelledby="summary-title">
  <div class="stat" data-stat="balance">
    <dt>Current balance</dt>
    <dd><span class="value">${formatMoney(b.balanceCents, c)}</span>
    <span class="note">${formatMoney(b.outstandingCents, c)} outstanding on ${b.openCount} open ${b.openCount === 1 ? 'invoice' : 'invoices'}${
      b.unappliedCreditsCents > 0n ? `, less ${formatMoney(b.unappliedCreditsCents, c)} of unapplied credit` : ''
    }</span></dd>
  </div>
  <div class="stat${b.overdueCents > 0n ? ' stat-bad' : ''}" data-stat="overdue">
    <dt>Overdue</dt>
    <dd><span class="value">${formatMoney(b.overdueCents, c)}</span>
    <span class="note">${b.overdueCount === 0 ? 'Nothing is past due' : `${b.overdueCount} ${b.overdueCount === 1 ? 'invoice' : 'invoices'} past due`}</span></dd>
  </div>
  <div class="stat" data-stat="next-due">
    <dt>Next due</dt>
    <dd><span class="value">${b.nextDueOn ? formatDate(b.nextDueOn) : 'None'}</span>
    <span class="note">${
      next.length > 0 ? next.map((i) => `${i.number}: ${formatMoney(i.amountDueCents, i.currency)}`).join(', ') : 'No upcoming due dates'
    }</span></dd>
  </div>
</dl>
${openingFeeDue ? html`<p class="notice">Your first invoice includes the one-time ${formatMoney(OPENING_FEE_CENTS)} account opening fee. You can pay it by credit card with Pay Now.</p>` : ''}
<h2>Outstanding invoices</h2>
${invoiceTable(outstanding, 'Outstanding invoices, most recent first')}
<p class="muted">All amounts in ${c}, as of ${formatDate(b.asOf)}. Pay Now opens our secure payment page.</p>`;
}

export function invoicesBody(rows: InvoiceRow[], p: Paged<unknown>): Raw {
  return html`<h2 class="sr-only">Invoices</h2>
${invoiceTable(rows, 'All invoices, most recent first')}
${pager('/portal/billing/invoices', p, 'invoices')}`;
}

function paymentRow(x: PaymentItem): Raw {
  const applied = html`${x.allocations.map((a, i) => html`${i > 0 ? ', ' : ''}<a href="${invoicePath(a.invoiceNumber)}">${a.invoiceNumber}</a> (${formatMoney(a.amountCents, x.currency)})`)}`;
  return html`<tr role="row" data-payment="${x.number}">
    ${rowHead(x.number)}${cell('Date', formatDate(x.receivedOn))}${cell(null, formatMoney(x.amountCents, x.currency), 'num top key')}${cell('Method', x.method)}
    ${cell('Applied to', applied, 'wide')}
  </tr>`;
}

export function paymentsBody(items: PaymentItem[], p: Paged<unknown>): Raw {
  const head = html`${col('Payment')}${col('Date')}${col('Amount', 'num')}${col('Method')}${col('Applied to')}`;
  const body = items.length === 0 ? html`<p class="empty">No payments yet.</p>` : stackedTable('payments', 'Payments, most recent first', head, items.map(paymentRow));
  return html`<h2 class="sr-only">Payments</h2>${body}${pager('/portal/billing/payments', p, 'payments')}`;
}

function creditRow(x: CreditItem): Raw {
  const applied =
    x.applications.length === 0
      ? html`<span class="muted">Not yet applied</span>`
      : html`${x.applications.map((a, i) => html`${i > 0 ? ', ' : ''}<a href="${invoicePath(a.invoiceNumber)}">${a.invoiceNumber}</a> on ${formatDate(a.appliedOn)}`)}`;
  return html`<tr role="row" data-credit="${x.number}">
    ${rowHead(x.number)}${cell('Issued', formatDate(x.issuedOn))}${cell(null, formatMoney(x.amountCents, x.currency), 'num top key')}
    ${cell('Applied', formatMoney(x.appliedCents, x.currency), 'num')}${cell('Available', formatMoney(x.availableCents, x.currency), 'num key')}${cell('Reason', x.reason, 'wide')}
    ${cell('Applied to', applied, 'wide')}
  </tr>`;
}

export function creditsBody(items: CreditItem[], p: Paged<unknown>): Raw {
  const head = html`${col('Credit memo')}${col('Issued')}${col('Amount', 'num')}${col('Applied', 'num')}${col('Available', 'num')}${col('Reason')}${col('Applied to')}`;
  const body = items.length === 0 ? html`<p class="empty">No credit memos.</p>` : stackedTable('credits', 'Credit memos, most recent first', head, items.map(creditRow));
  return html`<h2 class="sr-only">Credits</h2>${body}${pager('/portal/billing/credits', p, 'credits')}
<p class="muted">Available credit is applied to your invoices by our billing team; it is already counted in your current balance.</p>`;
}

export function invoiceActions(number: string, payUrl: string | null): Raw {
  return html`<nav class="crumbs" aria-label="Breadcrumb"><ol>
  <li><a href="/portal/billing">Billing</a></li><li><a href="/portal/billing/invoices">Invoices</a></li><li aria-current="page">${number}</li>
</ol></nav>
<div class="actions">
  ${payUrl ? html`<a class="button" href="${payUrl}">Pay Now<span class="sr-only"> invoice ${number}</span></a>` : ''}
  <a class="button secondary" href="${invoicePath(number)}/pdf" download="${number}.pdf">Download PDF<span class="sr-only"> of invoice ${number}</span></a>
</div>`;
}

export function notFoundBody(what: string): Raw {
  return html`<h2>${what} not found</h2><p>It may belong to another account, or the number may be mistyped. See <a href="/portal/billing/invoices">all invoices</a>.</p>`;
}

/** Development sign-in: the fixture accounts, one button each. */
export function signInPage(next: string | null, current: string | null): string {
  return page(
    'Sign in · Reseller Portal',
    html`<main><div class="panel">
  <h1>Sign in to the Reseller Portal</h1>
  <p class="notice">Development only: pick a demo account. In production, the Reseller Portal signs users in and hands the assistant a token.</p>
  ${current ? html`<p>You are signed in as ${current}. Choose an account to switch.</p>` : ''}
  <ul class="accounts">
    ${FIXTURE_ACCOUNTS.map(
      (a) => html`<li><form method="post" action="/portal/sign-in">
      <input type="hidden" name="account" value="${a.id}">
      ${next ? html`<input type="hidden" name="next" value="${next}">` : ''}
      <button class="button" type="submit" data-account="${a.id}">Sign in as ${a.userName}, ${a.name} (${a.id})</button>
    </form></li>`,
    )}
  </ul>
</div></main>`,
    { head: html`${FAVICON}<style>.accounts { list-style:none; padding:0; display:grid; gap:.75rem; } .accounts form { margin:0; }</style>` },
  );
}

export function signedOutPage(): string {
  return page(
    'Signed out · Reseller Portal',
    html`<main><div class="panel"><h1>Please sign in</h1><p>Your portal session has ended. Sign in to the Reseller Portal again to see your billing.</p></div></main>`,
  );
}
