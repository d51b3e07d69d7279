import { formatMoney } from '../format/money.js';
import type { InvoiceDetail } from '../billing/queries.js';
import { html, raw, type Raw } from '../format/html.js';
import { statusLabel, t, type Locale } from '../i18n/index.js';
import { keepLang, page, rich } from './page.js';
import type { ReturnStatus, SandboxSessionView } from '../payments/service.js';

/**
 * The pages of the payment flow, in the locale the request asked for (publicPageLocale: a `lang`
 * parameter, then Accept-Language). None has a card field: card details are only ever entered on
 * the processor's hosted page. No scripts either (the CSP forbids them); the return page refreshes
 * itself with a meta refresh while the payment is processing.
 */

/**
 * "Ask the Billing Assistant for a new payment link (for example …), or open the invoice from
 * Billing → Invoices…"; `expired`: "…for a new one…" (under "This payment link has expired").
 */
export function howToGetALink(locale: Locale, opts: { expired?: boolean } = {}): Raw {
  return rich(locale, opts.expired ? 'pay.link.expiredHelp' : 'pay.help.newLink', {
    example: t(locale, 'pay.help.example'),
    where: html`<strong>${t(locale, 'pay.help.where')}</strong>`,
    payNow: html`<strong>${t(locale, 'pay.help.payNow')}</strong>`,
  });
}

/** The shorter help of the error pages: ask for a new link, or open the invoice from the portal. */
export function newLinkHelp(locale: Locale): Raw {
  return rich(locale, 'pay.help.newLinkShort', { where: html`<strong>${t(locale, 'pay.help.where')}</strong>` });
}

export function panel(title: string, body: Raw): Raw {
  return html`<main><div class="panel"><h1>${title}</h1>${body}</div></main>`;
}

/** The invoice's status pill in `locale`. */
export function statusPill(inv: Pick<InvoiceDetail, 'status' | 'partiallyPaid'>, locale: Locale): Raw {
  return html`<span class="status status-${inv.status}">${statusLabel(locale, inv.status, inv.partiallyPaid)}</span>`;
}

function invoiceFacts(inv: InvoiceDetail, locale: Locale): Raw {
  const c = inv.currency;
  return html`<table>
  <tbody>
    <tr><th scope="row">${t(locale, 'pay.invoice.label')}</th><td>${inv.number} ${statusPill(inv, locale)}</td></tr>
    <tr><th scope="row">${t(locale, 'pay.invoice.total')}</th><td class="num">${formatMoney(inv.totalCents, c, locale)}</td></tr>
    <tr><th scope="row">${t(locale, 'pay.invoice.amountDue', { currency: c })}</th><td class="num"><strong>${formatMoney(inv.amountDueCents, c, locale)}</strong></td></tr>
  </tbody>
</table>`;
}

const NOT_PAYABLE = {
  paid: ['pay.notPayable.paid', 'pay.notPayable.paidNote'],
  void: ['pay.notPayable.void', 'pay.notPayable.voidNote'],
  nothing_due: ['pay.notPayable.nothingDue', 'pay.notPayable.nothingDueNote'],
} as const;

export function notPayablePage(reason: 'paid' | 'void' | 'nothing_due', inv: InvoiceDetail, locale: Locale): string {
  const [titleKey, noteKey] = NOT_PAYABLE[reason];
  const title = t(locale, titleKey, { number: inv.number });
  return page(title, panel(title, html`${invoiceFacts(inv, locale)}<p class="notice">${t(locale, noteKey)}</p>`), { locale });
}

export function processingPage(inv: InvoiceDetail, locale: Locale): string {
  const title = t(locale, 'pay.processing.title', { number: inv.number });
  return page(title, panel(title, html`${invoiceFacts(inv, locale)}<p class="notice">${t(locale, 'pay.processing.note')}</p>`), { locale });
}

export function notFoundPage(locale: Locale): string {
  const title = t(locale, 'pay.invoice.notFound');
  return page(title, panel(title, html`<p class="notice">${howToGetALink(locale)}</p>`), { locale });
}

