import { z } from 'zod';
import { isIsoDate } from '../src/billing/dates.js';
import { INVOICE_STATUS_FILTERS } from '../src/billing/status.js';
import { money } from '../src/format/money.js';
import { dateParam, invoiceBrief, invoiceBriefResult, invoiceItem, limitParam } from './shared.js';
import { defineTool, ToolFailure } from './types.js';

export const listInvoicesResult = z.object({ count: z.number().int(), more: z.boolean(), filters: z.string(), invoices: z.array(invoiceBriefResult) });

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
  label: () => 'Searching your invoices',
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
    const on = args.dateField === 'due' ? 'due ' : '';
    const filters = [
      args.status,
      args.from && `${on}from ${args.from}`,
      args.to && `${on}to ${args.to}`,
      args.over !== null && `over ${money(BigInt(args.over), page.items[0]?.currency ?? 'CAD').display}`,
      args.under !== null && `under ${money(BigInt(args.under), page.items[0]?.currency ?? 'CAD').display}`,
    ]
      .filter(Boolean)
      .join(', ');
    return {
      result: { count: items.length, more: page.nextOffset !== null, filters: filters || 'none', invoices: items.map(invoiceBrief) },
      cards: [{ type: 'invoice_list', title: filters ? `Invoices (${filters.replace('_', ' ')})` : 'Invoices', items, total: null, more: page.nextOffset !== null }],
    };
  },
});
