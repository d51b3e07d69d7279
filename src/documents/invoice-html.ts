import { dateTimeFormatter, formatDate } from '../format/dates.js';
import { formatMoney } from '../format/money.js';
import type { InvoiceDetail } from '../billing/queries.js';
import { html, raw, type Raw } from '../format/html.js';

/**
 * The invoice document: ONE template for the PDF and the portal's invoice view. Every value is
 * escaped by the html`` template (memos, descriptions and names are user-controlled: see
 * IN7654323). Self-contained: inline CSS, no script, no external resource, and a CSP that forbids
 * loading anything anyway.
 */

export interface Issuer {
  name: string;
  /** Lines under the name (department, address, contact). */
  lines: readonly string[];
}

export const RANDMAR: Issuer = { name: 'Randmar', lines: ['Reseller Portal · Billing'] };

export interface InvoiceHtmlOptions {
  /** The signed link to the invoice's page (view and pay): `links.url({ purpose: 'pay', ... })`. */
  payUrl: string | null;
  /** When the link stops working (shown beside it). */
  payUrlExpiresAt?: Date | null;
  issuer?: Issuer;
  /** Printed in the footer ("Generated ..."); omit for a stable document. */
  generatedAt?: Date | null;
  /** Time zone for generatedAt and the link expiry. */
  timeZone?: string;
}

/** Memos are free text: cap what a document shows. */
export const MEMO_MAX_CHARS = 2000;

export const INVOICE_CSS = `
  @page { size: Letter; margin: 14mm 14mm 16mm; }
  .invoice { --ink:#1b2430; --muted:#5b6673; --line:#d9dee4; --brand:#0b5cab; --ok:#1e7b34; --warn:#a05a00; --bad:#b42318;
    color: var(--ink); font: 10.5pt/1.45 "Liberation Sans", Arial, Helvetica, "DejaVu Sans", sans-serif; max-width: 190mm; margin: 0 auto; }
  .invoice * { box-sizing: border-box; }
  .invoice header.top { display: flex; justify-content: space-between; align-items: flex-start; border-bottom: 3px solid var(--brand); padding-bottom: 8px; }
  .invoice .brand { font-size: 20pt; font-weight: 700; color: var(--brand); letter-spacing: .5px; }
  .invoice .issuer div.sub, .invoice .muted { color: var(--muted); font-size: 9pt; }
  .invoice .doc { text-align: right; }
  .invoice h1 { font-size: 16pt; margin: 0 0 4px; }
  .invoice h2 { font-size: 10pt; text-transform: uppercase; letter-spacing: .6px; color: var(--muted); margin: 0 0 4px; }
  .invoice .parties { display: flex; gap: 24px; margin: 14px 0; }
  .invoice .parties > div { flex: 1; }
  .invoice dl.facts { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 0; }
  .invoice dl.facts dt { color: var(--muted); }
  .invoice dl.facts dd { margin: 0; font-weight: 600; }
  .invoice table { width: 100%; border-collapse: collapse; margin: 8px 0 14px; }
  .invoice th, .invoice td { text-align: left; padding: 5px 6px; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
  .invoice thead th { background: #f1f4f8; font-size: 8.5pt; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); white-space: nowrap; overflow-wrap: normal; }
  .invoice td.ref { white-space: nowrap; }
  .invoice td.desc { width: 55%; }
  .invoice .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
  .invoice tfoot th { text-align: right; font-weight: 600; }
  .invoice tfoot tr.due th, .invoice tfoot tr.due td { font-size: 12pt; border-top: 2px solid var(--ink); border-bottom: 0; }
  .invoice .status { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 9pt; font-weight: 700; border: 1px solid currentColor; }
  .invoice .status-paid { color: var(--ok); } .invoice .status-due, .invoice .status-partially_paid { color: var(--warn); }
  .invoice .status-overdue { color: var(--bad); } .invoice .status-void { color: #555; }
  .invoice .pay { border: 1px solid var(--line); border-left: 4px solid var(--brand); padding: 8px 10px; margin: 10px 0; page-break-inside: avoid; }
  .invoice .pay a { color: var(--brand); overflow-wrap: anywhere; word-break: break-all; }
  .invoice .memo { border: 1px dashed var(--line); padding: 6px 10px; white-space: pre-wrap; overflow-wrap: anywhere; }
  .invoice footer { margin-top: 18px; border-top: 1px solid var(--line); padding-top: 6px; color: var(--muted); font-size: 8.5pt; }
  /* Screens narrower than the sheet (the portal's invoice view on a phone); the PDF (print) never
     matches. The line and payment tables become one block per row, labelled from CSS so the
     document's markup stays the PDF's. */
  @media screen and (max-width: 44rem) {
    .invoice { font-size: 11pt; }
    .invoice header.top { flex-wrap: wrap; gap: 8px 16px; }
    .invoice .doc { text-align: left; }
    .invoice .parties { flex-direction: column; gap: 12px; }
    .invoice table.lines thead, .invoice .applied thead { position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    .invoice table.lines, .invoice table.lines tbody, .invoice table.lines tfoot, .invoice table.lines td, .invoice table.lines th,
    .invoice .applied table, .invoice .applied tbody, .invoice .applied td { display: block; }
    .invoice table.lines tbody tr, .invoice .applied tbody tr { display: grid; gap: 2px 10px; padding: 8px 0; border-bottom: 1px solid var(--line); }
    .invoice table.lines tbody tr { grid-template-columns: minmax(0, 1.4fr) minmax(0, .6fr) minmax(0, 1fr) minmax(0, 1fr); }
    .invoice .applied tbody tr { grid-template-columns: minmax(0, 1fr) auto; }
    .invoice table.lines tbody td, .invoice .applied tbody td { border: 0; padding: 0; width: auto; }
    .invoice table.lines td.desc { grid-column: 1 / -1; font-weight: 600; }
    .invoice table.lines tbody td:not(.desc)::before { display: block; color: var(--muted); font-size: 8.5pt; }
    .invoice table.lines tbody td:nth-child(2)::before { content: "Reference"; }
    .invoice table.lines tbody td:nth-child(3)::before { content: "Qty"; }
    .invoice table.lines tbody td:nth-child(4)::before { content: "Unit price"; }
    .invoice table.lines tbody td:nth-child(5)::before { content: "Amount"; }
    .invoice table.lines td.ref { white-space: normal; overflow-wrap: anywhere; }
    .invoice table.lines tfoot tr { display: flex; justify-content: space-between; }
    .invoice table.lines tfoot th { flex: 1; }
    .invoice table.lines tfoot th, .invoice table.lines tfoot td { border-bottom: 0; }
    .invoice .applied tbody td:nth-child(1) { font-weight: 600; }
    .invoice .applied tbody td:nth-child(2), .invoice .applied tbody td:nth-child(3) { color: var(--muted); grid-column: 1; }
    .invoice .applied tbody td:nth-child(4) { grid-column: 2; grid-row: 1; }
  }
`;

