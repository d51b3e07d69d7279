import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { formatDate } from '../format/dates.js';
import { formatMoney } from '../format/money.js';
import { LinkError, type LinkClaims } from '../links/signer.js';
import type { Services } from '../services.js';
import { html } from '../format/html.js';
import { t, type Locale } from '../i18n/index.js';
import { langParam, page, publicPageLocale, rich } from './page.js';
import { howToGetALink, newLinkHelp, panel, statusPill } from './pay-pages.js';
import { portalLocale } from './portal/session.js';

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

export function linkProblem(err: LinkError, locale: Locale): string {
  const body =
    err.reason === 'expired'
      ? html`<main><div class="panel"><h1>${t(locale, 'pay.link.expired')}</h1>
          <p>${t(locale, 'pay.link.expiredText')}</p>
          <p class="notice">${howToGetALink(locale, { expired: true })}</p></div></main>`
      : html`<main><div class="panel"><h1>${t(locale, 'pay.link.invalid')}</h1>
          <p>${t(locale, 'pay.link.invalidText')}</p>
          <p class="notice">${newLinkHelp(locale)}</p></div></main>`;
  return page(t(locale, 'pay.link.title'), body, { locale });
}

/** What a browser page says for an error status: a title and one sentence, never the request's input. */
const ERROR_PAGES: Record<number, [string, string]> = {
  400: ['pay.errors.badRequest', 'pay.errors.badRequestText'],
  401: ['pay.errors.signIn', 'pay.errors.signInText'],
  403: ['pay.link.invalid', 'pay.link.invalidText'],
  404: ['pay.errors.notFound', 'pay.errors.notFoundText'],
  409: ['pay.errors.conflict', 'pay.errors.conflictText'],
  413: ['pay.errors.tooLarge', 'pay.errors.tooLargeText'],
  414: ['pay.errors.uriTooLong', 'pay.errors.uriTooLongText'],
  415: ['pay.errors.badRequest', 'pay.errors.mediaTypeText'],
  429: ['pay.errors.tooMany', 'pay.errors.tooManyText'],
};
const SERVER_ERROR: [string, string] = ['pay.errors.internal', 'pay.errors.internalText'];

/** Which pages an error page belongs to: the portal's points back to Billing, the others to a new payment link. */
export type PageFamily = 'pay' | 'portal';

export function pageFamily(url: string): PageFamily {
  const path = url.split('?')[0]!;
  return path === '/portal' || path.startsWith('/portal/') ? 'portal' : 'pay';
}

/**
 * The locale of an error page: on portal paths the portal's (the switch's choice, the verified
 * session's claim when the error came after the session check, Accept-Language), elsewhere the
 * public pages' (`lang`, Accept-Language).
 */
export function errorPageLocale(req: FastifyRequest): Locale {
  return pageFamily(req.url) === 'portal' ? portalLocale(req, req.session) : publicPageLocale(req);
}

/**
 * The error page of the browser pages (pay pages, sandbox checkout, portal) for errors that happen
 * before a route renders its own page: framework errors, bad input, unknown paths. Sent with
 * PAGE_HEADERS.
 */
export function errorPage(status: number, locale: Locale, family: PageFamily = 'pay'): string {
  const [titleKey, textKey] = ERROR_PAGES[status] ?? (status >= 500 ? SERVER_ERROR : ERROR_PAGES[400]!);
  const title = t(locale, titleKey);
  const help = family === 'portal' ? rich(locale, 'portal.errors.back', { link: html`<a href="/portal/billing">${t(locale, 'portal.layout.billing')}</a>` }) : newLinkHelp(locale);
  return page(
    title,
    html`<main><div class="panel"><h1>${title}</h1>
          <p>${t(locale, textKey)}</p>
          <p class="notice">${help}</p></div></main>`,
    { locale },
  );
}

/** The 429 page with the wait in seconds (for the rate limiter's browser answer). */
export function tooManyRequestsPage(retryAfterSeconds: number, locale: Locale): string {
  const title = t(locale, 'pay.errors.tooMany');
  return page(title, panel(title, html`<p>${t(locale, 'pay.errors.tooManyWait', { count: retryAfterSeconds })}</p>`), { locale });
}

