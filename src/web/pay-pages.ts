import { formatMoney } from '../format/money.js';
import type { InvoiceDetail } from '../billing/queries.js';
import { html, raw, type Raw } from '../format/html.js';
import { page } from './page.js';
import type { ReturnStatus, SandboxSessionView } from '../payments/service.js';

/**
 * The pages of the payment flow. None has a card field: card details are only ever entered on
 * the processor's hosted page. No scripts either (the CSP forbids them); the return page refreshes
 * itself with a meta refresh while the payment is processing.
 */

const HOW_TO_GET_A_LINK = html`Ask the Billing Assistant for a new payment link (for example "Pay invoice IN7654321"), or open the invoice from <strong>Billing → Invoices</strong> in the portal and choose <strong>Pay Now</strong>.`;

function panel(title: string, body: Raw): Raw {
  return html`<main><div class="panel"><h1>${title}</h1>${body}</div></main>`;
}

function invoiceFacts(inv: InvoiceDetail): Raw {
  const c = inv.currency;
  return html`<table>
  <tbody>
    <tr><th scope="row">Invoice</th><td>${inv.number} <span class="status status-${inv.status}">${inv.statusLabel}</span></td></tr>
    <tr><th scope="row">Total</th><td class="num">${formatMoney(inv.totalCents, c)}</td></tr>
    <tr><th scope="row">Amount due (${c})</th><td class="num"><strong>${formatMoney(inv.amountDueCents, c)}</strong></td></tr>
  </tbody>
</table>`;
}

export function notPayablePage(reason: 'paid' | 'void' | 'nothing_due', inv: InvoiceDetail): string {
  const title = reason === 'paid' ? `Invoice ${inv.number} is already paid` : reason === 'void' ? `Invoice ${inv.number} is void` : `Nothing is due on invoice ${inv.number}`;
  const note =
    reason === 'paid'
      ? 'There is nothing to pay: no payment was started and nothing was charged. Your payments are listed under Billing → Payments in the portal.'
      : reason === 'void'
        ? 'A void invoice cannot be paid: no payment was started and nothing was charged.'
        : 'There is nothing to pay: no payment was started and nothing was charged.';
  return page(title, panel(title, html`${invoiceFacts(inv)}<p class="notice">${note}</p>`));
}

export function processingPage(inv: InvoiceDetail): string {
  const title = `A payment for ${inv.number} is being processed`;
  return page(
    title,
    panel(
      title,
      html`${invoiceFacts(inv)}<p class="notice">The payment processor is still confirming an earlier payment for this invoice, so no second payment was started. The invoice will show Paid once it is confirmed.</p>`,
    ),
  );
}

export function notFoundPage(): string {
  return page('Invoice not found', panel('Invoice not found', html`<p class="notice">${HOW_TO_GET_A_LINK}</p>`));
}

export function unavailablePage(): string {
  const title = 'The payment page is not available right now';
  return page(title, panel(title, html`<p>We could not reach our payment processor. Nothing was charged.</p><p class="notice">Please go back and try again in a few minutes.</p>`));
}

/** How long the return page keeps refreshing itself while a payment is processing. */
export const RETURN_REFRESH_SECONDS = 3;
export const RETURN_REFRESH_MAX = 40;

/**
 * The page Checkout returns to. It shows our database's view (the webhook decides), never the
 * redirect's: "Processing" until the payment is recorded, then "Paid".
 */
/**
 * The way back from the return page: Pay Now opens the payment in the portal's own tab, so the
 * invoice (the portal's view) and the Billing dashboard are one tap away. Both need the portal
 * session (the cookie is SameSite=Lax: a link from here carries it).
 */
function backToPortal(invoiceNumber: string): Raw {
  return html`<nav class="back-links" aria-label="Back to the portal">
  <a class="button secondary" href="/portal/billing/invoices/${encodeURIComponent(invoiceNumber)}">View invoice ${invoiceNumber}</a>
  <a class="button secondary" href="/portal/billing">Billing dashboard</a>
</nav>`;
}

