import type { z } from 'zod';
import { getBalanceResult as balanceResult } from '../../../tools/getBalance.js';
import { getInvoiceResult as invoiceResult } from '../../../tools/getInvoice.js';
import { listCreditsResult as creditListResult } from '../../../tools/listCredits.js';
import { listPaymentsResult as paymentListResult } from '../../../tools/listPayments.js';
import type { StatusFilter } from '../references.js';
import { ASK, argNumber, bullets, date, errorText, invoiceLine, isZero, joinAnd, listOf, LOOKUP_FAILED, plural, sumDisplays } from './compose-common.js';
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

export function outstandingText(outcome: CallOutcome, limit: number | null): string {
  const r = listOf(outcome);
  if (!r) return 'Here are your outstanding invoices.';
  if (r.items.length === 0) return 'You have no outstanding invoices: everything is paid.';
  const overdue = r.items.filter((i) => /overdue/i.test(i.status)).length;
  const total = r.total ?? sumDisplays(r.items.map((i) => i.amountDue));
  const head =
    limit !== null || r.more
      ? `Here are your ${plural(r.items.length, 'most recent outstanding invoice')}${total ? ` (${total} due)` : ''}:`
      : `You have ${plural(r.items.length, 'outstanding invoice')}${total ? `, ${total} due in all` : ''}:`;
  const tail = [
    overdue > 0 ? `${overdue === r.items.length ? (overdue === 1 ? 'It is' : 'All of them are') : `${overdue} of them ${overdue === 1 ? 'is' : 'are'}`} overdue.` : 'None of them is overdue yet.',
    r.more ? 'There are more; ask for a date range to see others.' : '',
    'To pay one, say "pay" and its number.',
  ]
    .filter(Boolean)
    .join(' ');
  return `${head}\n${bullets(r.items.map((i) => invoiceLine(i, false)))}\n${tail}`;
}

const STATUS_WORD: Record<StatusFilter, string> = {
  paid: 'paid',
  due: 'due (not yet overdue)',
  overdue: 'overdue',
  partially_paid: 'partially paid',
  open: 'open',
};

export function invoicesText(outcome: CallOutcome, status: StatusFilter | null, period: Period | null, limit: number | null): string {
  const r = listOf(outcome);
  if (!r) return 'Here are your invoices.';
  const adj = status ? `${STATUS_WORD[status]} ` : '';
  const when = period ? ` issued ${describePeriod(period)}` : '';
  if (r.items.length === 0) return `I found no ${adj}invoices${when}.`;
  const due = r.items.filter((i) => !isZero(i.amountDue)).map((i) => i.amountDue);
  const totalDue = status && status !== 'paid' && due.length > 0 ? sumDisplays(due) : null;
  let head: string;
  if (limit === 1 && r.items.length === 1) head = `Your most recent ${adj}invoice${when}:`;
  else if (limit !== null) head = `Your ${plural(r.items.length, `most recent ${adj}invoice`)}${when}:`;
  else head = `You have ${plural(r.items.length, `${adj}invoice`)}${when}${totalDue ? `, ${totalDue} due in all` : ''}:`;
  const tail = r.more && limit === null ? '\nThere are more; narrow it down by month or status to see others.' : '';
  return `${head}\n${bullets(r.items.map((i) => invoiceLine(i, true)))}${tail}`;
}

export function paymentsText(outcome: CallOutcome, period: Period | null, limit: number | null): string {
  const r = parseAs(paymentListResult, outcome);
  if (!r) return 'Here are your payments.';
  const when = period ? ` ${describePeriod(period)}` : '';
  if (r.payments.length === 0) return period ? `I found no payments${when}.` : "You haven't made any payments yet.";
  const line = (p: (typeof r.payments)[number]) =>
    `${p.payment} on ${date(p.date)}: ${p.amount} by ${p.method.toLowerCase()}${p.invoices.length > 0 ? `, for ${joinAnd(p.invoices)}` : ''}`;
  if (limit === 1) return `Your most recent payment${when} was ${line(r.payments[0]!)}.`;
  const total = sumDisplays(r.payments.map((p) => p.amount));
  const head = `${limit !== null ? `Your ${plural(r.payments.length, 'most recent payment')}` : `You made ${plural(r.payments.length, 'payment')}`}${when}${total && r.payments.length > 1 ? `, ${total} in all` : ''}:`;
  const tail = r.more && limit === null ? '\nThere are more; ask for a date range to see others.' : '';
  return `${head}\n${bullets(r.payments.map(line))}${tail}`;
}

export function creditsText(outcome: CallOutcome): string {
  const r = parseAs(creditListResult, outcome);
  if (!r) return 'Here are your credits.';
  if (r.credits.length === 0) return 'You have no credit memos on your account.';
  const line = (c: (typeof r.credits)[number]) => {
    const state = isZero(c.available)
      ? `fully applied${c.appliedTo.length > 0 ? ` to ${joinAnd(c.appliedTo)}` : ''}`
      : c.available === c.amount
        ? `${c.available} available, not yet applied`
        : `${c.available} still available${c.appliedTo.length > 0 ? `, part applied to ${joinAnd(c.appliedTo)}` : ''}`;
    return `${c.credit} (${date(c.issued)}): ${c.amount}, ${state}. Reason: ${c.reason.slice(0, 90)}`;
  };
  const head = isZero(r.totalAvailable)
    ? `You have no unapplied credit right now. Your ${plural(r.credits.length, 'credit memo')}:`
    : `You have ${r.totalAvailable} of unapplied credit available, already deducted from your balance. Your ${plural(r.credits.length, 'credit memo')}:`;
  return `${head}\n${bullets(r.credits.map(line))}`;
}
