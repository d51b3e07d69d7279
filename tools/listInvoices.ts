import { t } from '../src/i18n/index.js';
import { z } from 'zod';
import { isIsoDate } from '../src/billing/dates.js';
import { INVOICE_STATUS_FILTERS, type InvoiceStatusFilter } from '../src/billing/status.js';
import { formatDate } from '../src/format/dates.js';
import { formatMoney } from '../src/format/money.js';
import { DEFAULT_LOCALE, type Locale } from '../src/i18n/locales.js';
import { cardLocale, dateParam, invoiceBrief, invoiceBriefResult, invoiceItem, limitParam } from './shared.js';
import { defineTool, ToolFailure } from './types.js';

export const listInvoicesResult = z.object({ count: z.number().int(), more: z.boolean(), filters: z.string(), invoices: z.array(invoiceBriefResult) });

/** A status filter as a card title names it. */
const FILTER_KEYS: Record<InvoiceStatusFilter, string> = {
  open: 'cards.filter.open',
  due: 'cards.filter.due',
  overdue: 'cards.filter.overdue',
  paid: 'cards.filter.paid',
  partially_paid: 'cards.filter.partially_paid',
  void: 'cards.filter.void',
};

export const listInvoices = defineTool({
  name: 'listInvoices',
  description:
    'Invoice history, newest first, optionally filtered by status and by an issue or due date range.',
  parameters: z
    .object({
      status: z.enum(INVOICE_STATUS_FILTERS).nullable().describe('due = not yet overdue; open = any amount due; null for all'),
      from: dateParam('On or after'),
      to: dateParam('On or before'),
      dateField: z.enum(['issued', 'due']).nullable().describe('Date from/to apply to; null for issued'),
      // Bounds are checked below, not in the schema: every schema word (and number) is paid on every turn.
      over: z.number().nullable().describe('Total above, in cents'),
      under: z.number().nullable().describe('Total below, in cents'),
      limit: limitParam(50, 20),
    })
    .strict(),
  result: listInvoicesResult,
  effect: 'read-only',
  // Reads this account's billing records; nothing outside is contacted.
  annotations: { readOnlyHint: true, openWorldHint: false },
  label: (_a, locale) => t(locale, 'cards.tool.invoices'),
  async execute(ctx, args) {
    for (const [k, v] of [
      ['from', args.from],
      ['to', args.to],
    ] as const) {
      if (v && !isIsoDate(v)) throw new ToolFailure('invalid_date', `${k} is not a valid date: ${v}`);
    }
    for (const [k, v] of [
      ['over', args.over],
      ['under', args.under],
    ] as const) {
      if (v !== null && (!Number.isSafeInteger(v) || v < 0)) throw new ToolFailure('invalid_amount', `${k} must be a whole number of cents, 0 or more: ${v}`);
    }
    if (args.from && args.to && args.from > args.to) throw new ToolFailure('invalid_range', '"from" is after "to".');
    const page = await ctx.billing.invoices(
      ctx.session.accountId,
      { status: args.status ?? undefined, from: args.from ?? undefined, to: args.to ?? undefined, dateField: args.dateField ?? undefined, overCents: args.over ?? undefined, underCents: args.under ?? undefined },
      { limit: args.limit ?? 20, offset: 0 },
    );
    const items = page.items.map((i) => invoiceItem(ctx, i));
    /** The filters in words: ISO dates for the model, formatted ones in card titles. */
    const filtersIn = (locale: Locale, forPeople: boolean) => {
      const currency = page.items[0]?.currency ?? 'CAD';
      const due = args.dateField === 'due';
      return [
        args.status && t(locale, FILTER_KEYS[args.status]),
        args.from && t(locale, due ? 'cards.filter.dueFrom' : 'cards.filter.from', { date: forPeople ? formatDate(args.from, locale) : args.from }),
        args.to && t(locale, due ? 'cards.filter.dueTo' : 'cards.filter.to', { date: forPeople ? formatDate(args.to, locale) : args.to }),
        args.over !== null && t(locale, 'cards.filter.over', { amount: formatMoney(BigInt(args.over), currency, locale) }),
        args.under !== null && t(locale, 'cards.filter.under', { amount: formatMoney(BigInt(args.under), currency, locale) }),
      ]
        .filter(Boolean)
        .join(', ');
    };
    const filters = filtersIn(DEFAULT_LOCALE, false);
    const locale = cardLocale(ctx);
    const title = filters ? t(locale, 'cards.list.filtered', { filters: filtersIn(locale, true) }) : t(locale, 'cards.list.invoices');
    return {
      result: { count: items.length, more: page.nextOffset !== null, filters: filters || 'none', invoices: page.items.map(invoiceBrief) },
      cards: [{ type: 'invoice_list', title, items, total: null, more: page.nextOffset !== null }],
    };
  },
});
