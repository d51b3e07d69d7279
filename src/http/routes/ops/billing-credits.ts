import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { putCreditApplication, putCreditMemo } from '../../../billing/ops/payments.js';
import { creditApplicationBody, creditMemoBody, externalNumberField, invoiceNumberField } from '../../../billing/ops/schemas.js';
import { loadOpsCreditMemo, opsCreditMemoView } from '../../../billing/ops/views.js';
import type { Services } from '../../../services.js';
import { opsSecurity as security } from '../../ops-auth.js';
import { canRead, canWrite, found, idempotencyHeaders, idempotentWrite, readResponses, writeResponses, written } from './billing-common.js';

/** Credit memos the billing system issued and their applications to invoices (scopes billing:write, billing:read). */

const tags = ['ops'];
const params = z.object({ number: externalNumberField });
const UNKNOWN_MEMO = 404;

export const opsCreditsRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(
      '/credit-memos/:number',
      { onRequest: canRead, schema: { tags, summary: 'A credit memo with its applications (billing:read)', security, params, response: readResponses(opsCreditMemoView) } },
      async (req) => found(req, await loadOpsCreditMemo(services.db, req.params.number), 'Credit memo'),
    );

    r.put(
      '/credit-memos/:number',
      {
        onRequest: canWrite,
        schema: {
          tags,
          summary: 'Issue a credit memo, or update its reason (billing:write)',
          description: "Until applied, its amount counts as the account's unapplied credit. The amount, date and currency never change. 201 issued, 200 otherwise.",
          security,
          headers: idempotencyHeaders,
          params,
          body: creditMemoBody,
          response: writeResponses(opsCreditMemoView),
        },
      },
      async (req, reply) =>
        idempotentWrite(services, req, reply, async (trx) => {
          const change = await putCreditMemo(trx, { number: req.params.number, ...req.body });
          return written(change, await loadOpsCreditMemo(trx, req.params.number));
        }),
    );

    r.put(
      '/credit-memos/:number/applications/:invoiceNumber',
      {
        onRequest: canWrite,
        schema: {
          tags,
          summary: 'Apply (part of) a credit memo to an invoice (billing:write)',
          description:
            "Once per memo and invoice, to an open invoice of the memo's account in its currency, within what the memo has available and the invoice's amount due. An application never changes. The answer is the credit memo. 201 applied, 200 otherwise.",
          security,
          headers: idempotencyHeaders,
          params: params.extend({ invoiceNumber: invoiceNumberField }),
          body: creditApplicationBody,
          response: writeResponses(opsCreditMemoView),
        },
      },
      async (req, reply) =>
        idempotentWrite(services, req, reply, async (trx) => {
          const change = await putCreditApplication(trx, { creditNumber: req.params.number, invoiceNumber: req.params.invoiceNumber, ...req.body }, UNKNOWN_MEMO);
          return written(change, await loadOpsCreditMemo(trx, req.params.number));
        }),
    );
  };