/** Verifies a signed pay link; on failure answers the 403 page (expired or not valid) and returns null. */
export function payLinkClaims(services: Services, token: string, reply: FastifyReply, locale: Locale): LinkClaims | null {
  try {
    return services.links.verify(token, 'pay');
  } catch (err) {
    if (!(err instanceof LinkError)) throw err;
    void reply.code(403).headers(PAGE_HEADERS).send(linkProblem(err, locale));
    return null;
  }
}

export const webRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    /**
     * The page a signed link opens: the invoice summary and a Pay button (payment itself: Payments).
     * A link carries no session: the page speaks the `lang` parameter's language (kept on the Pay
     * form), else Accept-Language's, else en-CA.
     */
    r.get(
      '/pay/:token',
      { schema: { hide: true, params: z.object({ token: z.string().max(600) }) } },
      async (req, reply) => {
        const locale = publicPageLocale(req);
        const lang = langParam(req);
        const claims = payLinkClaims(services, req.params.token, reply, locale);
        if (!claims) return reply;
        const inv = await services.billing.invoice(claims.accountId, claims.invoiceNumber);
        if (!inv) {
          const title = t(locale, 'pay.invoice.notFound');
          return reply.code(404).headers(PAGE_HEADERS).send(page(title, html`<main><div class="panel"><h1>${title}</h1></div></main>`, { locale }));
        }
        const c = inv.currency;
        const money = (cents: bigint) => formatMoney(cents, c, locale);
        const payable = inv.amountDueCents > 0n && inv.status !== 'void';
        const body = html`<main>
  <div class="panel">
    <p class="muted">${inv.accountName} · ${inv.accountId}</p>
    <h1>${t(locale, 'pay.invoice.title', { number: inv.number })} ${statusPill(inv, locale)}</h1>
    <p>${t(locale, 'pay.invoice.dates', { issued: formatDate(inv.issuedOn, locale), due: formatDate(inv.dueOn, locale) })}</p>
    <table>
      <thead><tr><th scope="col">${t(locale, 'pay.invoice.description')}</th><th scope="col" class="num">${t(locale, 'pay.invoice.amount')}</th></tr></thead>
      <tbody>
        ${inv.lines.map((l) => html`<tr><td>${l.description}${l.quantity > 1 ? ` (${l.quantity} × ${money(l.unitCents)})` : ''}</td><td class="num">${money(l.amountCents)}</td></tr>`)}
      </tbody>
      <tfoot>
        <tr><th scope="row">${t(locale, 'pay.invoice.total')}</th><td class="num">${money(inv.totalCents)}</td></tr>
        ${inv.paidCents > 0n ? html`<tr><th scope="row">${t(locale, 'pay.invoice.payments')}</th><td class="num">${t(locale, 'pay.invoice.deducted', { amount: money(inv.paidCents) })}</td></tr>` : ''}
        ${inv.creditedCents > 0n ? html`<tr><th scope="row">${t(locale, 'pay.invoice.credits')}</th><td class="num">${t(locale, 'pay.invoice.deducted', { amount: money(inv.creditedCents) })}</td></tr>` : ''}
        <tr><th scope="row">${t(locale, 'pay.invoice.amountDue', { currency: c })}</th><td class="num"><strong>${money(inv.amountDueCents)}</strong></td></tr>
      </tfoot>
    </table>
    ${
      payable
        ? html`<form method="post" action="/pay/${req.params.token}/checkout">
      <button class="button" type="submit">${t(locale, 'pay.invoice.pay', { amount: money(inv.amountDueCents) })}</button>${
        lang ? html`<input type="hidden" name="lang" value="${lang}">` : ''
      }
    </form>
    <p class="muted">${t(locale, 'pay.invoice.cardNote')}</p>`
        : html`<p class="notice">${t(locale, 'pay.invoice.nothingDue')}</p>`
    }
  </div>
</main>`;
        return reply.headers(PAGE_HEADERS).send(page(t(locale, 'pay.invoice.title', { number: inv.number }), body, { locale }));
      },
    );
  };
