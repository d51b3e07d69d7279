import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { normalizeInvoiceNumber } from '../../billing/invoice-number.js';
import { NotFoundError } from '../../errors.js';
import { LOCALES } from '../../i18n/locales.js';
import type { Services } from '../../services.js';
import { requireDisplaySession } from '../auth.js';
import { errorBody, errorResponses } from '../errors.js';
import { security } from './billing.js';

/** Invoice documents for the signed-in account (registered under /v1/billing). */
export const documentRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(
      '/invoices/:invoiceNumber/pdf',
      {
        // Each PDF may start a Chromium render: a budget far below the reads (src/http/limits.ts).
        config: { limit: 'pdf' },
        schema: {
          tags: ['billing'],
          summary: 'One invoice as a PDF (application/pdf, as an attachment)',
          description:
            'Rendered from the same HTML template as the invoice view, by a pool of warm Chromium instances, in the requester\'s language: `locale` if given, else the token\'s `locale` claim, else Accept-Language, else en-CA. 404 for an invoice that is not this account\'s, exactly like the JSON route; 503 when the PDF service is busy (Retry-After) or Chromium is not installed.',
          security,
          params: z.object({ invoiceNumber: z.string().min(1).max(32).describe('e.g. IN7654321') }),
          querystring: z.object({ locale: z.enum(LOCALES).optional().describe('the language of the document (en-CA or fr-CA)') }),
          produces: ['application/pdf'],
          response: {
            200: z.unknown().describe('The PDF document (application/pdf)'),
            ...errorResponses,
            503: errorBody,
          },
        },
      },
      async (req, reply) => {
        const s = requireDisplaySession(req, req.query.locale);
        const number = normalizeInvoiceNumber(req.params.invoiceNumber);
        const doc = number ? await services.documents.pdf(s.accountId, number, s.locale) : null;
        // Another account's invoice and a made-up number get the same answer as GET /invoices/:n.
        if (!doc) throw new NotFoundError('Invoice not found');
        return reply
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="${doc.filename}"`)
          .header('cache-control', 'private, no-store')
          .header('content-language', s.locale)
          .header('x-content-type-options', 'nosniff')
          .send(doc.pdf);
      },
    );
  };
