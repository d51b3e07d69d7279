import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { putCreditApplication, putCreditMemo } from '../../../billing/ops/payments.js';
import { creditApplicationBody, creditMemoBody, externalNumberField, invoiceNumberField } from '../../../billing/ops/schemas.js';
import { loadOpsCreditMemo, opsCreditMemoView as view } from '../../../billing/ops/views.js';
import type { Services } from '../../../services.js';
import { found, idempotentWrite, readRoute, writeRoute, written } from './billing-common.js';

/** Credit memos the billing system issued and their applications to invoices (scopes billing:write, billing:read). */

const params = z.object({ number: externalNumberField });
const applicationParams = params.extend({ invoiceNumber: invoiceNumberField });
/** A credit memo named in the URL that does not exist is the route's 404. */
const UNKNOWN_MEMO = 404;

const ISSUE = "Until applied, its amount counts as the account's unapplied credit. The amount, date and currency never change. 201 issued, 200 otherwise.";
const APPLY =
  "Once per memo and invoice, to an open invoice of the memo's account in its currency, within what the memo has available and the invoice's amount due. An application never changes. The answer is the credit memo. 201 applied, 200 otherwise.";

export const opsCreditsRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get('/credit-memos/:number', readRoute('A credit memo with its applications', params, view), async (req) =>
      found(req, await loadOpsCreditMemo(services.db, req.params.number), 'Credit memo'),
    );

    r.put('/credit-memos/:number', writeRoute({ summary: 'Issue a credit memo, or update its reason', description: ISSUE, params, body: creditMemoBody, view }), async (req, reply) =>
      idempotentWrite(services, req, reply, async (trx) => written(await putCreditMemo(trx, { number: req.params.number, ...req.body }), await loadOpsCreditMemo(trx, req.params.number))),
    );

    const apply = writeRoute({ summary: 'Apply (part of) a credit memo to an invoice', description: APPLY, params: applicationParams, body: creditApplicationBody, view });
    r.put('/credit-memos/:number/applications/:invoiceNumber', apply, async (req, reply) =>
      idempotentWrite(services, req, reply, async (trx) => {
        const { number, invoiceNumber } = req.params;
        const change = await putCreditApplication(trx, { creditNumber: number, invoiceNumber, ...req.body }, UNKNOWN_MEMO);
        return written(change, await loadOpsCreditMemo(trx, number));
      }),
    );
  };
