import { z } from 'zod';
import { money } from '../src/format/money.js';
import { t } from '../src/i18n/index.js';
import { cardLocale } from './shared.js';
import { defineTool, ToolFailure } from './types.js';

export const getBalanceResult = z.object({
  asOf: z.string(),
  currency: z.string(),
  balance: z.string(),
  balanceCents: z.number().int(),
  outstanding: z.string(),
  outstandingCents: z.number().int(),
  openInvoices: z.number().int(),
  overdue: z.string(),
  overdueCents: z.number().int(),
  overdueInvoices: z.number().int(),
  unappliedCredits: z.string(),
  nextDueOn: z.string().nullable(),
});

export const getBalance = defineTool({
  name: 'getBalance',
  description:
    "Current balance: outstanding on open invoices, the overdue part and count, unapplied credits, and balance (outstanding minus credits).",
  parameters: z.object({}).strict(),
  result: getBalanceResult,
  effect: 'read-only',
  // Reads this account's billing records; nothing outside is contacted.
  annotations: { readOnlyHint: true, openWorldHint: false },
  label: (_a, locale) => t(locale, 'cards.tool.balance'),
  async execute(ctx) {
    const b = await ctx.billing.balance(ctx.session.accountId);
    if (!b) throw new ToolFailure('account_not_found', 'This account was not found.');
    const m = (c: bigint) => money(c, b.currency, cardLocale(ctx));
    const en = (c: bigint) => money(c, b.currency).display;
    const card = {
      type: 'balance' as const,
      asOf: b.asOf,
      balance: m(b.balanceCents),
      outstanding: m(b.outstandingCents),
      overdue: m(b.overdueCents),
      overdueCount: b.overdueCount,
      openCount: b.openCount,
      unappliedCredits: m(b.unappliedCreditsCents),
      nextDueOn: b.nextDueOn,
    };
    return {
      result: {
        asOf: b.asOf,
        currency: b.currency,
        balance: en(b.balanceCents),
        balanceCents: card.balance.cents,
        outstanding: en(b.outstandingCents),
        outstandingCents: card.outstanding.cents,
        openInvoices: b.openCount,
        overdue: en(b.overdueCents),
        overdueCents: card.overdue.cents,
        overdueInvoices: b.overdueCount,
        unappliedCredits: en(b.unappliedCreditsCents),
        nextDueOn: b.nextDueOn,
      },
      cards: [card],
    };
  },
});
