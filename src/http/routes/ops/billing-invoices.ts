import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { putInvoice, voidOpsInvoice } from '../../../billing/ops/invoices.js';
import { invoiceBody, invoiceNumberField, voidBody } from '../../../billing/ops/schemas.js';
import { loadOpsInvoice, opsInvoiceView } from '../../../billing/ops/views.js';
import type { Services } from '../../../services.js';
import { opsSecurity as security } from '../../ops-auth.js';
import { canRead, canWrite, found, idempotencyHeaders, idempotentWrite, readResponses, writeResponses, written } from './billing-common.js';

/**
 * Invoices as the billing system writes them (scopes billing:write, billing:read): issued with
 * their lines, due date and memo updated, voided. Every answer is the invoice as it now is.
 */

const tags = ['ops'];
const params = z.object({ number: invoiceNumberField });

export const opsInvoicesRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const today = () => services.billing.today();

    r.get(
      '/invoices/:number',
      { onRequest: canRead, schema: { tags, summary: 'An invoice with its lines and amounts (billing:read)', security, params, response: readResponses(opsInvoiceView) } },
      async (req) => found(req, await loadOpsInvoice(services.db, req.params.number, today()), 'Invoice'),
    );

    r.put(
      '/invoices/:number',
      {
        onRequest: canWrite,
        schema: {
          tags,
          summary: 'Issue an invoice, or update its due date and memo (billing:write)',
          description:
            "Unknown number: issued with its lines (in the account's currency, due on or after the issue date, not on a closed account). Known number: `dueOn` and `memo` change; the account, issue date, currency and lines stay (void it and issue another). 201 issued, 200 otherwise.",
          security,
          headers: idempotencyHeaders,
          params,
          body: invoiceBody,
          response: writeResponses(opsInvoiceView),
        },
      },
      async (req, reply) =>
        idempotentWrite(services, req, reply, async (trx) => {
          const change = await putInvoice(trx, { number: req.params.number, ...req.body });
          return written(change, await loadOpsInvoice(trx, req.params.number, today()));
        }),
    );

    r.post(
      '/invoices/:number/void',
      {
        onRequest: canWrite,
        config: { opsAction: 'ops.invoices.void' },
        schema: {
          tags,
          summary: 'Void an invoice (billing:write)',
          description:
            'A void invoice leaves the balance and shows as Void. 409 for an invoice with anything paid or credited: that money would stay allocated to an invoice that no longer counts; issue a credit memo instead. Voiding a void invoice changes nothing (200).',
          security,
          headers: idempotencyHeaders,
          params,
          body: voidBody,
          response: writeResponses(opsInvoiceView),
        },
      },
      async (req, reply) =>
        idempotentWrite(services, req, reply, async (trx) => {
          const change = await voidOpsInvoice(trx, { number: req.params.number, ...req.body });
          return written(change, await loadOpsInvoice(trx, req.params.number, today()));
        }),
    );
  };
