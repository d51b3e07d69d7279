import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FIXTURE_ACCOUNTS } from '../../billing/fixture.js';
import { type InvoiceSummary } from '../../billing/queries.js';
import { normalizeInvoiceNumber } from '../../billing/invoice-number.js';
import { invoiceBody, invoiceCss } from '../../documents/invoice-html.js';
import { AppError } from '../../errors.js';
import type { Services } from '../../services.js';
import { devOutboxRoutes } from '../dev-outbox.js';
import { html, raw } from '../../format/html.js';
import { isLocale, t, type Locale } from '../../i18n/index.js';
import { keepLang } from '../page.js';
import { errorPage, PAGE_HEADERS } from '../routes.js';
import { LANGUAGE_PATH, PORTAL_HEADERS, portalPage, type PortalRender } from './layout.js';
import { contactRoutes } from './contacts.js';
import { CSRF_FIELD, formToken, formTokenMatches, fromOurPages } from './csrf.js';
import { formRefusedBody } from './contacts-pages.js';
import {
  creditsBody,
  dashboardBody,
  invoiceActions,
  invoicesBody,
  notFoundBody,
  paymentsBody,
  signedOutPage,
  signInPage,
  type InvoiceRow,
} from './pages.js';
import { endPortalSession, portalLocale, portalSession, rememberLocale, startPortalSession, type PortalSession } from './session.js';

/**
 * The Reseller Portal's Billing section (the demo portal): server-rendered pages over the same
 * billing service as the API and the tools. Signed-in pages embed the assistant widget.
 *
 *   GET  /                                   → /portal (development only)
 *   GET  /portal/sign-in, POST /portal/sign-in   fixture accounts (development only: 404 in production)
 *   POST /portal/sign-out
 *   POST /portal/language                      the language switch (locale, next, csrf): kept in the portal session
 *   GET  /portal → /portal/billing (dashboard) · /invoices · /payments · /credits · /contacts (contacts.ts)
 *   GET  /portal/billing/invoices/:number      the invoice (the PDF's template) · /pdf
 *   GET  /portal/dev/outbox                    this account's mail in the local outbox (development only)
 */

const PAGE_SIZE = 25;
const pageQuery = z.object({ offset: z.coerce.number().int().min(0).max(1_000_000).default(0) });
const FORM = 'application/x-www-form-urlencoded';
const languageBody = z.object({ [CSRF_FIELD]: z.string().max(500).optional(), locale: z.string().max(10).optional(), next: z.string().max(500).optional() });

/** Only our own portal paths are followed after sign-in (no open redirect). */
export function safeNext(next: unknown): string | null {
  if (typeof next !== 'string' || next.length > 500) return null;
  return /^\/portal(\/[A-Za-z0-9_\-./?=&%]*)?$/.test(next) && !next.includes('//') && !next.includes('/..') ? next : null;
}

