import type { z } from 'zod';
import { getBalanceResult as balanceResult } from '../../../tools/getBalance.js';
import { getInvoiceResult as invoiceResult } from '../../../tools/getInvoice.js';
import { listCreditsResult as creditListResult } from '../../../tools/listCredits.js';
import { listPaymentsResult as paymentListResult } from '../../../tools/listPayments.js';
import type { StatusFilter } from '../references.js';
import { ASK, argNumber, date, errorText, invoiceLine, isZero, joinAnd, listOf, LOOKUP_FAILED, MAX_NAMED, named, plural, sumDisplays } from './compose-common.js';
import type { InvoiceBriefResult as InvoiceBrief } from '../../../tools/shared.js';
import { describePeriod, type Period } from './dates.js';
import type { BalanceFocus } from './intent.js';
import { errorOf, parseAs, type CallOutcome } from './outcomes.js';
import { OPENING_FEE } from './policy.js';

/**
 * The answers that read the account: balance, one invoice, outstanding invoices, invoice history,
 * payments and credits. Each gets a lookup that succeeded (compose-common.ts `afterLookup`).
 */

type InvoiceResult = z.infer<typeof invoiceResult>;

export function balanceText(outcome: CallOutcome, focus: BalanceFocus): string {
  const b = parseAs(balanceResult, outcome);
  if (!b) return 'Here is your balance.';
  const credits = !isZero(b.unappliedCredits);
  const open = plural(b.openInvoices, 'open invoice');
  if (b.openInvoices === 0 && isZero(b.outstanding)) {
    const base = `Your balance is ${b.balance}: you have no open invoices, so nothing is due or overdue.`;
    return credits ? `${base} You also have ${b.unappliedCredits} of unapplied credit.` : base;
  }
  const makeup = credits
    ? `${b.outstanding} outstanding on ${open}, less ${b.unappliedCredits} of unapplied credit`
    : `${b.outstanding} outstanding on ${open}`;
  const overdue =
    b.overdueInvoices > 0 ? `${b.overdue} of it is overdue (${plural(b.overdueInvoices, 'invoice')}).` : 'Nothing is overdue.';
  const next = b.nextDueOn ? ` The next due date is ${date(b.nextDueOn)}.` : '';
  const offer = b.overdueInvoices > 0 ? ` ${ASK.offerPayOverdue}` : '';
  switch (focus) {
    case 'overdue':
      if (b.overdueInvoices === 0) return `Nothing is overdue: you're up to date. Your balance is ${b.balance} (${makeup}).${next}`;
      return `You have ${b.overdue} overdue on ${plural(b.overdueInvoices, 'invoice')}. Your overall balance is ${b.balance} (${makeup}).${offer}`;
    case 'nextDue':
      return b.nextDueOn
        ? `Your next due date is ${date(b.nextDueOn)}. Your balance is ${b.balance} (${makeup}). ${overdue}${offer}`
        : `Nothing is coming due. Your balance is ${b.balance} (${makeup}). ${overdue}`;
    default:
      return `Your current balance is ${b.balance}: ${makeup}. ${overdue}${next}${offer}`;
  }
}

/** Whether a balance answer offers to pay the overdue invoices (its pending question). */
export function offersPayOverdue(outcome: CallOutcome | undefined): boolean {
  const b = outcome ? parseAs(balanceResult, outcome) : null;
  return b !== null && b.overdueInvoices > 0;
}

function invoiceText(r: InvoiceResult): string {
  const parts: string[] = [];
  const status = r.status;
  const notOverdue = r.state === 'due' ? ' (not overdue)' : '';
  parts.push(`Invoice ${r.invoiceNumber} (issued ${date(r.issued)}, due ${date(r.due)}) totals ${r.total} and is ${status}${notOverdue}.`);
  const settled: string[] = [];
  for (const c of r.credits ?? []) settled.push(`credit ${c.credit} (${c.amount}, ${date(c.date)})`);
  for (const p of r.payments ?? []) settled.push(`payment ${p.payment} (${p.amount}, ${date(p.date)})`);
  if (isZero(r.amountDue)) {
    if (settled.length > 0) parts.push(`It was settled by ${joinAnd(settled)}.`);
  } else if (settled.length > 0) {
    const applied = `${joinAnd(settled)} ${settled.length === 1 ? 'has' : 'have'} been applied, so ${r.amountDue} is still due.`;
    parts.push(applied.charAt(0).toUpperCase() + applied.slice(1));
  } else {
    parts.push(`Amount due: ${r.amountDue}.`);
  }
  const lines = r.lines ?? [];
  if (lines.length > 0) {
    const shown = lines.slice(0, 3).map((l) => `${l.description.slice(0, 90)} (${l.amount})`);
    const more = lines.length > 3 ? ` and ${plural(lines.length - 3, 'more line')}` : '';
    parts.push(`It covers: ${shown.join('; ')}${more}.`);
  }
  if (lines.some((l) => /opening fee/i.test(l.description))) {
    parts.push(`That includes the one-time ${OPENING_FEE} account opening fee, charged on a new account's first invoice.`);
  }
  parts.push(isZero(r.amountDue) ? 'The card links to the invoice page.' : 'Use the Pay button on the card to pay it on our secure payment page.');
  return parts.join(' ');
}

