import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FIXTURE_ACCOUNTS } from '../../billing/fixture.js';
import { type InvoiceSummary } from '../../billing/queries.js';
import { normalizeInvoiceNumber } from '../../billing/invoice-number.js';
import { INVOICE_CSS, invoiceBody } from '../../documents/invoice-html.js';
import { AppError } from '../../errors.js';
import type { Services } from '../../services.js';
import { devOutboxRoutes } from '../dev-outbox.js';
import { html, raw } from '../../format/html.js';
import { PORTAL_HEADERS, portalPage, type PortalRender } from './layout.js';
import { contactRoutes } from './contacts.js';
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
import { endPortalSession, portalSession, startPortalSession, type PortalSession } from './session.js';

/**
 * The Reseller Portal's Billing section (the demo portal): server-rendered pages over the same
 * billing service as the API and the tools. Signed-in pages embed the assistant widget.
 *
 *   GET  /                                   → /portal (development only)
 *   GET  /portal/sign-in, POST /portal/sign-in   fixture accounts (development only: 404 in production)
 *   POST /portal/sign-out
 *   GET  /portal → /portal/billing (dashboard) · /invoices · /payments · /credits · /contacts (contacts.ts)
 *   GET  /portal/billing/invoices/:number      the invoice (the PDF's template) · /pdf
 *   GET  /portal/dev/outbox                    this account's mail in the local outbox (development only)
 */