export function returnPage(st: ReturnStatus, opts: { cancelled: boolean; refresh: number; payUrl: string }): { html: string; processing: boolean } {
  const inv = st.invoice;
  const c = st.currency;
  const tryAgain = html`<p><a class="button" href="${opts.payUrl}">Return to the payment page</a></p>`;
  let title: string;
  let body: Raw;
  let processing = false;
  if (inv && inv.status === 'paid') {
    title = `Invoice ${inv.number} is paid`;
    body = html`${invoiceFacts(inv)}<p class="notice">Thank you. Your payment is recorded and the invoice is marked Paid in the portal.</p>`;
  } else if (st.state === 'paid') {
    title = 'Payment received';
    body = html`${inv ? invoiceFacts(inv) : ''}<p class="notice">Thank you: your payment of ${formatMoney(st.amountCents, c)} is recorded.${
      inv && inv.amountDueCents > 0n ? ` ${formatMoney(inv.amountDueCents, c)} is still due on ${inv.number}.` : ''
    }</p>${inv && inv.amountDueCents > 0n ? tryAgain : ''}`;
  } else if (st.state === 'failed') {
    title = 'The payment did not go through';
    body = html`${inv ? invoiceFacts(inv) : ''}<p class="notice">Your payment was declined by the payment method's provider. Nothing was recorded against the invoice.</p>${tryAgain}`;
  } else if (st.state === 'expired') {
    title = 'This payment was not completed';
    body = html`${inv ? invoiceFacts(inv) : ''}<p class="notice">The checkout expired before a payment was made. Nothing was charged.</p>${tryAgain}`;
  } else if (opts.cancelled && st.state === 'open') {
    title = 'Payment not completed';
    body = html`${inv ? invoiceFacts(inv) : ''}<p class="notice">You left the payment page before paying. Nothing was charged.</p>${tryAgain}`;
  } else if (opts.refresh >= RETURN_REFRESH_MAX) {
    title = 'Your payment is still processing';
    body = html`${inv ? invoiceFacts(inv) : ''}<p class="notice">The payment processor has not confirmed the payment yet. The invoice will show Paid in the portal and in the assistant as soon as it does; you can close this page.</p>`;
  } else {
    processing = true;
    title = 'Processing your payment';
    body = html`${inv ? invoiceFacts(inv) : ''}<p class="notice">Waiting for the payment processor to confirm your payment. This page updates by itself.</p>`;
  }
  const next = `/pay/return?session_id=${encodeURIComponent(st.sessionId)}${opts.cancelled ? '&cancelled=1' : ''}&n=${opts.refresh + 1}`;
  const head = processing ? html`<meta http-equiv="refresh" content="${RETURN_REFRESH_SECONDS};url=${next}">` : raw('');
  return { html: page(title, panel(title, html`${body}${backToPortal(st.invoiceNumber)}`), { head }), processing };
}

export function unknownSessionPage(): string {
  const title = 'We could not find this payment';
  return page(title, panel(title, html`<p>Nothing in our records matches this page's address.</p><p class="notice">${HOW_TO_GET_A_LINK}</p>`));
}

const SANDBOX_CSS = raw(`<style>
  .sandbox-banner { background: repeating-linear-gradient(45deg, #ffe08a, #ffe08a 12px, #fff3c4 12px, #fff3c4 24px); border: 2px solid #a05a00; color: #5a3300; font-weight: 700; padding: .75rem 1rem; border-radius: 8px; margin-bottom: 1rem; text-align: center; }
  .actions { display: flex; gap: .75rem; flex-wrap: wrap; margin-top: 1rem; }
  .button.fail { background: var(--bad); } .button.abandon { background: #555; }
</style>`);

export function sandboxPage(s: SandboxSessionView, returnUrl: string, now: Date): string {
  const c = s.currency;
  const open = s.state === 'open' && s.expiresAt.getTime() > now.getTime();
  const title = 'Sandbox checkout';
  const body = html`<main>
  <div class="sandbox-banner" role="alert">Sandbox — no real payment. This page stands in for the payment processor in development.</div>
  <div class="panel">
    <h1>${title}</h1>
    <p class="muted">${s.accountName} · ${s.accountId}</p>
    <table><tbody>
      <tr><th scope="row">Invoice</th><td>${s.invoiceNumber}</td></tr>
      <tr><th scope="row">Amount (${c})</th><td class="num"><strong>${formatMoney(s.amountCents, c)}</strong></td></tr>
    </tbody></table>
    ${
      open
        ? html`<p>No card details are asked for here: choose what the processor should report.</p>
    <form method="post" action="/sandbox/checkout/${s.id}" class="actions">
      <button class="button" type="submit" name="outcome" value="success">Success: pay ${formatMoney(s.amountCents, c)}</button>
      <button class="button fail" type="submit" name="outcome" value="fail">Fail: payment declined</button>
      <button class="button abandon" type="submit" name="outcome" value="abandon">Abandon: let the session expire</button>
    </form>`
        : html`<p class="notice">This sandbox session is no longer open (${s.state === 'open' ? 'expired' : s.state}).</p><p><a class="button" href="${returnUrl}">See the payment status</a></p>`
    }
  </div>
</main>`;
  return page(`${title} — no real payment`, body, { head: SANDBOX_CSS });
}

export function sandboxErrorPage(status: number): string {
  const title = 'The sandbox could not deliver its event';
  return page(title, panel(title, html`<p class="notice">Our webhook answered ${String(status)}. See the server log.</p>`));
}
