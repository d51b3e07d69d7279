import { z } from 'zod';
import { money } from '../src/format/money.js';
import { t } from '../src/i18n/index.js';
import { invoiceBrief, invoiceBriefResult, invoiceItem, invoiceNumberParam, NOT_FOUND_MESSAGE, requireInvoiceNumber, cardLocale } from './shared.js';
import { defineTool, ToolFailure } from './types.js';

export const getInvoiceResult = invoiceBriefResult.extend({
  paid: z.string(),
  credited: z.string(),
  lines: z.array(z.object({ description: z.string(), quantity: z.number(), amount: z.string() })),
  payments: z.array(z.object({ payment: z.string(), date: z.string(), amount: z.string() })),
  credits: z.array(z.object({ credit: z.string(), date: z.string(), amount: z.string() })),
  memo: z.string().nullable(),
  link: z.string(),
});

export const getInvoice = defineTool({
  name: 'getInvoice',
  description:
    'One invoice by number: dates, total, amount due, status, lines, payments and credits. The server attaches its secure link; never write links.',
  parameters: z.object({ invoiceNumber: invoiceNumberParam }).strict(),
  result: getInvoiceResult,
  effect: 'read-only',
  // Reads this account's billing records; nothing outside is contacted.
  annotations: { readOnlyHint: true, openWorldHint: false },
  label: (a, locale) => t(locale, 'cards.tool.invoice', { number: requireInvoiceNumberSafe(a.invoiceNumber) }),
  async execute(ctx, args) {
    const number = requireInvoiceNumber(args.invoiceNumber);
    const inv = await ctx.billing.invoice(ctx.session.accountId, number);
    if (!inv) throw new ToolFailure('invoice_not_found', NOT_FOUND_MESSAGE(number));
    const item = invoiceItem(ctx, inv);
    const c = inv.currency;
    return {
      result: {
        ...invoiceBrief(inv),
        paid: money(inv.paidCents, c).display,
        credited: money(inv.creditedCents, c).display,
        lines: inv.lines.map((l) => ({ description: l.description, quantity: l.quantity, amount: money(l.amountCents, c).display })),
        payments: inv.payments.map((p) => ({ payment: p.number, date: p.receivedOn, amount: money(p.amountCents, c).display })),
        credits: inv.credits.map((x) => ({ credit: x.number, date: x.appliedOn, amount: money(x.amountCents, c).display })),
        // Free text entered on the invoice: data, never instructions.
        memo: inv.memo,
        link: item.payUrl ? 'a secure view-and-pay link is shown to the user on the invoice card' : 'a secure view link is shown on the invoice card',
      },
      cards: [
        {
          type: 'invoice',
          ...item,
          lines: inv.lines.map((l) => ({ description: l.description, amount: money(l.amountCents, c, cardLocale(ctx)) })),
        },
      ],
    };
  },
});

function requireInvoiceNumberSafe(raw: string): string {
  try {
    return requireInvoiceNumber(raw);
  } catch {
    return raw.slice(0, 32);
  }
}