export function unavailablePage(locale: Locale): string {
  const title = t(locale, 'pay.unavailable.title');
  return page(title, panel(title, html`<p>${t(locale, 'pay.unavailable.text')}</p><p class="notice">${t(locale, 'pay.unavailable.retry')}</p>`), { locale });
}

/** How long the return page keeps refreshing itself while a payment is processing. */
export const RETURN_REFRESH_SECONDS = 3;
export const RETURN_REFRESH_MAX = 40;

/**
 * The way back from the return page: Pay Now opens the payment in the portal's own tab, so the
 * invoice (the portal's view) and the Billing dashboard are one tap away. Both need the portal
 * session (the cookie is SameSite=Lax: a link from here carries it).
 */
function backToPortal(invoiceNumber: string, locale: Locale): Raw {
  return html`<nav class="back-links" aria-label="${t(locale, 'pay.return.back')}">
  <a class="button secondary" href="/portal/billing/invoices/${encodeURIComponent(invoiceNumber)}">${t(locale, 'pay.return.viewInvoice', { number: invoiceNumber })}</a>
  <a class="button secondary" href="/portal/billing">${t(locale, 'pay.return.dashboard')}</a>
</nav>`;
}

/**
 * The page Checkout returns to. It shows our database's view (the webhook decides), never the
 * redirect's: "Processing" until the payment is recorded, then "Paid". `lang` is the explicit
 * language the page was asked for (kept on its refresh), or null.
 */
export function returnPage(
  st: ReturnStatus,
  opts: { cancelled: boolean; refresh: number; payUrl: string; locale: Locale; lang?: Locale | null },
): { html: string; processing: boolean } {
  const { locale } = opts;
  const inv = st.invoice;
  const c = st.currency;
  const facts = inv ? invoiceFacts(inv, locale) : '';
  const note = (key: string, vars?: Record<string, string>) => html`<p class="notice">${t(locale, key, vars)}</p>`;
  const tryAgain = html`<p><a class="button" href="${keepLang(opts.payUrl, opts.lang ?? null)}">${t(locale, 'pay.return.tryAgain')}</a></p>`;
  let title: string;
  let body: Raw;
  let processing = false;
  if (inv && inv.status === 'paid') {
    title = t(locale, 'pay.return.paid', { number: inv.number });
    body = html`${facts}${note('pay.return.paidNote')}`;
  } else if (st.state === 'paid') {
    title = t(locale, 'pay.return.received');
    const stillDue = inv && inv.amountDueCents > 0n;
    body = html`${facts}<p class="notice">${t(locale, 'pay.return.receivedNote', { amount: formatMoney(st.amountCents, c, locale) })}${
      stillDue ? ` ${t(locale, 'pay.return.stillDue', { amount: formatMoney(inv.amountDueCents, c, locale), number: inv.number })}` : ''
    }</p>${stillDue ? tryAgain : ''}`;
  } else if (st.state === 'failed') {
    title = t(locale, 'pay.return.failed');
    body = html`${facts}${note('pay.return.failedNote')}${tryAgain}`;
  } else if (st.state === 'expired') {
    title = t(locale, 'pay.return.expired');
    body = html`${facts}${note('pay.return.expiredNote')}${tryAgain}`;
  } else if (opts.cancelled && st.state === 'open') {
    title = t(locale, 'pay.return.cancelled');
    body = html`${facts}${note('pay.return.cancelledNote')}${tryAgain}`;
  } else if (opts.refresh >= RETURN_REFRESH_MAX) {
    title = t(locale, 'pay.return.slow');
    body = html`${facts}${note('pay.return.slowNote')}`;
  } else {
    processing = true;
    title = t(locale, 'pay.return.processing');
    body = html`${facts}${note('pay.return.processingNote')}`;
  }
  const next = keepLang(`/pay/return?session_id=${encodeURIComponent(st.sessionId)}${opts.cancelled ? '&cancelled=1' : ''}&n=${opts.refresh + 1}`, opts.lang ?? null);
  const head = processing ? html`<meta http-equiv="refresh" content="${RETURN_REFRESH_SECONDS};url=${next}">` : raw('');
  return { html: page(title, panel(title, html`${body}${backToPortal(st.invoiceNumber, locale)}`), { head, locale }), processing };
}

