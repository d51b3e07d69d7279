import { dateTimeFormatter, formatDate } from '../format/dates.js';
import { formatMoney } from '../format/money.js';
import type { InvoiceDetail } from '../billing/queries.js';
import { html, raw, type Raw } from '../format/html.js';
import { DEFAULT_LOCALE, statusLabel, t, translator, type Locale } from '../i18n/index.js';
import { richT } from './rich-text.js';

/**
 * The invoice document: ONE template for the PDF and the portal's invoice view. Every value is
 * escaped by the html`` template (memos, descriptions and names are user-controlled: see
 * IN7654323). Self-contained: inline CSS, no script, no external resource, and a CSP that forbids
 * loading anything anyway. Every word comes from the catalogue area `documents` in the requested
 * locale; money, dates and statuses are formatted for it.
 */

export interface Issuer {
  name: string;
  /** Lines under the name (department, address, contact). */
  lines: readonly string[];
}

/** The default issuer, its line in `locale`. */
export function randmar(locale: Locale = DEFAULT_LOCALE): Issuer {
  return { name: 'Randmar', lines: [t(locale, 'documents.invoice.issuerLine')] };
}

export const RANDMAR: Issuer = randmar();

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
  /** The language of the document (en-CA when absent). */
  locale?: Locale;
}

/** Memos are free text: cap what a document shows. */
export const MEMO_MAX_CHARS = 2000;

/** A CSS string literal (the labels the phone layout prints from CSS). */
function cssString(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&').replace(/</g, '\\3c ').replace(/\n/g, '\\a ')}"`;
}

/** The document's stylesheet; the phone layout labels the line columns from here, in `locale`. */
export function invoiceCss(locale: Locale = DEFAULT_LOCALE): string {
  const label = (key: string) => cssString(t(locale, key));
  return `
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
    .invoice table.lines tbody td:nth-child(2)::before { content: ${label('documents.invoice.reference')}; }
    .invoice table.lines tbody td:nth-child(3)::before { content: ${label('documents.invoice.quantity')}; }
    .invoice table.lines tbody td:nth-child(4)::before { content: ${label('documents.invoice.unitPrice')}; }
    .invoice table.lines tbody td:nth-child(5)::before { content: ${label('documents.invoice.amount')}; }
    .invoice table.lines td.ref { white-space: normal; overflow-wrap: anywhere; }
    .invoice table.lines tfoot tr { display: flex; justify-content: space-between; }
    .invoice table.lines tfoot th { flex: 1; }
    .invoice table.lines tfoot th, .invoice table.lines tfoot td { border-bottom: 0; }
    .invoice .applied tbody td:nth-child(1) { font-weight: 600; }
    .invoice .applied tbody td:nth-child(2), .invoice .applied tbody td:nth-child(3) { color: var(--muted); grid-column: 1; }
    .invoice .applied tbody td:nth-child(4) { grid-column: 2; grid-row: 1; }
  }
`;
}

/** The en-CA stylesheet. */
export const INVOICE_CSS = invoiceCss(DEFAULT_LOCALE);

