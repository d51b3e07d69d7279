/** Every status but void (a cancelled invoice), in display order. */
const NOT_VOID = ['paid', 'due', 'overdue', 'partially_paid'] as const;

/** The statuses an invoice has: the one list every schema, type and filter derives from. */
export const INVOICE_STATUSES = [...NOT_VOID, 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** What an invoice search filters on: a status, or `open` (anything still to pay: due, overdue or partially paid). */
export const OPEN_FILTER = 'open';

/**
 * The search filters in the order the listInvoices tool schema has always listed them (`open`
 * before `void`): that schema is part of the measured prompt prefix, kept byte for byte.
 */
export const INVOICE_STATUS_FILTERS = [...NOT_VOID, OPEN_FILTER, 'void'] as const;
export type InvoiceStatusFilter = (typeof INVOICE_STATUS_FILTERS)[number];

export interface StatusInput {
  total_cents: bigint;
  paid_cents: bigint;
  credited_cents: bigint;
  amount_due_cents: bigint;
  due_on: string;
  voided_at: Date | string | null;
}

/**
 * The status a reseller sees. Overdue wins over partially paid (the label says both);
 * "partially_paid" is an open, not-yet-overdue invoice with something already settled.
 */
export function invoiceStatus(inv: StatusInput, today: string): { status: InvoiceStatus; label: string; partiallyPaid: boolean } {
  if (inv.voided_at) return { status: 'void', label: 'Void', partiallyPaid: false };
  if (inv.amount_due_cents <= 0n) return { status: 'paid', label: 'Paid', partiallyPaid: false };
  const partiallyPaid = inv.paid_cents + inv.credited_cents > 0n;
  if (inv.due_on < today) return { status: 'overdue', label: partiallyPaid ? 'Overdue (partially paid)' : 'Overdue', partiallyPaid };
  if (partiallyPaid) return { status: 'partially_paid', label: 'Partially paid', partiallyPaid };
  return { status: 'due', label: 'Due', partiallyPaid };
}
