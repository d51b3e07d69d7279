import type { Area } from './types.js';

/** Invoice statuses as people read them (src/billing/status.ts decides which applies). */
export const status = {
  'en-CA': {
    paid: 'Paid',
    due: 'Due',
    overdue: 'Overdue',
    partially_paid: 'Partially paid',
    overdue_partially_paid: 'Overdue (partially paid)',
    void: 'Void',
  },
  'fr-CA': {
    paid: 'Payée',
    due: 'À payer',
    overdue: 'En retard',
    partially_paid: 'Partiellement payée',
    overdue_partially_paid: 'En retard (partiellement payée)',
    void: 'Annulée',
  },
} satisfies Area;
