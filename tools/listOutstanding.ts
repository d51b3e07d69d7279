import { z } from 'zod';
import { money } from '../src/format/money.js';
import { invoiceBrief, invoiceBriefResult, invoiceItem, limitParam } from './shared.js';
import { defineTool } from './types.js';

export const listOutstandingResult = z.object({ count: z.number().int(), more: z.boolean(), totalDueShown: z.string(), invoices: z.array(invoiceBriefResult) });

export const listOutstanding = defineTool({
  name: 'listOutstanding',
  description: 'Invoices with an amount due (including overdue and partially paid), newest first.',
  parameters: z.object({ limit: limitParam(50, 10) }).strict(),
  result: listOutstandingResult,
  effect: 'read-only',
  label: () => 'Finding your outstanding invoices',
  async execute(ctx, args) {
    const page = await ctx.billing.outstanding(ctx.session.accountId, { limit: args.limit ?? 10, offset: 0 });
    const items = page.items.map((i) => invoiceItem(ctx, i));
    const currency = page.items[0]?.currency ?? 'CAD';
    const totalCents = page.items.reduce((s, i) => s + i.amountDueCents, 0n);
    return {
      result: {
        count: items.length,
        more: page.nextOffset !== null,
        totalDueShown: money(totalCents, currency).display,
        invoices: items.map(invoiceBrief),
      },
      cards: [
        {
          type: 'invoice_list',
          title: 'Outstanding invoices',
          items,
          total: items.length ? money(totalCents, currency) : null,
          more: page.nextOffset !== null,
        },
      ],
    };
  },
});
