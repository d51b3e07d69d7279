import { z } from 'zod';

/** Cards: structured answers rendered by the server from tool results (the authoritative links and amounts). */

export const cardMoney = z.object({ amount: z.string(), cents: z.number().int(), currency: z.string(), display: z.string() });

export const invoiceCardItem = z.object({
  invoiceNumber: z.string(),
  issuedOn: z.string(),
  dueOn: z.string(),
  total: cardMoney,
  amountDue: cardMoney,
  status: z.string(),
  statusLabel: z.string(),
  url: z.string().describe('signed link to the invoice page'),
  payUrl: z.string().nullable().describe('same page, when something is due'),
});

export const cardSchema = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('balance'),
      asOf: z.string(),
      balance: cardMoney,
      outstanding: cardMoney,
      overdue: cardMoney,
      overdueCount: z.number().int(),
      openCount: z.number().int(),
      unappliedCredits: cardMoney,
      nextDueOn: z.string().nullable(),
    }),
    invoiceCardItem.extend({
      type: z.literal('invoice'),
      lines: z.array(z.object({ description: z.string(), amount: cardMoney })).optional(),
    }),
    z.object({ type: z.literal('invoice_list'), title: z.string(), items: z.array(invoiceCardItem), total: cardMoney.nullable(), more: z.boolean() }),
    z.object({
      type: z.literal('payment_list'),
      items: z.array(z.object({ paymentNumber: z.string(), receivedOn: z.string(), amount: cardMoney, method: z.string(), invoices: z.array(z.string()) })),
      more: z.boolean(),
    }),
    z.object({
      type: z.literal('credit_list'),
      items: z.array(
        z.object({ creditNumber: z.string(), issuedOn: z.string(), amount: cardMoney, available: cardMoney, reason: z.string(), appliedTo: z.array(z.string()) }),
      ),
      available: cardMoney,
    }),
    z.object({
      type: z.literal('email_receipt'),
      invoiceNumber: z.string(),
      to: z.string(),
      sentAt: z.string(),
      status: z.string(),
      duplicate: z.boolean(),
    }),
    z.object({
      type: z.literal('confirm'),
      /** The server-side proposal the Approve / Decline buttons act on. */
      proposalId: z.string(),
      tool: z.string(),
      action: z.enum(['email_invoice', 'follow_up']),
      /** One sentence saying exactly what would happen. */
      summary: z.string(),
      invoiceNumber: z.string().nullable(),
      to: z.string().nullable(),
      expiresAt: z.string(),
    }),
    z.object({
      type: z.literal('followup_receipt'),
      reference: z.string(),
      topic: z.enum(['dispute', 'extension', 'refund', 'other']),
      invoiceNumber: z.string().nullable(),
      createdAt: z.string(),
    }),
  ])
  .describe('Card');

export type Card = z.infer<typeof cardSchema>;
export type CardMoney = z.infer<typeof cardMoney>;
export type InvoiceCardItem = z.infer<typeof invoiceCardItem>;