export const portalRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const { config, billing, links } = services;
    const dev = config.NODE_ENV !== 'production';
    const r = app.withTypeProvider<ZodTypeProvider>();

    if (!app.hasContentTypeParser(FORM)) {
      app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      });
    }

    if (dev) {
      r.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/portal', 302));

      r.get('/portal/sign-in', { schema: { hide: true, querystring: z.object({ next: z.string().max(500).optional() }) } }, async (req, reply) => {
        const current = await portalSession(config, req);
        return reply.headers(PORTAL_HEADERS).send(signInPage(safeNext(req.query.next), current ? current.accountId : null, portalLocale(req, current)));
      });

      r.post(
        '/portal/sign-in',
        { schema: { hide: true, body: z.object({ account: z.string().max(20), next: z.string().max(500).optional() }) } },
        async (req, reply) => {
          const fixture = FIXTURE_ACCOUNTS.find((a) => a.id === req.body.account);
          if (!fixture || !(await billing.account(fixture.id))) {
            return reply.code(400).headers(PORTAL_HEADERS).send(signInPage(null, null, portalLocale(req, null)));
          }
          await startPortalSession(config, reply, { accountId: fixture.id, userId: fixture.user, userName: fixture.userName });
          return reply.redirect(safeNext(req.body.next) ?? '/portal/billing', 303);
        },
      );
    }

    r.post('/portal/sign-out', { schema: { hide: true } }, async (_req, reply) => {
      endPortalSession(config, reply);
      return reply.redirect(dev ? '/portal/sign-in' : '/portal', 303);
    });

    // Signed-in pages.
    await app.register(async (signedIn) => {
      const s = signedIn.withTypeProvider<ZodTypeProvider>();
      const sessions = new WeakMap<FastifyRequest, { session: PortalSession; locale: Locale }>();

      signedIn.addHook('onRequest', async (req, reply) => {
        const session = await portalSession(config, req);
        if (!session) {
          if (dev) return reply.redirect(`/portal/sign-in?next=${encodeURIComponent(req.url)}`, 303);
          return reply.code(401).headers(PORTAL_HEADERS).send(signedOutPage(portalLocale(req, null)));
        }
        sessions.set(req, { session, locale: portalLocale(req, session) });
        req.session = { accountId: session.accountId, userId: session.userId, userName: session.userName, locale: session.locale ?? null };
      });
      const signedInOf = (req: FastifyRequest) => {
        const s = sessions.get(req);
        if (!s) throw new Error('portal: no session on a signed-in route');
        return s;
      };
      const sessionOf = (req: FastifyRequest): PortalSession => signedInOf(req).session;
      /** The page's locale: the switch's choice, the token's claim, Accept-Language, en-CA (session.ts). */
      const localeOf = (req: FastifyRequest): Locale => signedInOf(req).locale;

      /** A signed pay link; the pay page opens in the portal's language (`lang` is not part of the signature). */
      const payLink = (accountId: string, invoiceNumber: string, locale: Locale) => keepLang(links.url({ purpose: 'pay', accountId, invoiceNumber }), locale);

      const withPayLinks = (accountId: string, items: InvoiceSummary[], locale: Locale): InvoiceRow[] =>
        items.map((i) => ({ ...i, payUrl: i.amountDueCents > 0n && i.status !== 'void' ? payLink(accountId, i.number, locale) : null }));

      async function render(req: FastifyRequest, reply: FastifyReply, o: PortalRender): Promise<FastifyReply> {
        const { session, locale } = signedInOf(req);
        const account = await billing.account(session.accountId);
        const heading = o.heading === undefined ? t(locale, 'portal.layout.billing') : o.heading;
        return reply
          .code(o.status ?? 200)
          .headers(PORTAL_HEADERS)
          .send(
            portalPage({
              title: o.title,
              session,
              locale,
              formToken: formToken(config.AUTH_JWT_SECRET, session.token),
              path: safeNext(req.url) ?? '/portal/billing',
              accountName: account?.name ?? session.accountId,
              tab: o.tab,
              heading,
              body: o.body,
              ...(o.head ? { head: o.head } : {}),
            }),
          );
      }

      // Development only: what the local outbox sent for this account (a 404 in production).
      if (dev) await signedIn.register(devOutboxRoutes(services, sessionOf, localeOf));
      await signedIn.register(contactRoutes(services, sessionOf, render, localeOf));

      // The language switch: the same cross-site checks as every portal form (csrf.ts), then the
      // choice is kept in the portal session and the browser goes back to the page it came from
      // (a portal path only: no open redirect).
      s.post(LANGUAGE_PATH, { schema: { hide: true, body: languageBody } }, async (req, reply) => {
        const { session } = signedInOf(req);
        const back = safeNext(req.body.next);
        const target = back && back.split('?')[0] !== LANGUAGE_PATH ? back : '/portal/billing';
        if (!fromOurPages(req, config.publicBaseUrl) || !formTokenMatches(config.AUTH_JWT_SECRET, session.token, req.body[CSRF_FIELD])) {
          req.log.warn({ alert: 'portal_form_refused', accountId: session.accountId, path: LANGUAGE_PATH }, 'portal form refused: cross-site checks failed');
          const l = localeOf(req);
          return render(req, reply, {
            title: t(l, 'portal.formRefused.title'),
            tab: null,
            body: formRefusedBody(l, { href: target, label: t(l, 'portal.formRefused.backPage') }),
            status: 403,
          });
        }
        const chosen = req.body.locale;
        if (!isLocale(chosen)) return reply.code(400).headers(PAGE_HEADERS).send(errorPage(400, localeOf(req), 'portal'));
        rememberLocale(config, reply, chosen);
        return reply.redirect(target, 303);
      });

      s.get('/portal', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/portal/billing', 302));

      s.get('/portal/billing', { schema: { hide: true } }, async (req, reply) => {
        const { accountId } = sessionOf(req);
        const l = localeOf(req);
        const [balance, outstanding] = await Promise.all([billing.balance(accountId), billing.outstanding(accountId, { limit: 50, offset: 0 })]);
        if (!balance) return render(req, reply, { title: t(l, 'portal.notFound.title'), tab: 'overview', body: notFoundBody('account', l), status: 404 });
        const rows = withPayLinks(accountId, outstanding.items, l);
        return render(req, reply, { title: t(l, 'portal.tabs.overview'), tab: 'overview', body: dashboardBody(balance, rows, rows.some((i) => i.isOpening), l) });
      });

      s.get('/portal/billing/invoices', { schema: { hide: true, querystring: pageQuery } }, async (req, reply) => {
        const { accountId } = sessionOf(req);
        const l = localeOf(req);
        const p = await billing.invoices(accountId, {}, { limit: PAGE_SIZE, offset: req.query.offset });
        return render(req, reply, { title: t(l, 'portal.tabs.invoices'), tab: 'invoices', body: invoicesBody(withPayLinks(accountId, p.items, l), p, l) });
      });

      s.get('/portal/billing/payments', { schema: { hide: true, querystring: pageQuery } }, async (req, reply) => {
        const { accountId } = sessionOf(req);
        const l = localeOf(req);
        const p = await billing.payments(accountId, {}, { limit: PAGE_SIZE, offset: req.query.offset });
        return render(req, reply, { title: t(l, 'portal.tabs.payments'), tab: 'payments', body: paymentsBody(p.items, p, l) });
      });

      s.get('/portal/billing/credits', { schema: { hide: true, querystring: pageQuery } }, async (req, reply) => {
        const { accountId } = sessionOf(req);
        const l = localeOf(req);
        const p = await billing.credits(accountId, { limit: PAGE_SIZE, offset: req.query.offset });
        return render(req, reply, { title: t(l, 'portal.tabs.credits'), tab: 'credits', body: creditsBody(p.items, p, l) });
      });

      const invoiceParams = z.object({ number: z.string().max(40) });
      const invoiceNotFound = (req: FastifyRequest, reply: FastifyReply) => {
        const l = localeOf(req);
        return render(req, reply, { title: t(l, 'portal.notFound.invoice'), tab: 'invoices', body: notFoundBody('invoice', l), status: 404 });
      };

      s.get('/portal/billing/invoices/:number', { schema: { hide: true, params: invoiceParams } }, async (req, reply) => {
        const { accountId } = sessionOf(req);
        const l = localeOf(req);
        const number = normalizeInvoiceNumber(req.params.number);
        const inv = number ? await billing.invoice(accountId, number) : null;
        if (!inv) return invoiceNotFound(req, reply);
        if (inv.number !== req.params.number) return reply.redirect(`/portal/billing/invoices/${inv.number}`, 301);
        const payUrl = inv.amountDueCents > 0n && inv.status !== 'void' ? payLink(accountId, inv.number, l) : null;
        const viewUrl = payLink(accountId, inv.number, l);
        // The PDF's template, as a section of this page (its <main> becomes an <article>: the
        // page has one main landmark).
        const doc = invoiceBody(inv, { payUrl: viewUrl, timeZone: config.BILLING_TIME_ZONE, locale: l }).html.replace(/^<main class="invoice">/, '<article class="invoice">').replace(/<\/main>\s*$/, '</article>');
        return render(req, reply, {
          title: t(l, 'portal.invoice.title', { number: inv.number }),
          tab: null,
          heading: null,
          body: html`${invoiceActions(inv.number, payUrl, l)}<div class="invoice-sheet">${raw(doc)}</div>`,
          head: html`<style>${raw(invoiceCss(l))}</style>`,
        });
      });

      s.get('/portal/billing/invoices/:number/pdf', { config: { limit: 'pdf' }, schema: { hide: true, params: invoiceParams } }, async (req, reply) => {
        const { accountId } = sessionOf(req);
        const number = normalizeInvoiceNumber(req.params.number);
        try {
          // The PDF in the page's language (the portal's choice, the claim, Accept-Language).
          const locale = localeOf(req);
          const doc = number ? await services.documents.pdf(accountId, number, locale) : null;
          if (!doc) return invoiceNotFound(req, reply);
          return reply
            .headers({
              'content-type': 'application/pdf',
              'content-language': locale,
              'content-disposition': `attachment; filename="${doc.filename}"`,
              'cache-control': 'private, no-store',
              'x-content-type-options': 'nosniff',
            })
            .send(doc.pdf);
        } catch (err) {
          if (err instanceof AppError && err.statusCode === 503) {
            if (err.headers) void reply.headers(err.headers);
            const l = localeOf(req);
            return render(req, reply, {
              title: t(l, 'portal.invoice.pdfTitle'),
              tab: null,
              body: html`<h2>${t(l, 'portal.invoice.pdfHeading')}</h2><p>${t(l, err.code === 'pdf_busy' ? 'portal.invoice.pdfBusy' : 'portal.invoice.pdfFailed')}</p><p><a href="/portal/billing/invoices/${number ?? ''}">${t(l, 'portal.invoice.pdfBack')}</a></p>`,
              status: 503,
            });
          }
          throw err;
        }
      });
    });
  };
