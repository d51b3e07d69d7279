import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { putPayment } from '../../../billing/ops/payments.js';
import { externalNumberField, paymentBody } from '../../../billing/ops/schemas.js';
import { loadOpsPayment, opsPaymentView as view } from '../../../billing/ops/views.js';
import type { Services } from '../../../services.js';
import { found, idempotentWrite, readRoute, writeRoute, written } from './billing-common.js';

/** Payments the billing system received (scopes billing:write, billing:read), with their allocations to invoices. */

const params = z.object({ number: externalNumberField });

const RECORD =
  "Each allocation goes to an open invoice of the account, in the payment's currency, within its amount due; together within the payment. What is not allocated stays on the payment as `unallocatedCents`: no invoice and no balance counts it until a later PUT of the same payment adds allocations (those already recorded must be listed unchanged). The amount, date, currency and method never change. 201 recorded, 200 otherwise.";

export const opsPaymentsRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get('/payments/:number', readRoute('A payment with its allocations', params, view), async (req) => found(req, await loadOpsPayment(services.db, req.params.number), 'Payment'));

    const summary = 'Record a payment (credit card, cheque, wire, EFT) and allocate it to invoices';
    r.put('/payments/:number', writeRoute({ summary, description: RECORD, params, body: paymentBody, view }), async (req, reply) =>
      idempotentWrite(services, req, reply, async (trx) => written(await putPayment(trx, { number: req.params.number, ...req.body }), await loadOpsPayment(trx, req.params.number))),
    );
  };