const PAGE_SIZE = 25;
const pageQuery = z.object({ offset: z.coerce.number().int().min(0).max(1_000_000).default(0) });
const FORM = 'application/x-www-form-urlencoded';

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
        return reply.headers(PORTAL_HEADERS).send(signInPage(safeNext(req.query.next), current ? current.accountId : null));
      });

      r.post(
        '/portal/sign-in',
        { schema: { hide: true, body: z.object({ account: z.string().max(20), next: z.string().max(500).optional() }) } },
        async (req, reply) => {
          const fixture = FIXTURE_ACCOUNTS.find((a) => a.id === req.body.account);
          if (!fixture || !(await billing.account(fixture.id))) {
            return reply.code(400).headers(PORTAL_HEADERS).send(signInPage(null, null));
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
      const sessions = new WeakMap<FastifyRequest, PortalSession>();

      signedIn.addHook('onRequest', async (req, reply) => {
        const session = await portalSession(config, req);
        if (!session) {
          if (dev) return reply.redirect(`/portal/sign-in?next=${encodeURIComponent(req.url)}`, 303);
          return reply.code(401).headers(PORTAL_HEADERS).send(signedOutPage());
        }
        sessions.set(req, session);
        req.session = { accountId: session.accountId, userId: session.userId, userName: session.userName };
      });
      const sessionOf = (req: FastifyRequest): PortalSession => {
        const session = sessions.get(req);
        if (!session) throw new Error('portal: no session on a signed-in route');
        return session;
      };

      const withPayLinks = (accountId: string, items: InvoiceSummary[]): InvoiceRow[] =>
        items.map((i) => ({
          ...i,
          payUrl: i.amountDueCents > 0n && i.status !== 'void' ? links.url({ purpose: 'pay', accountId, invoiceNumber: i.number }) : null,
        }));

      async function render(req: FastifyRequest, reply: FastifyReply, o: PortalRender): Promise<FastifyReply> {
        const session = sessionOf(req);
        const account = await billing.account(session.accountId);
        return reply
          .code(o.status ?? 200)
          .headers(PORTAL_HEADERS)
          .send(
            portalPage({
              title: `${o.title} · Billing · Reseller Portal`,
              session,
              accountName: account?.name ?? session.accountId,
              tab: o.tab,
              ...(o.heading ? { heading: o.heading } : {}),
              body: o.body,
              ...(o.head ? { head: o.head } : {}),
            }),
          );
      }

      // Development only: what the local outbox sent for this account (a 404 in production).
      if (dev) await signedIn.register(devOutboxRoutes(services, sessionOf));
      await signedIn.register(contactRoutes(services, sessionOf, render));

      s.get('/portal', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/portal/billing', 302));

      s.get('/portal/billing', { schema: { hide: true } }, async (req, reply) => {
        const { accountId } = sessionOf(req);
        const [balance, outstanding] = await Promise.all([billing.balance(accountId), billing.outstanding(accountId, { limit: 50, offset: 0 })]);
        if (!balance) return render(req, reply, { title: 'Not found', tab: 'overview', heading: 'Billing', body: notFoundBody('Account'), status: 404 });
        const rows = withPayLinks(accountId, outstanding.items);
        return render(req, reply, { title: 'Overview', tab: 'overview', heading: 'Billing', body: dashboardBody(balance, rows, rows.some((i) => i.isOpening)) });
      });

      s.get('/portal/billing/invoices', { schema: { hide: true, querystring: pageQuery } }, async (req, reply) => {
        const { accountId } = sessionOf(req);
        const p = await billing.invoices(accountId, {}, { limit: PAGE_SIZE, offset: req.query.offset });
        return render(req, reply, { title: 'Invoices', tab: 'invoices', heading: 'Billing', body: invoicesBody(withPayLinks(accountId, p.items), p) });
      });

      s.get('/portal/billing/payments', { schema: { hide: true, querystring: pageQuery } }, async (req, reply) => {
        const { accountId } = sessionOf(req);
        const p = await billing.payments(accountId, {}, { limit: PAGE_SIZE, offset: req.query.offset });
        return render(req, reply, { title: 'Payments', tab: 'payments', heading: 'Billing', body: paymentsBody(p.items, p) });
      });

      s.get('/portal/billing/credits', { schema: { hide: true, querystring: pageQuery } }, async (req, reply) => {
        const { accountId } = sessionOf(req);
        const p = await billing.credits(accountId, { limit: PAGE_SIZE, offset: req.query.offset });
        return render(req, reply, { title: 'Credits', tab: 'credits', heading: 'Billing', body: creditsBody(p.items, p) });
      });

      const invoiceParams = z.object({ number: z.string().max(40) });

      s.get('/portal/billing/invoices/:number', { schema: { hide: true, params: invoiceParams } }, async (req, reply) => {
        const { accountId } = sessionOf(req);
        const number = normalizeInvoiceNumber(req.params.number);
        const inv = number ? await billing.invoice(accountId, number) : null;
        if (!inv) return render(req, reply, { title: 'Invoice not found', tab: 'invoices', heading: 'Billing', body: notFoundBody('Invoice'), status: 404 });
        if (inv.number !== req.params.number) return reply.redirect(`/portal/billing/invoices/${inv.number}`, 301);
        const payUrl = inv.amountDueCents > 0n && inv.status !== 'void' ? links.url({ purpose: 'pay', accountId, invoiceNumber: inv.number }) : null;
        const viewUrl = links.url({ purpose: 'pay', accountId, invoiceNumber: inv.number });
        // The PDF's template, as a section of this page (its <main> becomes an <article>: the
        // page has one main landmark).
        const doc = invoiceBody(inv, { payUrl: viewUrl, timeZone: config.BILLING_TIME_ZONE }).html.replace(/^<main class="invoice">/, '<article class="invoice">').replace(/<\/main>\s*$/, '</article>');
        return render(req, reply, {
          title: `Invoice ${inv.number}`,
          tab: null,
          body: html`${invoiceActions(inv.number, payUrl)}<div class="invoice-sheet">${raw(doc)}</div>`,
          head: html`<style>${raw(INVOICE_CSS)}</style>`,
        });
      });

      s.get('/portal/billing/invoices/:number/pdf', { config: { limit: 'pdf' }, schema: { hide: true, params: invoiceParams } }, async (req, reply) => {
        const { accountId } = sessionOf(req);
        const number = normalizeInvoiceNumber(req.params.number);
        try {
          const doc = number ? await services.documents.pdf(accountId, number) : null;
          if (!doc) return render(req, reply, { title: 'Invoice not found', tab: 'invoices', heading: 'Billing', body: notFoundBody('Invoice'), status: 404 });
          return reply
            .headers({
              'content-type': 'application/pdf',
              'content-disposition': `attachment; filename="${doc.filename}"`,
              'cache-control': 'private, no-store',
              'x-content-type-options': 'nosniff',
            })
            .send(doc.pdf);
        } catch (err) {
          if (err instanceof AppError && err.statusCode === 503) {
            if (err.headers) void reply.headers(err.headers);
            return render(req, reply, {
              title: 'PDF unavailable',
              tab: null,
              heading: 'Billing',
              body: html`<h2>The PDF is not available right now</h2><p>${err.message}</p><p><a href="/portal/billing/invoices/${number ?? ''}">Back to the invoice</a></p>`,
              status: 503,
            });
          }
          throw err;
        }
      });
    });
  };