export function showText(outcomes: CallOutcome[]): string {
  if (outcomes.length === 0) return LOOKUP_FAILED;
  return outcomes
    .map((o) => {
      const e = errorOf(o);
      if (e) return errorText(e, argNumber(o));
      const r = parseAs(invoiceResult, o);
      return r ? invoiceText(r) : 'Here is that invoice.';
    })
    .join('\n\n');
}

/** A clause as a sentence: capitalised, with its full stop. */
const sentence = (clause: string): string => `${clause.charAt(0).toUpperCase()}${clause.slice(1)}.`;

/** Which of the listed invoices are overdue, named when the answer names them all (the cards carry the rows). */
function overdueSentence(items: InvoiceBrief[]): string {
  const overdue = items.filter((i) => /overdue/i.test(i.status));
  const verb = overdue.length === 1 ? 'is' : 'are';
  if (overdue.length === 0) return 'None of them is overdue yet';
  if (overdue.length === items.length) return items.length === 1 ? 'It is overdue' : items.length === 2 ? 'Both are overdue' : 'All of them are overdue';
  return named(items.map((i) => i.invoiceNumber)) ? `${joinAnd(overdue.map((i) => i.invoiceNumber))} ${verb} overdue` : `${overdue.length} of them ${verb} overdue`;
}

/**
 * Outstanding invoices in two sentences: how many, what is due and (five or fewer) their numbers;
 * then which are overdue. The invoice_list card shows each one with its Pay button.
 */
export function outstandingText(outcome: CallOutcome, limit: number | null): string {
  const r = listOf(outcome);
  if (!r) return 'Here are your outstanding invoices.';
  if (r.items.length === 0) return 'You have no outstanding invoices: everything is paid.';
  const total = r.total ?? sumDisplays(r.items.map((i) => i.amountDue));
  const n = r.items.length;
  const head =
    limit !== null || r.more
      ? `Here ${n === 1 ? 'is' : 'are'} your ${plural(n, 'most recent outstanding invoice')}${total ? ` (${total} due)` : ''}`
      : `You have ${plural(n, 'outstanding invoice')}${total ? `, ${total} due in all` : ''}`;
  const next = r.more ? 'there are more, so ask for a date range to see others' : `to pay ${n === 1 ? 'it' : 'one'}, use its Pay button or say "pay" and its number`;
  return `${head}${named(r.items.map((i) => i.invoiceNumber))}. ${overdueSentence(r.items)}; ${next}.`;
}

const STATUS_WORD: Record<StatusFilter, string> = {
  paid: 'paid',
  due: 'due (not yet overdue)',
  overdue: 'overdue',
  partially_paid: 'partially paid',
  open: 'open',
};

const STATE_WORD: Record<InvoiceBrief['state'], string> = { paid: 'paid', due: 'due', overdue: 'overdue', partially_paid: 'partially paid', void: 'void' };

/** "2 are paid, 2 overdue and 1 due" (or "all of them are paid"): the statuses of an unfiltered list. */
function statusClause(items: InvoiceBrief[]): string {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(STATE_WORD[i.state], (counts.get(STATE_WORD[i.state]) ?? 0) + 1);
  const groups = [...counts];
  if (groups.length === 1) return `${items.length === 2 ? 'both' : 'all of them'} are ${groups[0]![0]}`;
  return joinAnd(groups.map(([word, k], at) => (at === 0 ? `${k} ${k === 1 ? 'is' : 'are'} ${word}` : `${k} ${word}`)));
}

/**
 * Invoice history in one or two sentences: how many, the amount due on a status filter, and
 * (five or fewer) their numbers; one invoice is described on its line. The card shows the rows.
 */
