import type { Intent } from './resolve.js';
import { MAX_INVOICES } from './resolve.js';
import { errorOf, invoiceListResult, outstandingResult, parseAs, type CallOutcome } from './results.js';

/**
 * Planning: which tool calls an intent needs in a given round, knowing the results of its
 * earlier rounds in this turn. Most intents take one round; paying all overdue invoices takes
 * two (list them, then one payment link each).
 */

export interface PlannedCall {
  name: string;
  args: Record<string, unknown>;
}

/** Hard stop on rounds per turn, well within the loop's own bound. */
export const MAX_ENGINE_ROUNDS = 3;

const isZero = (display: string) => !/[1-9]/.test(display);

/** Invoices of a list result (listInvoices or listOutstanding) that still have something due. */
export function payableFrom(outcome: CallOutcome | undefined): string[] {
  if (!outcome || errorOf(outcome)) return [];
  const list = parseAs(outstandingResult, outcome)?.invoices ?? parseAs(invoiceListResult, outcome)?.invoices ?? [];
  return list.filter((i) => !isZero(i.amountDue)).map((i) => i.invoiceNumber);
}

export function step(intent: Intent, round: number, done: CallOutcome[][]): PlannedCall[] {
  if (round === 0) {
    switch (intent.kind) {
      case 'balance':
        return [{ name: 'getBalance', args: {} }];
      case 'show':
        return intent.numbers.map((n) => ({ name: 'getInvoice', args: { invoiceNumber: n } }));
      case 'outstanding':
        return [{ name: 'listOutstanding', args: { limit: intent.limit } }];
      case 'invoices':
        return [
          {
            name: 'listInvoices',
            args: { status: intent.status, from: intent.period?.from ?? null, to: intent.period?.to ?? null, limit: intent.limit },
          },
        ];
      case 'payments':
        return [{ name: 'listPayments', args: { from: intent.period?.from ?? null, to: intent.period?.to ?? null, limit: intent.limit } }];
      case 'credits':
        return [{ name: 'listCredits', args: {} }];
      case 'pay':
        return intent.numbers.map((n) => ({ name: 'createPaymentLink', args: { invoiceNumber: n } }));
      case 'payAll':
        return intent.scope === 'overdue'
          ? [{ name: 'listInvoices', args: { status: 'overdue', from: null, to: null, limit: 50 } }]
          : [{ name: 'listOutstanding', args: { limit: 50 } }];
      case 'payPick':
        return [{ name: 'listOutstanding', args: { limit: 50 } }];
      case 'email':
        return [{ name: 'emailInvoicePdf', args: { invoiceNumber: intent.number, to: intent.to } }];
      default:
        return [];
    }
  }
  if (round === 1) {
    const first = done[0]?.[0];
    if (intent.kind === 'payAll') {
      return payableFrom(first)
        .slice(0, MAX_INVOICES)
        .map((n) => ({ name: 'createPaymentLink', args: { invoiceNumber: n } }));
    }
    if (intent.kind === 'payPick') {
      const payable = payableFrom(first);
      return payable.length === 1 ? [{ name: 'createPaymentLink', args: { invoiceNumber: payable[0]! } }] : [];
    }
  }
  return [];
}
