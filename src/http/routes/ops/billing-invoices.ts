import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { putInvoice, voidOpsInvoice } from '../../../billing/ops/invoices.js';
import { invoiceBody, invoiceNumberField, voidBody } from '../../../billing/ops/schemas.js';
import { loadOpsInvoice, opsInvoiceView as view } from '../../../billing/ops/views.js';
import type { Services } from '../../../services.js';
import { found, idempotentWrite, readRoute, writeRoute, written } from './billing-common.js';

/**
 * Invoices as the billing system writes them (scopes billing:write, billing:read): issued with
 * their lines, due date and memo updated, voided. Every answer is the invoice as it now is.
 */

const params = z.object({ number: invoiceNumberField });

const ISSUE =
  "Unknown number: issued with its lines (in the account's currency, due on or after the issue date, not on a closed account). Known number: `dueOn` and `memo` change; the account, issue date, currency and lines stay (void it and issue another). 201 issued, 200 otherwise.";
const VOID =
  'A void invoice leaves the balance and shows as Void. 409 for an invoice with anything paid or credited: that money would stay allocated to an invoice that no longer counts; issue a credit memo instead. Voiding a void invoice changes nothing (200).';

export const opsInvoicesRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const load = (db: Parameters<typeof loadOpsInvoice>[0], number: string) => loadOpsInvoice(db, number, services.billing.today());

    r.get('/invoices/:number', readRoute('An invoice with its lines and amounts', params, view), async (req) => found(req, await load(services.db, req.params.number), 'Invoice'));

    r.put('/invoices/:number', writeRoute({ summary: 'Issue an invoice, or update its due date and memo', description: ISSUE, params, body: invoiceBody, view }), async (req, reply) =>
      idempotentWrite(services, req, reply, async (trx) => written(await putInvoice(trx, { number: req.params.number, ...req.body }), await load(trx, req.params.number))),
    );

    r.post(
      '/invoices/:number/void',
      { ...writeRoute({ summary: 'Void an invoice', description: VOID, params, body: voidBody, view }), config: { opsAction: 'ops.invoices.void' } },
      async (req, reply) =>
        idempotentWrite(services, req, reply, async (trx) => written(await voidOpsInvoice(trx, { number: req.params.number, ...req.body }), await load(trx, req.params.number))),
    );
  };
