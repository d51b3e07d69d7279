export const INVOICE_STATUSES = ['paid', 'due', 'overdue', 'partially_paid', 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

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
