import { z } from 'zod';
import { isIsoDate } from '../src/billing/dates.js';
import type { PaymentItem } from '../src/billing/queries.js';
import { money } from '../src/format/money.js';
import { dateParam, limitParam } from './shared.js';
import { defineTool, ToolFailure } from './types.js';

export const listPaymentsResult = z.object({
  count: z.number().int(),
  more: z.boolean(),
  payments: z.array(z.object({ payment: z.string(), date: z.string(), amount: z.string(), amountCents: z.number().int(), method: z.string(), invoices: z.array(z.string()) })),
});

/** One payment as its card shows it. */
function paymentCardItem(p: PaymentItem) {
  return { paymentNumber: p.number, receivedOn: p.receivedOn, amount: money(p.amountCents, p.currency), method: p.method, invoices: p.allocations.map((a) => a.invoiceNumber) };
}

/** The line a model reads for one payment. */
function paymentLine(p: ReturnType<typeof paymentCardItem>): z.infer<typeof listPaymentsResult>['payments'][number] {
  return { payment: p.paymentNumber, date: p.receivedOn, amount: p.amount.display, amountCents: p.amount.cents, method: p.method, invoices: p.invoices };
}

export const listPayments = defineTool({
  name: 'listPayments',
  description: 'Payments made, newest first, with the invoices each paid; optionally within a date range.',
  parameters: z.object({ from: dateParam('Received on or after'), to: dateParam('Received on or before'), limit: limitParam(50, 20) }).strict(),
  result: listPaymentsResult,
  effect: 'read-only',
  label: () => 'Looking up your payments',
  async execute(ctx, args) {
    for (const v of [args.from, args.to]) if (v && !isIsoDate(v)) throw new ToolFailure('invalid_date', `Not a valid date: ${v}`);
    if (args.from && args.to && args.from > args.to) throw new ToolFailure('invalid_range', '"from" is after "to".');
    const page = await ctx.billing.payments(
      ctx.session.accountId,
      { from: args.from ?? undefined, to: args.to ?? undefined },
      { limit: args.limit ?? 20, offset: 0 },
    );
    const items = page.items.map(paymentCardItem);
    const more = page.nextOffset !== null;
    return {
      result: { count: items.length, more, payments: items.map(paymentLine) },
      cards: [{ type: 'payment_list', items, more }],
    };
  },
});