export function invoicesText(outcome: CallOutcome, status: StatusFilter | null, period: Period | null, limit: number | null, dateField: 'due' | null = null): string {
  const r = listOf(outcome);
  if (!r) return 'Here are your invoices.';
  const adj = status ? `${STATUS_WORD[status]} ` : '';
  const when = period ? ` ${dateField === 'due' ? 'due' : 'issued'} ${describePeriod(period)}` : '';
  if (r.items.length === 0) return `I found no ${adj}invoices${when}.`;
  const due = r.items.filter((i) => !isZero(i.amountDue)).map((i) => i.amountDue);
  const totalDue = status && status !== 'paid' && due.length > 0 ? sumDisplays(due) : null;
  const more = r.more && limit === null ? 'there are more, so narrow it down by month or status to see others' : '';
  const only = r.items.length === 1 ? r.items[0]! : null;
  if (only && limit === 1) return `Your most recent ${adj}invoice${when} is ${invoiceLine(only, true)}.`;
  if (only) return `You have 1 ${adj}invoice${when}: ${invoiceLine(only, true)}.${more ? ` ${sentence(more)}` : ''}`;
  const head =
    limit !== null
      ? `Here are your ${plural(r.items.length, `most recent ${adj}invoice`)}${when}`
      : `You have ${plural(r.items.length, `${adj}invoice`)}${when}${totalDue ? `, ${totalDue} due in all` : ''}`;
  const second = [status ? '' : statusClause(r.items), more].filter(Boolean).join('; ');
  return `${head}${named(r.items.map((i) => i.invoiceNumber))}.${second ? ` ${sentence(second)}` : ''}`;
}

/**
 * Payments in one or two sentences: how many, the total and (five or fewer) their numbers; one
 * payment, or the ones the message named, on their line.
 */
export function paymentsText(outcome: CallOutcome, period: Period | null, limit: number | null, refs: readonly string[] = []): string {
  const r = parseAs(paymentListResult, outcome);
  if (!r) return 'Here are your payments.';
  const when = period ? ` ${describePeriod(period)}` : '';
  if (r.payments.length === 0) return period ? `I found no payments${when}.` : "You haven't made any payments yet.";
  const line = (p: (typeof r.payments)[number]) =>
    `${p.payment} on ${date(p.date)}: ${p.amount} by ${p.method.toLowerCase()}${p.invoices.length > 0 ? `, for ${joinAnd(p.invoices)}` : ''}`;
  if (limit === 1) return `Your most recent payment${when} was ${line(r.payments[0]!)}.`;
  const asked = r.payments.filter((p) => refs.includes(p.payment));
  if (asked.length > 0) return asked.map((p) => `${line(p)}.`).join(' ');
  const missing = refs.length > 0 ? `I couldn't find ${joinAnd([...refs])} among your ${r.more ? 'most recent ' : ''}payments. ` : '';
  const more = r.more && limit === null ? ' There are more; ask for a date range to see others.' : '';
  if (r.payments.length === 1) return `${missing}You made 1 payment${when}: ${line(r.payments[0]!)}.${more}`;
  const total = sumDisplays(r.payments.map((p) => p.amount));
  const head = `${limit !== null ? `Here are your ${plural(r.payments.length, 'most recent payment')}` : `You made ${plural(r.payments.length, 'payment')}`}${when}${total ? `, ${total} in all` : ''}`;
  return `${missing}${head}${named(r.payments.map((p) => p.payment))}.${more}`;
}

/** Credits in two sentences: the unapplied credit, then (five or fewer) each memo with what is left or where it went. */
export function creditsText(outcome: CallOutcome): string {
  const r = parseAs(creditListResult, outcome);
  if (!r) return 'Here are your credits.';
  if (r.credits.length === 0) return 'You have no credit memos on your account.';
  const state = (c: (typeof r.credits)[number]) => {
    if (isZero(c.available)) return `${c.credit} (applied${c.appliedTo.length > 0 ? ` to ${joinAnd(c.appliedTo)}` : ''})`;
    if (c.available === c.amount) return `${c.credit} (${c.available} available)`;
    return `${c.credit} (${c.available} of ${c.amount} still available${c.appliedTo.length > 0 ? `, part applied to ${joinAnd(c.appliedTo)}` : ''})`;
  };
  const head = isZero(r.totalAvailable)
    ? 'You have no unapplied credit right now.'
    : `You have ${r.totalAvailable} of unapplied credit available, already deducted from your balance.`;
  const memos = r.credits.length <= MAX_NAMED ? `: ${joinAnd(r.credits.map(state))}` : '';
  return `${head} Your ${plural(r.credits.length, 'credit memo')}${memos}.`;
}
