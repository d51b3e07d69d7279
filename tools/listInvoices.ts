import { z } from 'zod';
import { isIsoDate } from '../src/billing/dates.js';
import { dateParam, invoiceBrief, invoiceItem, limitParam } from './shared.js';
import { defineTool, ToolFailure } from './types.js';

const STATUS = ['paid', 'due', 'overdue', 'partially_paid', 'open', 'void'] as const;

export const listInvoices = defineTool({
  name: 'listInvoices',
  description:
    'Invoice history of this account, newest first, optionally filtered by status and by issue date range (e.g. "invoices from October", "paid invoices this year"). "open" means anything with an amount due.',
  parameters: z
    .object({
      status: z.enum(STATUS).nullable().describe('paid, due (not yet overdue), overdue, partially_paid, open (any amount due) or void; null for all'),
      from: dateParam('Issued on or after'),
      to: dateParam('Issued on or before'),
      limit: limitParam(50, 20),
    })
    .strict(),
  effect: 'read-only',
  label: () => 'Searching your invoices',
  async execute(ctx, args) {
    for (const [k, v] of [
      ['from', args.from],
      ['to', args.to],
    ] as const) {
      if (v && !isIsoDate(v)) throw new ToolFailure('invalid_date', `${k} is not a valid date: ${v}`);
    }
    if (args.from && args.to && args.from > args.to) throw new ToolFailure('invalid_range', '"from" is after "to".');
    const page = await ctx.billing.invoices(
      ctx.session.accountId,
      { status: args.status ?? undefined, from: args.from ?? undefined, to: args.to ?? undefined },
      { limit: args.limit ?? 20, offset: 0 },
    );
    const items = page.items.map((i) => invoiceItem(ctx, i));
    const filters = [args.status, args.from && `from ${args.from}`, args.to && `to ${args.to}`].filter(Boolean).join(', ');
    return {
      result: { count: items.length, more: page.nextOffset !== null, filters: filters || 'none', invoices: items.map(invoiceBrief) },
      cards: [{ type: 'invoice_list', title: filters ? `Invoices (${filters.replace('_', ' ')})` : 'Invoices', items, total: null, more: page.nextOffset !== null }],
    };
  },
});
