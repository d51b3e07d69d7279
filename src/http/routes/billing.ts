import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isIsoDate } from '../../billing/dates.js';
import { normalizeInvoiceNumber } from '../../billing/invoice-number.js';
import { INVOICE_STATUSES } from '../../billing/status.js';
import {
  balanceView,
  creditView,
  invoiceDetailView,
  invoiceSummaryView,
  mapPage,
  pageView,
  paymentView,
  toBalanceView,
  toCreditView,
  toInvoiceDetailView,
  toInvoiceSummaryView,
  toPaymentView,
} from '../../billing/views.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { Services } from '../../services.js';
import { apiLocale, requireSession } from '../auth.js';
import { errorResponses } from '../errors.js';

const isoDate = z.string().refine(isIsoDate, 'must be a calendar date YYYY-MM-DD');
export const pagingQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(25).describe('page size, 1-100'),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0).describe('items to skip'),
};
const dateRange = {
  from: isoDate.optional().describe('on or after this date (YYYY-MM-DD)'),
  to: isoDate.optional().describe('on or before this date (YYYY-MM-DD)'),
};
function checkRange(q: { from?: string | undefined; to?: string | undefined }): void {
  if (q.from && q.to && q.from > q.to) throw new ValidationError('querystring.from: must not be after "to"');
}

export const security = [{ bearerAuth: [] }];

export const billingRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const billing = services.billing;

    r.get(
      '/balance',
      { schema: { tags: ['billing'], summary: 'Account balance', security, response: { 200: balanceView, ...errorResponses } } },
      async (req) => {
        const s = requireSession(req);
        const b = await billing.balance(s.accountId);
        if (!b) throw new NotFoundError('Account not found');
        return toBalanceView(b, apiLocale(req));
      },
    );

    r.get(
      '/invoices',
      {
        schema: {
          tags: ['billing'],
          summary: 'Invoice history, newest first',
          security,
          querystring: z
            .object({
              status: z
                .enum([...INVOICE_STATUSES, 'open'])
                .optional()
                .describe('paid, due, overdue, partially_paid, void or open'),
              ...dateRange,
              ...pagingQuery,
            })
            .strict(),
          response: { 200: pageView(invoiceSummaryView), ...errorResponses },
        },
      },
      async (req) => {
        const s = requireSession(req);
        checkRange(req.query);
        const { limit, offset, ...filter } = req.query;
        return mapPage(await billing.invoices(s.accountId, filter, { limit, offset }), (x) => toInvoiceSummaryView(x, apiLocale(req)));
      },
    );

    r.get(
      '/invoices/outstanding',
      {
        schema: {
          tags: ['billing'],
          summary: 'Unpaid invoices, most recently issued first',
          security,
          querystring: z.object(pagingQuery).strict(),
          response: { 200: pageView(invoiceSummaryView), ...errorResponses },
        },
      },
      async (req) => {
        const s = requireSession(req);
        return mapPage(await billing.outstanding(s.accountId, req.query), (x) => toInvoiceSummaryView(x, apiLocale(req)));
      },
    );

    r.get(
      '/invoices/:invoiceNumber',
      {
        schema: {
          tags: ['billing'],
          summary: 'One invoice with lines, payments and credits',
          security,
          params: z.object({ invoiceNumber: z.string().min(1).max(32).describe('e.g. IN7654321') }),
          response: { 200: invoiceDetailView, ...errorResponses },
        },
      },
      async (req) => {
        const s = requireSession(req);
        const number = normalizeInvoiceNumber(req.params.invoiceNumber);
        const inv = number ? await billing.invoice(s.accountId, number) : null;
        // Another account's invoice and a made-up number get the same answer.
        if (!inv) throw new NotFoundError('Invoice not found');
        return toInvoiceDetailView(inv, apiLocale(req));
      },
    );

    r.get(
      '/payments',
      {
        schema: {
          tags: ['billing'],
          summary: 'Payments received, newest first',
          security,
          querystring: z.object({ ...dateRange, ...pagingQuery }).strict(),
          response: { 200: pageView(paymentView), ...errorResponses },
        },
      },
      async (req) => {
        const s = requireSession(req);
        checkRange(req.query);
        const { limit, offset, ...filter } = req.query;
        return mapPage(await billing.payments(s.accountId, filter, { limit, offset }), (x) => toPaymentView(x, apiLocale(req)));
      },
    );

    r.get(
      '/credits',
      {
        schema: {
          tags: ['billing'],
          summary: 'Credit memos, applied and available',
          security,
          querystring: z.object(pagingQuery).strict(),
          response: { 200: pageView(creditView), ...errorResponses },
        },
      },
      async (req) => {
        const s = requireSession(req);
        return mapPage(await billing.credits(s.accountId, req.query), (x) => toCreditView(x, apiLocale(req)));
      },
    );
  };
