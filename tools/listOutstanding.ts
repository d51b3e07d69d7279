import { t } from '../src/i18n/index.js';
import { z } from 'zod';
import { money } from '../src/format/money.js';
import { cardLocale, invoiceBrief, invoiceBriefResult, invoiceItem, limitParam } from './shared.js';
import { defineTool } from './types.js';

export const listOutstandingResult = z.object({ count: z.number().int(), more: z.boolean(), totalDueShown: z.string(), invoices: z.array(invoiceBriefResult) });

export const listOutstanding = defineTool({
  name: 'listOutstanding',
  description: 'Invoices with an amount due (including overdue and partially paid), newest first.',
  parameters: z.object({ limit: limitParam(50, 10) }).strict(),
  result: listOutstandingResult,
  effect: 'read-only',
  // Reads this account's billing records; nothing outside is contacted.
  annotations: { readOnlyHint: true, openWorldHint: false },
  label: (_a, locale) => t(locale, 'cards.tool.outstanding'),
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
        invoices: page.items.map(invoiceBrief),
      },
      cards: [
        {
          type: 'invoice_list',
          title: t(cardLocale(ctx), 'cards.list.outstanding'),
          items,
          total: items.length ? money(totalCents, currency, cardLocale(ctx)) : null,
          more: page.nextOffset !== null,
        },
      ],
    };
  },
});
