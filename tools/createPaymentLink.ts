import { t } from '../src/i18n/index.js';
import { z } from 'zod';
import { invoiceBrief, invoiceBriefResult, invoiceItem, invoiceNumberParam, NOT_FOUND_MESSAGE, requireInvoiceNumber } from './shared.js';
import { defineTool, ToolFailure } from './types.js';

export const createPaymentLinkResult = invoiceBriefResult.extend({ payable: z.boolean(), reason: z.string().optional(), link: z.string().optional() });

export const createPaymentLink = defineTool({
  name: 'createPaymentLink',
  description:
    'Signed link to the secure payment page for one invoice, shown on a card. The only way to pay: never ask for or accept card details in chat.',
  parameters: z.object({ invoiceNumber: invoiceNumberParam }).strict(),
  result: createPaymentLinkResult,
  effect: 'read-only',
  // Signs a link to our own pay page and changes nothing; Stripe is reached only when the person pays on that page.
  annotations: { readOnlyHint: true, openWorldHint: false },
  label: (a, locale) => t(locale, 'cards.tool.paymentLink', { number: a.invoiceNumber.slice(0, 32) }),
  async execute(ctx, args) {
    const number = requireInvoiceNumber(args.invoiceNumber);
    const inv = await ctx.billing.invoice(ctx.session.accountId, number);
    if (!inv) throw new ToolFailure('invoice_not_found', NOT_FOUND_MESSAGE(number));
    const item = invoiceItem(ctx, inv);
    if (!item.payUrl) {
      return {
        result: { ...invoiceBrief(inv), payable: false, reason: inv.status === 'void' ? 'The invoice is void.' : 'Nothing is due on this invoice.' },
        cards: [{ type: 'invoice', ...item }],
      };
    }
    return {
      result: { ...invoiceBrief(inv), payable: true, link: 'shown to the user on the invoice card (Pay button)' },
      cards: [{ type: 'invoice', ...item }],
    };
  },
});
