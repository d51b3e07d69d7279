import { t } from '../src/i18n/index.js';
import { z } from 'zod';
import { isIsoDate } from '../src/billing/dates.js';
import type { PaymentItem } from '../src/billing/queries.js';
import { formatMoney, money } from '../src/format/money.js';
import type { Locale } from '../src/i18n/locales.js';
import { cardLocale, dateParam, limitParam } from './shared.js';
import { defineTool, ToolFailure } from './types.js';

export const listPaymentsResult = z.object({
  count: z.number().int(),
  more: z.boolean(),
  payments: z.array(z.object({ payment: z.string(), date: z.string(), amount: z.string(), amountCents: z.number().int(), method: z.string(), invoices: z.array(z.string()) })),
});

/** One payment as its card shows it. */
function paymentCardItem(p: PaymentItem, locale: Locale) {
  return { paymentNumber: p.number, receivedOn: p.receivedOn, amount: money(p.amountCents, p.currency, locale), method: p.method, invoices: p.allocations.map((a) => a.invoiceNumber) };
}

/** The line a model reads for one payment. */
function paymentLine(p: ReturnType<typeof paymentCardItem>): z.infer<typeof listPaymentsResult>['payments'][number] {
  return { payment: p.paymentNumber, date: p.receivedOn, amount: formatMoney(BigInt(p.amount.cents), p.amount.currency), amountCents: p.amount.cents, method: p.method, invoices: p.invoices };
}

export const listPayments = defineTool({
  name: 'listPayments',
  description: 'Payments made, newest first, with the invoices each paid; optionally within a date range.',
  parameters: z.object({ from: dateParam('Received on or after'), to: dateParam('Received on or before'), limit: limitParam(50, 20) }).strict(),
  result: listPaymentsResult,
  effect: 'read-only',
  // Reads this account's billing records; nothing outside is contacted.
  annotations: { readOnlyHint: true, openWorldHint: false },
  label: (_a, locale) => t(locale, 'cards.tool.payments'),
  async execute(ctx, args) {
    for (const v of [args.from, args.to]) if (v && !isIsoDate(v)) throw new ToolFailure('invalid_date', `Not a valid date: ${v}`);
    if (args.from && args.to && args.from > args.to) throw new ToolFailure('invalid_range', '"from" is after "to".');
    const page = await ctx.billing.payments(
      ctx.session.accountId,
      { from: args.from ?? undefined, to: args.to ?? undefined },
      { limit: args.limit ?? 20, offset: 0 },
    );
    const items = page.items.map((x) => paymentCardItem(x, cardLocale(ctx)));
    const more = page.nextOffset !== null;
    return {
      result: { count: items.length, more, payments: items.map(paymentLine) },
      cards: [{ type: 'payment_list', items, more }],
    };
  },
});
