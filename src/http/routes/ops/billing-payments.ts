import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { putPayment } from '../../../billing/ops/payments.js';
import { externalNumberField, paymentBody } from '../../../billing/ops/schemas.js';
import { loadOpsPayment, opsPaymentView } from '../../../billing/ops/views.js';
import type { Services } from '../../../services.js';
import { opsSecurity as security } from '../../ops-auth.js';
import { canRead, canWrite, found, idempotencyHeaders, idempotentWrite, readResponses, writeResponses, written } from './billing-common.js';

/** Payments the billing system received (scopes billing:write, billing:read), with their allocations to invoices. */

const tags = ['ops'];
const params = z.object({ number: externalNumberField });

export const opsPaymentsRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(
      '/payments/:number',
      { onRequest: canRead, schema: { tags, summary: 'A payment with its allocations (billing:read)', security, params, response: readResponses(opsPaymentView) } },
      async (req) => found(req, await loadOpsPayment(services.db, req.params.number), 'Payment'),
    );

    r.put(
      '/payments/:number',
      {
        onRequest: canWrite,
        schema: {
          tags,
          summary: 'Record a payment (credit card, cheque, wire, EFT) and allocate it to invoices (billing:write)',
          description:
            "Each allocation goes to an open invoice of the account, in the payment's currency, within its amount due; together within the payment. What is not allocated stays on the payment as `unallocatedCents`: no invoice and no balance counts it until a later PUT of the same payment adds allocations (those already recorded must be listed unchanged). The amount, date, currency and method never change. 201 recorded, 200 otherwise.",
          security,
          headers: idempotencyHeaders,
          params,
          body: paymentBody,
          response: writeResponses(opsPaymentView),
        },
      },
      async (req, reply) =>
        idempotentWrite(services, req, reply, async (trx) => {
          const change = await putPayment(trx, { number: req.params.number, ...req.body });
          return written(change, await loadOpsPayment(trx, req.params.number));
        }),
    );
  };
