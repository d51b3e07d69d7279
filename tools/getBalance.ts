import { z } from 'zod';
import { money } from '../src/billing/money.js';
import { defineTool, ToolFailure } from './types.js';

export const getBalance = defineTool({
  name: 'getBalance',
  description:
    "The account's current balance: amount outstanding on open invoices, the overdue part (and how many invoices), unapplied credits, and the balance (outstanding minus unapplied credits).",
  parameters: z.object({}).strict(),
  effect: 'read-only',
  label: () => 'Checking your balance',
  async execute(ctx) {
    const b = await ctx.billing.balance(ctx.session.accountId);
    if (!b) throw new ToolFailure('account_not_found', 'This account was not found.');
    const m = (c: bigint) => money(c, b.currency);
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
        balance: card.balance.display,
        outstanding: card.outstanding.display,
        openInvoices: b.openCount,
        overdue: card.overdue.display,
        overdueInvoices: b.overdueCount,
        unappliedCredits: card.unappliedCredits.display,
        nextDueOn: b.nextDueOn,
      },
      cards: [card],
    };
  },
});
