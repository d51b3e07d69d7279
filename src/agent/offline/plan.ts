import { listInvoicesResult } from '../../../tools/listInvoices.js';
import { listOutstandingResult } from '../../../tools/listOutstanding.js';
import { MAX_INVOICES, pickSuperlative } from '../references.js';
import type { Intent } from './resolve.js';
import { errorOf, parseAs, type CallOutcome } from './outcomes.js';

/**
 * Planning: which tool calls an intent needs in a given round, knowing the results of its
 * earlier rounds in this turn. Most intents take one round; paying all overdue invoices takes
 * two (list them, then one payment link each).
 */

export interface PlannedCall {
  name: string;
  args: Record<string, unknown>;
}

/** Email calls planned for a message that names several addresses (each is refused with the same whole answer). */
const MAX_SEVERAL_CALLS = 5;

/** Hard stop on rounds per turn, well within the loop's own bound. */
export const MAX_ENGINE_ROUNDS = 3;

function openFrom(outcome: CallOutcome | undefined) {
  if (!outcome || errorOf(outcome)) return [];
  const list = parseAs(listOutstandingResult, outcome)?.invoices ?? parseAs(listInvoicesResult, outcome)?.invoices ?? [];
  return list.filter((i) => i.amountDueCents > 0);
}

/** Invoices of a list result (listInvoices or listOutstanding) that still have something due. */
export function payableFrom(outcome: CallOutcome | undefined): string[] {
  return openFrom(outcome).map((i) => i.invoiceNumber);
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
            args: {
              status: intent.status,
              from: intent.period?.from ?? null,
              to: intent.period?.to ?? null,
              dateField: intent.dateField,
              over: intent.amount?.overCents ?? null,
              under: intent.amount?.underCents ?? null,
              limit: intent.limit,
            },
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
          ? [{ name: 'listInvoices', args: { status: 'overdue', from: null, to: null, dateField: null, limit: 50 } }]
          : [{ name: 'listOutstanding', args: { limit: 50 } }];
      case 'payPick':
        return [{ name: 'listOutstanding', args: { limit: 50 } }];
      case 'pick':
        return intent.overdue
          ? [{ name: 'listInvoices', args: { status: 'overdue', from: null, to: null, dateField: null, limit: 50 } }]
          : [{ name: 'listOutstanding', args: { limit: 50 } }];
      case 'handoff':
        return [{ name: 'requestBillingFollowUp', args: { topic: intent.topic, invoiceNumber: intent.number } }];
      case 'email':
        return [{ name: 'emailInvoicePdf', args: { invoiceNumber: intent.number, to: intent.to } }];
      case 'emailSeveral': {
        // Asked about each address as typed (up to a few): the tool's approval answers the request as a whole.
        const number = intent.number;
        return number ? intent.to.slice(0, MAX_SEVERAL_CALLS).map((to) => ({ name: 'emailInvoicePdf', args: { invoiceNumber: number, to } })) : [];
      }
      default:
        return [];
    }
  }
  if (round === 1) {
    const first = done[0]?.[0];
    if (intent.kind === 'payAll') {
      return payableFrom(first)
        .filter((n) => !intent.except?.includes(n))
        .slice(0, MAX_INVOICES)
        .map((n) => ({ name: 'createPaymentLink', args: { invoiceNumber: n } }));
    }
    if (intent.kind === 'pick') {
      const picked = pickSuperlative(
        openFrom(first).map((i) => ({ invoiceNumber: i.invoiceNumber, state: i.state, amountDueCents: i.amountDueCents, totalCents: i.totalCents, issued: i.issued, due: i.due })),
        intent.by,
        intent.dir,
      );
      if (!picked) return [];
      return [{ name: intent.action === 'pay' ? 'createPaymentLink' : 'getInvoice', args: { invoiceNumber: picked.invoiceNumber } }];
    }
    if (intent.kind === 'payPick') {
      const payable = payableFrom(first);
      return payable.length === 1 ? [{ name: 'createPaymentLink', args: { invoiceNumber: payable[0]! } }] : [];
    }
  }
  return [];
}
