import { t } from '../src/i18n/index.js';
import { z } from 'zod';
import type { CreditItem } from '../src/billing/queries.js';
import { formatMoney, money } from '../src/format/money.js';
import type { Locale } from '../src/i18n/locales.js';
import { cardLocale } from './shared.js';
import { defineTool } from './types.js';

export const listCreditsResult = z.object({
  count: z.number().int(),
  totalAvailable: z.string(),
  credits: z.array(
    z.object({ credit: z.string(), issued: z.string(), amount: z.string(), available: z.string(), availableCents: z.number().int(), reason: z.string(), appliedTo: z.array(z.string()) }),
  ),
});

/** One credit memo as its card shows it. */
function creditCardItem(c: CreditItem, locale: Locale) {
  return {
    creditNumber: c.number,
    issuedOn: c.issuedOn,
    amount: money(c.amountCents, c.currency, locale),
    available: money(c.availableCents, c.currency, locale),
    reason: c.reason,
    appliedTo: c.applications.map((a) => a.invoiceNumber),
  };
}

/** The line a model reads for one credit memo. */
function creditLine(c: ReturnType<typeof creditCardItem>): z.infer<typeof listCreditsResult>['credits'][number] {
  return { credit: c.creditNumber, issued: c.issuedOn, amount: formatMoney(BigInt(c.amount.cents), c.amount.currency), available: formatMoney(BigInt(c.available.cents), c.available.currency), availableCents: c.available.cents, reason: c.reason, appliedTo: c.appliedTo };
}

export const listCredits = defineTool({
  name: 'listCredits',
  description: 'Credit memos: amount, where applied, and what is still available.',
  parameters: z.object({}).strict(),
  result: listCreditsResult,
  effect: 'read-only',
  // Reads this account's billing records; nothing outside is contacted.
  annotations: { readOnlyHint: true, openWorldHint: false },
  label: (_a, locale) => t(locale, 'cards.tool.credits'),
  async execute(ctx) {
    const page = await ctx.billing.credits(ctx.session.accountId, { limit: 50, offset: 0 });
    const availableCents = page.items.reduce((s, c) => s + c.availableCents, 0n);
    const currency = page.items[0]?.currency ?? 'CAD';
    const available = money(availableCents, currency, cardLocale(ctx));
    const items = page.items.map((c) => creditCardItem(c, cardLocale(ctx)));
    return {
      result: { count: items.length, totalAvailable: formatMoney(availableCents, currency), credits: items.map(creditLine) },
      cards: [{ type: 'credit_list', items, available }],
    };
  },
});