/** "Nov 25, 2026, 7:03 a.m. EST" in the given time zone. */
function dateTime(d: Date, timeZone: string): string {
  return dateTimeFormatter(timeZone)(d);
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** The invoice as an HTML fragment (for embedding in a portal page with INVOICE_CSS). */
export function invoiceBody(inv: InvoiceDetail, opts: InvoiceHtmlOptions): Raw {
  const c = inv.currency;
  const m = (cents: bigint) => formatMoney(cents, c);
  const issuer = opts.issuer ?? RANDMAR;
  const tz = opts.timeZone ?? 'America/Toronto';
  const payable = inv.amountDueCents > 0n && inv.status !== 'void';
  // Only http(s) links are printed as links (ours always are).
  const link = opts.payUrl && /^https?:\/\//i.test(opts.payUrl) ? opts.payUrl : null;

  const lines = inv.lines.map(
    (l) => html`<tr>
        <td class="desc">${l.description}${l.kind === 'opening_fee' ? html` <span class="muted">(one-time)</span>` : ''}</td>
        <td class="ref">${l.reference ?? ''}</td>
        <td class="num">${l.quantity}</td>
        <td class="num">${m(l.unitCents)}</td>
        <td class="num">${m(l.amountCents)}</td>
      </tr>`,
  );
  const settled = [
    ...inv.payments.map((p) => html`<tr><td>Payment ${p.number}</td><td>${formatDate(p.receivedOn)}</td><td>${p.method}</td><td class="num">−${m(p.amountCents)}</td></tr>`),
    ...inv.credits.map((x) => html`<tr><td>Credit memo ${x.number}</td><td>${formatDate(x.appliedOn)}</td><td>${x.reason}</td><td class="num">−${m(x.amountCents)}</td></tr>`),
  ];

  return html`<main class="invoice">
  <header class="top">
    <div class="issuer">
      <div class="brand">${issuer.name}</div>
      ${issuer.lines.map((l) => html`<div class="sub">${l}</div>`)}
    </div>
    <div class="doc">
      <h1>Invoice ${inv.number}</h1>
      <span class="status status-${inv.status}">${inv.statusLabel}</span>
    </div>
  </header>

  <section class="parties">
    <div>
      <h2>Bill to</h2>
      <div><strong>${inv.accountName}</strong></div>
      <div>Account ${inv.accountId}</div>
    </div>
    <div>
      <dl class="facts">
        <dt>Invoice number</dt><dd>${inv.number}</dd>
        <dt>Issued</dt><dd>${formatDate(inv.issuedOn)}</dd>
        <dt>Due</dt><dd>${formatDate(inv.dueOn)}</dd>
        <dt>Status</dt><dd>${inv.statusLabel}</dd>
        <dt>Currency</dt><dd>${c}</dd>
      </dl>
    </div>
  </section>

  <table class="lines">
    <thead><tr><th scope="col">Description</th><th scope="col">Reference</th><th scope="col" class="num">Qty</th><th scope="col" class="num">Unit price</th><th scope="col" class="num">Amount</th></tr></thead>
    <tbody>${lines}</tbody>
    <tfoot>
      <tr><th colspan="4">Total</th><td class="num">${m(inv.totalCents)}</td></tr>
      ${inv.paidCents > 0n ? html`<tr><th colspan="4">Payments applied</th><td class="num">−${m(inv.paidCents)}</td></tr>` : ''}
      ${inv.creditedCents > 0n ? html`<tr><th colspan="4">Credits applied</th><td class="num">−${m(inv.creditedCents)}</td></tr>` : ''}
      <tr class="due"><th colspan="4">Amount due (${c})</th><td class="num"><strong>${m(inv.amountDueCents)}</strong></td></tr>
    </tfoot>
  </table>

  ${
    settled.length > 0
      ? html`<section class="applied">
    <h2>Payments and credits applied</h2>
    <table><thead><tr><th scope="col">Item</th><th scope="col">Date</th><th scope="col">Method / reason</th><th scope="col" class="num">Amount</th></tr></thead>
    <tbody>${settled}</tbody></table>
  </section>`
      : ''
  }

  ${
    payable
      ? html`<section class="pay">
    <h2>Pay online</h2>
    <div><strong>${m(inv.amountDueCents)}</strong> due ${formatDate(inv.dueOn)}${inv.status === 'overdue' ? ' (overdue)' : ''}.
    ${link ? html`Pay securely at <a href="${link}">${link}</a>` : html`Pay from Billing → Invoices in the Reseller Portal (Pay Now).`}</div>
    <div class="muted">Card details are only ever entered on our secure payment page; we never ask for them by email or chat.${
      link && opts.payUrlExpiresAt ? ` This link works until ${dateTime(opts.payUrlExpiresAt, tz)}; after that, open the invoice from Billing → Invoices in the portal.` : ''
    }</div>
  </section>`
      : html`<section class="pay">
    <h2>Nothing to pay</h2>
    <div>${inv.status === 'void' ? 'This invoice is void.' : 'This invoice is paid in full.'}${link ? html` View it online at <a href="${link}">${link}</a>` : ''}</div>
  </section>`
  }

  ${inv.memo ? html`<section><h2>Memo</h2><div class="memo">${truncate(inv.memo, MEMO_MAX_CHARS)}</div></section>` : ''}

  <footer>
    Questions about this invoice? Open it from Billing → Invoices in the Reseller Portal, or ask the Billing Assistant.<br>
    ${issuer.name} · Invoice ${inv.number} · ${inv.accountName} (${inv.accountId})${opts.generatedAt ? ` · Generated ${dateTime(opts.generatedAt, tz)}` : ''}
  </footer>
</main>`;
}

/** The invoice as a complete, self-contained HTML document (the PDF's source). */
export function renderInvoiceHtml(inv: InvoiceDetail, opts: InvoiceHtmlOptions): string {
  const issuer = opts.issuer ?? RANDMAR;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Invoice ${inv.number} · ${inv.accountName} · ${issuer.name}</title>
<style>${raw(INVOICE_CSS)}</style>
</head>
<body>
${invoiceBody(inv, opts)}
</body>
</html>`.html;
}
