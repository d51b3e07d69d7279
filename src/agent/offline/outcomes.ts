import { z } from 'zod';

/**
 * The tool results the offline engine reads, as the tools project them (tools/*.ts). Parsed
 * loosely: extra fields are ignored, and a result that does not parse is answered generically.
 */

export const toolError = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export const invoiceBrief = z.object({
  invoiceNumber: z.string(),
  issued: z.string(),
  due: z.string(),
  total: z.string(),
  amountDue: z.string(),
  status: z.string(),
});

export const balanceResult = z.object({
  asOf: z.string(),
  balance: z.string(),
  outstanding: z.string(),
  openInvoices: z.number(),
  overdue: z.string(),
  overdueInvoices: z.number(),
  unappliedCredits: z.string(),
  nextDueOn: z.string().nullable(),
});

export const invoiceResult = invoiceBrief.extend({
  paid: z.string().optional(),
  credited: z.string().optional(),
  lines: z.array(z.object({ description: z.string(), quantity: z.number().optional(), amount: z.string() })).optional(),
  payments: z.array(z.object({ payment: z.string(), date: z.string(), amount: z.string() })).optional(),
  credits: z.array(z.object({ credit: z.string(), date: z.string(), amount: z.string() })).optional(),
});

export const outstandingResult = z.object({
  count: z.number(),
  more: z.boolean(),
  totalDueShown: z.string(),
  invoices: z.array(invoiceBrief),
});

export const invoiceListResult = z.object({
  count: z.number(),
  more: z.boolean(),
  invoices: z.array(invoiceBrief),
});

export const paymentListResult = z.object({
  count: z.number(),
  more: z.boolean(),
  payments: z.array(z.object({ payment: z.string(), date: z.string(), amount: z.string(), method: z.string(), invoices: z.array(z.string()) })),
});

export const creditListResult = z.object({
  count: z.number(),
  totalAvailable: z.string(),
  credits: z.array(
    z.object({ credit: z.string(), issued: z.string(), amount: z.string(), available: z.string(), reason: z.string(), appliedTo: z.array(z.string()) }),
  ),
});

export const paymentLinkResult = invoiceBrief.extend({
  payable: z.boolean(),
  reason: z.string().optional(),
});

/** The email tool is not in the registry yet; its result is read defensively. */
export const emailResult = z.object({
  invoiceNumber: z.string().optional(),
  to: z.string().optional(),
  status: z.string().optional(),
  duplicate: z.boolean().optional(),
  sentAt: z.string().optional(),
  sentAtText: z.string().optional(),
});

export type ToolErrorResult = z.infer<typeof toolError>['error'];
export type InvoiceBrief = z.infer<typeof invoiceBrief>;
export type BalanceResult = z.infer<typeof balanceResult>;
export type InvoiceResult = z.infer<typeof invoiceResult>;

/** One tool call of this turn with its outcome. */
export interface CallOutcome {
  name: string;
  args: Record<string, unknown>;
  /** Parsed JSON content, or null when it was not JSON. */
  content: unknown;
}

export function errorOf(o: CallOutcome): ToolErrorResult | null {
  const e = toolError.safeParse(o.content);
  return e.success ? e.data.error : null;
}

export function parseAs<T>(schema: z.ZodType<T>, o: CallOutcome): T | null {
  const r = schema.safeParse(o.content);
  return r.success ? r.data : null;
}