export function unknownSessionPage(locale: Locale): string {
  const title = t(locale, 'pay.return.unknown');
  return page(title, panel(title, html`<p>${t(locale, 'pay.return.unknownText')}</p><p class="notice">${howToGetALink(locale)}</p>`), { locale });
}

const SANDBOX_CSS = raw(`<style>
  .sandbox-banner { background: repeating-linear-gradient(45deg, #ffe08a, #ffe08a 12px, #fff3c4 12px, #fff3c4 24px); border: 2px solid #a05a00; color: #5a3300; font-weight: 700; padding: .75rem 1rem; border-radius: 8px; margin-bottom: 1rem; text-align: center; }
  .actions { display: flex; gap: .75rem; flex-wrap: wrap; margin-top: 1rem; }
  .button.fail { background: var(--bad); } .button.abandon { background: #555; }
</style>`);

/** A sandbox session's state as the closed page names it. */
const SANDBOX_STATES: Record<SandboxSessionView['state'], string> = {
  open: 'pay.sandbox.state.open',
  processing: 'pay.sandbox.state.processing',
  paid: 'pay.sandbox.state.paid',
  failed: 'pay.sandbox.state.failed',
  expired: 'pay.sandbox.state.expired',
};

/** The sandbox checkout (development only): the processor's hosted page stand-in. `lang` (an explicit language) is posted with its form. */
export function sandboxPage(s: SandboxSessionView, returnUrl: string, now: Date, locale: Locale, lang: Locale | null = null): string {
  const c = s.currency;
  const amount = formatMoney(s.amountCents, c, locale);
  const open = s.state === 'open' && s.expiresAt.getTime() > now.getTime();
  const title = t(locale, 'pay.sandbox.title');
  const shownState = s.state === 'open' ? 'expired' : s.state;
  const body = html`<main>
  <div class="sandbox-banner" role="alert">${t(locale, 'pay.sandbox.banner')}</div>
  <div class="panel">
    <h1>${title}</h1>
    <p class="muted">${s.accountName} · ${s.accountId}</p>
    <table><tbody>
      <tr><th scope="row">${t(locale, 'pay.sandbox.invoice')}</th><td>${s.invoiceNumber}</td></tr>
      <tr><th scope="row">${t(locale, 'pay.sandbox.amount', { currency: c })}</th><td class="num"><strong>${amount}</strong></td></tr>
    </tbody></table>
    ${
      open
        ? html`<p>${t(locale, 'pay.sandbox.choose')}</p>
    <form method="post" action="/sandbox/checkout/${s.id}" class="actions">
      <button class="button" type="submit" name="outcome" value="success">${t(locale, 'pay.sandbox.success', { amount })}</button>
      <button class="button fail" type="submit" name="outcome" value="fail">${t(locale, 'pay.sandbox.fail')}</button>
      <button class="button abandon" type="submit" name="outcome" value="abandon">${t(locale, 'pay.sandbox.abandon')}</button>
      ${lang ? html`<input type="hidden" name="lang" value="${lang}">` : ''}
    </form>`
        : html`<p class="notice">${t(locale, 'pay.sandbox.closed', { state: t(locale, SANDBOX_STATES[shownState]) })}</p><p><a class="button" href="${keepLang(returnUrl, lang)}">${t(locale, 'pay.sandbox.seeStatus')}</a></p>`
    }
  </div>
</main>`;
  return page(t(locale, 'pay.sandbox.pageTitle', { title }), body, { head: SANDBOX_CSS, locale });
}

export function sandboxErrorPage(status: number, locale: Locale): string {
  const title = t(locale, 'pay.sandbox.deliveryFailed');
  return page(title, panel(title, html`<p class="notice">${t(locale, 'pay.sandbox.deliveryFailedText', { status: String(status) })}</p>`), { locale });
}
