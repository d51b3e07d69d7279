/**
 * The catalogue key of an invoice status label (the server's views and the widget's pill both read
 * it; src/billing/status.ts decides the status). Overdue and partially paid together has its own label.
 */
export const STATUS_LABEL_KEYS = {
  paid: 'status.paid',
  due: 'status.due',
  overdue: 'status.overdue',
  partially_paid: 'status.partially_paid',
  void: 'status.void',
} as const;

export const OVERDUE_PARTIALLY_PAID_KEY = 'status.overdue_partially_paid';

export function statusLabelKey(status: string, partiallyPaid = false): string {
  if (status === 'overdue' && partiallyPaid) return OVERDUE_PARTIALLY_PAID_KEY;
  return (STATUS_LABEL_KEYS as Record<string, string>)[status] ?? STATUS_LABEL_KEYS.due;
}