/** "Nov 25, 2026, 7:03 a.m. EST" in the given time zone and locale. */
function dateTime(d: Date, timeZone: string, locale: Locale): string {
  return dateTimeFormatter(timeZone, locale)(d);
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * Payment methods as the billing system and the pay page record them (English words), shown in
 * the document's language; anything else is printed as recorded.
 */
const METHOD_KEYS: Record<string, string> = {
  'Credit card': 'documents.invoice.method.creditCard',
  Cheque: 'documents.invoice.method.cheque',
  'Wire transfer': 'documents.invoice.method.wire',
  EFT: 'documents.invoice.method.eft',
  'Sandbox checkout (no real payment)': 'documents.invoice.method.sandbox',
};

function methodLabel(method: string, locale: Locale): string {
  const key = Object.hasOwn(METHOD_KEYS, method) ? METHOD_KEYS[method] : undefined;
  return key ? t(locale, key) : method;
}

/** The invoice as an HTML fragment (for embedding in a portal page with invoiceCss(locale)). */
export function invoiceBody(inv: InvoiceDetail, opts: InvoiceHtmlOptions): Raw {
  const locale = opts.locale ?? DEFAULT_LOCALE;
  const tr = translator(locale);
  const c = inv.currency;
  const m = (cents: bigint) => formatMoney(cents, c, locale);
  const d = (iso: string) => formatDate(iso, locale);
  const issuer = opts.issuer ?? randmar(locale);
  const tz = opts.timeZone ?? 'America/Toronto';
  const status = statusLabel(locale, inv.status, inv.partiallyPaid);
  const payable = inv.amountDueCents > 0n && inv.status !== 'void';
  // Only http(s) links are printed as links (ours always are).
  const link = opts.payUrl && /^https?:\/\//i.test(opts.payUrl) ? opts.payUrl : null;
  const anchor = link ? html`<a href="${link}">${link}</a>` : null;

  const lines = inv.lines.map(
    (l) => html`<tr>
        <td class="desc">${l.description}${l.kind === 'opening_fee' ? html` <span class="muted">${tr('documents.invoice.oneTime')}</span>` : ''}</td>
        <td class="ref">${l.reference ?? ''}</td>
        <td class="num">${l.quantity}</td>
        <td class="num">${m(l.unitCents)}</td>
        <td class="num">${m(l.amountCents)}</td>
      </tr>`,
  );
  const settled = [
    ...inv.payments.map(
      (p) =>
        html`<tr><td>${tr('documents.invoice.payment', { number: p.number })}</td><td>${d(p.receivedOn)}</td><td>${methodLabel(p.method, locale)}</td><td class="num">−${m(p.amountCents)}</td></tr>`,
    ),
    ...inv.credits.map(
      (x) => html`<tr><td>${tr('documents.invoice.creditMemo', { number: x.number })}</td><td>${d(x.appliedOn)}</td><td>${x.reason}</td><td class="num">−${m(x.amountCents)}</td></tr>`,
    ),
  ];
  const dueKey = inv.status === 'overdue' ? 'documents.invoice.pay.dueOverdue' : 'documents.invoice.pay.due';
  const expires = link && opts.payUrlExpiresAt ? ` ${tr('documents.invoice.pay.linkExpires', { time: dateTime(opts.payUrlExpiresAt, tz, locale) })}` : '';
  const generated = opts.generatedAt ? ` · ${tr('documents.invoice.footer.generated', { time: dateTime(opts.generatedAt, tz, locale) })}` : '';

  return html`<main class="invoice">
  <header class="top">
    <div class="issuer">
      <div class="brand">${issuer.name}</div>
      ${issuer.lines.map((l) => html`<div class="sub">${l}</div>`)}
    </div>
    <div class="doc">
      <h1>${tr('documents.invoice.title', { number: inv.number })}</h1>
      <span class="status status-${inv.status}">${status}</span>
    </div>
  </header>

  <section class="parties">
    <div>
      <h2>${tr('documents.invoice.billTo')}</h2>
      <div><strong>${inv.accountName}</strong></div>
      <div>${tr('documents.invoice.account', { accountId: inv.accountId })}</div>
    </div>
    <div>
      <dl class="facts">
        <dt>${tr('documents.invoice.number')}</dt><dd>${inv.number}</dd>
        <dt>${tr('documents.invoice.issued')}</dt><dd>${d(inv.issuedOn)}</dd>
        <dt>${tr('documents.invoice.due')}</dt><dd>${d(inv.dueOn)}</dd>
        <dt>${tr('documents.invoice.status')}</dt><dd>${status}</dd>
        <dt>${tr('documents.invoice.currency')}</dt><dd>${c}</dd>
      </dl>
    </div>
  </section>

  <table class="lines">
    <thead><tr><th scope="col">${tr('documents.invoice.description')}</th><th scope="col">${tr('documents.invoice.reference')}</th><th scope="col" class="num">${tr('documents.invoice.quantity')}</th><th scope="col" class="num">${tr('documents.invoice.unitPrice')}</th><th scope="col" class="num">${tr('documents.invoice.amount')}</th></tr></thead>
    <tbody>${lines}</tbody>
    <tfoot>
      <tr><th colspan="4">${tr('documents.invoice.total')}</th><td class="num">${m(inv.totalCents)}</td></tr>
      ${inv.paidCents > 0n ? html`<tr><th colspan="4">${tr('documents.invoice.paymentsApplied')}</th><td class="num">−${m(inv.paidCents)}</td></tr>` : ''}
      ${inv.creditedCents > 0n ? html`<tr><th colspan="4">${tr('documents.invoice.creditsApplied')}</th><td class="num">−${m(inv.creditedCents)}</td></tr>` : ''}
      <tr class="due"><th colspan="4">${tr('documents.invoice.amountDue', { currency: c })}</th><td class="num"><strong>${m(inv.amountDueCents)}</strong></td></tr>
    </tfoot>
  </table>

  ${
    settled.length > 0
      ? html`<section class="applied">
    <h2>${tr('documents.invoice.settled')}</h2>
    <table><thead><tr><th scope="col">${tr('documents.invoice.item')}</th><th scope="col">${tr('documents.invoice.date')}</th><th scope="col">${tr('documents.invoice.methodReason')}</th><th scope="col" class="num">${tr('documents.invoice.amount')}</th></tr></thead>
    <tbody>${settled}</tbody></table>
  </section>`
      : ''
  }

  ${
    payable
      ? html`<section class="pay">
    <h2>${tr('documents.invoice.pay.heading')}</h2>
    <div>${richT(locale, dueKey, { amount: html`<strong>${m(inv.amountDueCents)}</strong>`, date: d(inv.dueOn) })}
    ${anchor ? richT(locale, 'documents.invoice.pay.link', { link: anchor }) : tr('documents.invoice.pay.portal')}</div>
    <div class="muted">${tr('documents.invoice.pay.cardsNote')}${expires}</div>
  </section>`
      : html`<section class="pay">
    <h2>${tr('documents.invoice.nothing.heading')}</h2>
    <div>${tr(inv.status === 'void' ? 'documents.invoice.nothing.void' : 'documents.invoice.nothing.paid')}${anchor ? html` ${richT(locale, 'documents.invoice.nothing.view', { link: anchor })}` : ''}</div>
  </section>`
  }

  ${inv.memo ? html`<section><h2>${tr('documents.invoice.memo')}</h2><div class="memo">${truncate(inv.memo, MEMO_MAX_CHARS)}</div></section>` : ''}

  <footer>
    ${tr('documents.invoice.footer.questions')}<br>
    ${issuer.name} · ${tr('documents.invoice.title', { number: inv.number })} · ${inv.accountName} (${inv.accountId})${generated}
  </footer>
</main>`;
}

/** The invoice as a complete, self-contained HTML document (the PDF's source), in opts.locale. */
export function renderInvoiceHtml(inv: InvoiceDetail, opts: InvoiceHtmlOptions): string {
  const locale = opts.locale ?? DEFAULT_LOCALE;
  const issuer = opts.issuer ?? randmar(locale);
  return html`<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t(locale, 'documents.invoice.title', { number: inv.number })} · ${inv.accountName} · ${issuer.name}</title>
<style>${raw(invoiceCss(locale))}</style>
</head>
<body>
${invoiceBody(inv, { ...opts, locale })}
</body>
</html>`.html;
}
