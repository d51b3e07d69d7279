import { formatDate } from '../../format/dates.js';
import { formatMoney } from '../../format/money.js';
import { listInvoicesResult as invoiceListResult } from '../../../tools/listInvoices.js';
import { listOutstandingResult as outstandingResult } from '../../../tools/listOutstanding.js';
import type { InvoiceBriefResult as InvoiceBrief } from '../../../tools/shared.js';
import { errorOf, parseAs, type CallOutcome, type ToolErrorResult } from './outcomes.js';

/**
 * What every answer of the composer (compose.ts) shares: the questions it asks, the lookup-failed
 * and error replies, counting and joining words, money sums, and one line per invoice.
 */

/** Questions the engine asks; what it asked is stored as data (the note's `pending`), never read back from this text. */
export const ASK = {
  pay: 'Which invoice would you like to pay',
  email: 'Which invoice should I email',
  show: 'Which invoice would you like to see',
  address: 'Which email address should I send',
  offerPayOverdue: 'Would you like secure payment links for your overdue invoices?',
} as const;

export const LOOKUP_FAILED = "I couldn't look that up just now. Please try again in a moment; your invoices and balance are also on the Billing pages of the portal.";

export const isZero = (display: string) => !/[1-9]/.test(display);
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
export const date = (iso: string) => formatDate(iso);

/** "a, b and c" */
export function joinAnd(xs: string[], word = 'and'): string {
  if (xs.length <= 1) return xs[0] ?? '';
  return `${xs.slice(0, -1).join(', ')} ${word} ${xs[xs.length - 1]}`;
}

/** A list answer names at most this many invoices (or payments, credits) in its text: the cards carry the rows. */
export const MAX_NAMED = 5;

/** ": A, B and C" to end a summary sentence when there are MAX_NAMED or fewer, else nothing. */
export function named(numbers: string[]): string {
  return numbers.length > 0 && numbers.length <= MAX_NAMED ? `: ${joinAnd(numbers)}` : '';
}

/** Sums money displays ("$1,234.56") exactly, in cents; null unless they share one currency prefix. */
export function sumDisplays(displays: string[]): string | null {
  let cents = 0n;
  let prefix: string | null = null;
  for (const d of displays) {
    const m = /^(-?)([^\d-]*)([\d,]+)\.(\d{2})$/.exec(d.trim());
    if (!m) return null;
    if (prefix === null) prefix = m[2]!;
    else if (prefix !== m[2]) return null;
    const c = BigInt(m[3]!.replace(/,/g, '')) * 100n + BigInt(m[4]!);
    cents += m[1] ? -c : c;
  }
  // Results name their currency only by the displays' prefix ("$", "€", "JPY "): the sum keeps it.
  return formatMoney(cents).replace('$', () => prefix ?? '$');
}

export function errorText(e: ToolErrorResult, subject: string | null): string {
  switch (e.code) {
    case 'invoice_not_found':
      return `I couldn't find ${subject ? `invoice ${subject}` : 'that invoice'} on your account. Please check the number: it is IN followed by 7 digits, as shown on the Invoices tab.`;
    case 'invalid_invoice_number':
      return `"${subject ?? ''}" isn't a valid invoice number: invoice numbers are IN followed by 7 digits.`;
    case 'invalid_date':
    case 'invalid_range':
      return "I couldn't use those dates. Try a month (\"invoices from October\") or a range (\"between 2026-09-01 and 2026-10-15\").";
    case 'timeout':
    case 'internal':
    case 'repeated_call':
      return LOOKUP_FAILED;
    case 'unknown_tool':
      return "I can't do that here yet.";
    default:
      return e.message ? `That didn't work: ${e.message}` : LOOKUP_FAILED;
  }
}

/** The reply from one lookup: `compose` reads its result; no call, or a failed one, says so instead. */
export function afterLookup(outcome: CallOutcome | undefined, compose: (o: CallOutcome) => string): string {
  if (!outcome) return LOOKUP_FAILED;
  const e = errorOf(outcome);
  return e ? errorText(e, null) : compose(outcome);
}

export const argNumber = (o: CallOutcome) => (typeof o.args['invoiceNumber'] === 'string' ? (o.args['invoiceNumber'] as string) : null);

/** A status label for a sentence: "Overdue (partially paid)" → "Overdue, partially paid". */
export function statusLabel(label: string): string {
  return label.replace(/\s*\((.+)\)$/, ', $1');
}

/** One line of an invoice list: number, status, amounts and dates as the tool reported them. */
export function invoiceLine(i: InvoiceBrief, withIssued: boolean): string {
  const issued = withIssued ? `issued ${date(i.issued)}, ` : '';
  const head = `${i.invoiceNumber} (${statusLabel(i.status)})`;
  if (isZero(i.amountDue)) return `${head}: ${issued}${i.total}`;
  const of = i.amountDue !== i.total ? ` of ${i.total}` : '';
  return `${head}: ${issued}${i.amountDue}${of} due ${date(i.due)}`;
}

/** The invoices of a listOutstanding or listInvoices result. */
export function listOf(outcome: CallOutcome | undefined): { items: InvoiceBrief[]; more: boolean; total: string | null } | null {
  if (!outcome) return null;
  const o = parseAs(outstandingResult, outcome);
  if (o) return { items: o.invoices, more: o.more, total: o.totalDueShown };
  const l = parseAs(invoiceListResult, outcome);
  if (l) return { items: l.invoices, more: l.more, total: null };
  return null;
}

/** The invoices of a list with something still due, and whether the list had more. */
export function openOf(outcome: CallOutcome): { open: InvoiceBrief[]; more: boolean } {
  const list = listOf(outcome);
  return { open: (list?.items ?? []).filter((i) => !isZero(i.amountDue)), more: list?.more ?? false };
}
