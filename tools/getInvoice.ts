import { z } from 'zod';
import { money } from '../src/billing/money.js';
import { invoiceBrief, invoiceItem, invoiceNumberParam, NOT_FOUND_MESSAGE, requireInvoiceNumber } from './shared.js';
import { defineTool, ToolFailure } from './types.js';

export const getInvoice = defineTool({
  name: 'getInvoice',
  description:
    'One invoice of this account by number: dates, total, amount due, status, lines, payments and credits applied. The server attaches a secure link to view and pay it; do not write links yourself.',
  parameters: z.object({ invoiceNumber: invoiceNumberParam }).strict(),
  effect: 'read-only',
  label: (a) => `Looking up invoice ${requireInvoiceNumberSafe(a.invoiceNumber)}`,
  async execute(ctx, args) {
    const number = requireInvoiceNumber(args.invoiceNumber);
    const inv = await ctx.billing.invoice(ctx.session.accountId, number);
    if (!inv) throw new ToolFailure('invoice_not_found', NOT_FOUND_MESSAGE(number));
    const item = invoiceItem(ctx, inv);
    const c = inv.currency;
    return {
      result: {
        ...invoiceBrief(item),
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
          lines: inv.lines.map((l) => ({ description: l.description, amount: money(l.amountCents, c) })),
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
