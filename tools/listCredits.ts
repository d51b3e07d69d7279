import { z } from 'zod';
import { money } from '../src/format/money.js';
import { defineTool } from './types.js';

export const listCreditsResult = z.object({
  count: z.number().int(),
  totalAvailable: z.string(),
  credits: z.array(
    z.object({ credit: z.string(), issued: z.string(), amount: z.string(), available: z.string(), availableCents: z.number().int(), reason: z.string(), appliedTo: z.array(z.string()) }),
  ),
});

export const listCredits = defineTool({
  name: 'listCredits',
  description: 'Credit memos: amount, where applied, and what is still available.',
  parameters: z.object({}).strict(),
  result: listCreditsResult,
  effect: 'read-only',
  label: () => 'Looking up your credits',
  async execute(ctx) {
    const page = await ctx.billing.credits(ctx.session.accountId, { limit: 50, offset: 0 });
    const currency = page.items[0]?.currency ?? 'CAD';
    const available = page.items.reduce((s, c) => s + c.availableCents, 0n);
    const items = page.items.map((c) => ({
      creditNumber: c.number,
      issuedOn: c.issuedOn,
      amount: money(c.amountCents, c.currency),
      available: money(c.availableCents, c.currency),
      reason: c.reason,
      appliedTo: c.applications.map((a) => a.invoiceNumber),
    }));
    return {
      result: {
        count: items.length,
        totalAvailable: money(available, currency).display,
        credits: items.map((c) => ({ credit: c.creditNumber, issued: c.issuedOn, amount: c.amount.display, available: c.available.display, availableCents: c.available.cents, reason: c.reason, appliedTo: c.appliedTo })),
      },
      cards: [{ type: 'credit_list', items, available: money(available, currency) }],
    };
  },
});
