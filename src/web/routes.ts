import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { formatDate } from '../format/dates.js';
import { formatMoney } from '../format/money.js';
import { LinkError, type LinkClaims } from '../links/signer.js';
import type { Services } from '../services.js';
import { html } from '../format/html.js';
import { page } from './page.js';

/**
 * Security headers for our HTML pages: no framing, no scripts, no third-party anything. The one
 * exception is `form-action`: the Pay form posts to us and we answer 303 to Stripe Checkout, and
 * browsers (Chrome) apply form-action to redirects that follow a form submission.
 */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self' https://checkout.stripe.com; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export function linkProblem(err: LinkError): string {
  const body =
    err.reason === 'expired'
      ? html`<main><div class="panel"><h1>This payment link has expired</h1>
          <p>For your security, payment links are valid for a limited time.</p>
          <p class="notice">Ask the Billing Assistant for a new one (for example "Pay invoice IN7654321"), or open the invoice from <strong>Billing → Invoices</strong> in the portal and choose <strong>Pay Now</strong>.</p></div></main>`
      : html`<main><div class="panel"><h1>This link is not valid</h1>
          <p>The link may have been copied incompletely or changed.</p>
          <p class="notice">Ask the Billing Assistant for a new payment link, or open the invoice from <strong>Billing → Invoices</strong> in the portal.</p></div></main>`;
  return page('Link not valid', body);
}

/** What a browser page says for an error status: a title and one sentence, never the request's input. */
const ERROR_PAGES: Record<number, [string, string]> = {
  400: ['This request could not be read', 'Something in the link or the form was not valid.'],
  401: ['Please sign in', 'This page needs a signed-in session.'],
  403: ['This link is not valid', 'The link may have been copied incompletely or changed.'],
  404: ['Page not found', 'There is no page at this address.'],
  409: ['This could not be done', 'The request conflicts with the current state of the invoice.'],
  413: ['The form was too large', 'The request was larger than this page accepts.'],
  414: ['This link is too long', 'The link may have been copied incorrectly or changed.'],
  415: ['This request could not be read', 'The form was sent in a format this page does not accept.'],
  429: ['Too many requests', 'Please wait a moment and try again.'],
};

/**
 * The error page of the browser pages (pay pages, sandbox checkout, portal) for errors that happen
 * before a route renders its own page: framework errors, bad input, unknown paths. Sent with
 * PAGE_HEADERS.
 */
export function errorPage(status: number): string {
  const [title, sentence] = ERROR_PAGES[status] ?? (status >= 500 ? ['Something went wrong on our side', 'Please try again in a few minutes.'] : ERROR_PAGES[400]!);
  return page(
    title,
    html`<main><div class="panel"><h1>${title}</h1>
          <p>${sentence}</p>
          <p class="notice">Ask the Billing Assistant for a new payment link, or open the invoice from <strong>Billing → Invoices</strong> in the portal.</p></div></main>`,
  );
}

/** Verifies a signed pay link; on failure answers the 403 page (expired or not valid) and returns null. */
export function payLinkClaims(services: Services, token: string, reply: FastifyReply): LinkClaims | null {
  try {
    return services.links.verify(token, 'pay');
  } catch (err) {
    if (!(err instanceof LinkError)) throw err;
    void reply.code(403).headers(PAGE_HEADERS).send(linkProblem(err));
    return null;
  }
}

export const webRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    /** The page a signed link opens: the invoice summary and a Pay button (payment itself: Payments). */
    r.get(
      '/pay/:token',
      { schema: { hide: true, params: z.object({ token: z.string().max(600) }) } },
      async (req, reply) => {
        const claims = payLinkClaims(services, req.params.token, reply);
        if (!claims) return reply;
        const inv = await services.billing.invoice(claims.accountId, claims.invoiceNumber);
        if (!inv) return reply.code(404).headers(PAGE_HEADERS).send(page('Invoice not found', html`<main><div class="panel"><h1>Invoice not found</h1></div></main>`));
        const c = inv.currency;
        const payable = inv.amountDueCents > 0n && inv.status !== 'void';
        const body = html`<main>
  <div class="panel">
    <p class="muted">${inv.accountName} · ${inv.accountId}</p>
    <h1>Invoice ${inv.number} <span class="status status-${inv.status}">${inv.statusLabel}</span></h1>
    <p>Issued ${formatDate(inv.issuedOn)} · Due ${formatDate(inv.dueOn)}</p>
    <table>
      <thead><tr><th scope="col">Description</th><th scope="col" class="num">Amount</th></tr></thead>
      <tbody>
        ${inv.lines.map((l) => html`<tr><td>${l.description}${l.quantity > 1 ? ` (${l.quantity} × ${formatMoney(l.unitCents, c)})` : ''}</td><td class="num">${formatMoney(l.amountCents, c)}</td></tr>`)}
      </tbody>
      <tfoot>
        <tr><th scope="row">Total</th><td class="num">${formatMoney(inv.totalCents, c)}</td></tr>
        ${inv.paidCents > 0n ? html`<tr><th scope="row">Payments</th><td class="num">−${formatMoney(inv.paidCents, c)}</td></tr>` : ''}
        ${inv.creditedCents > 0n ? html`<tr><th scope="row">Credits</th><td class="num">−${formatMoney(inv.creditedCents, c)}</td></tr>` : ''}
        <tr><th scope="row">Amount due (${c})</th><td class="num"><strong>${formatMoney(inv.amountDueCents, c)}</strong></td></tr>
      </tfoot>
    </table>
    ${
      payable
        ? html`<form method="post" action="/pay/${req.params.token}/checkout">
      <button class="button" type="submit">Pay ${formatMoney(inv.amountDueCents, c)} now</button>
    </form>
    <p class="muted">You will enter your card details on our secure payment processor's page. We never ask for card details in chat or by email.</p>`
        : html`<p class="notice">Nothing is due on this invoice.</p>`
    }
  </div>
</main>`;
        return reply.headers(PAGE_HEADERS).send(page(`Invoice ${inv.number}`, body));
      },
    );
  };
