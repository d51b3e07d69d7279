import type { z } from 'zod';
import { getBalanceResult as balanceResult } from '../../../tools/getBalance.js';
import { getInvoiceResult as invoiceResult } from '../../../tools/getInvoice.js';
import { listCreditsResult as creditListResult } from '../../../tools/listCredits.js';
import { listPaymentsResult as paymentListResult } from '../../../tools/listPayments.js';
import type { InvoiceStatus } from '../../billing/status.js';
import type { StatusFilter } from '../references.js';
import {
  amountOf,
  argNumber,
  capitalize,
  centsOf,
  clauses,
  currencyOf,
  dueOf,
  dueSum,
  errorText,
  invoiceLine,
  listOf,
  lookupFailed,
  MAX_NAMED,
  named,
  OFFER_PAY_OVERDUE,
  sentence,
  statusOf,
  sumMoney,
  totalOf,
  type Say,
} from './compose-common.js';
import type { InvoiceBriefResult as InvoiceBrief } from '../../../tools/shared.js';
import { describePeriod, type Period } from './dates.js';
import type { BalanceFocus } from './intent.js';
import { errorOf, parseAs, type CallOutcome } from './outcomes.js';
import { openingFee } from './policy.js';

/**
 * The answers that read the account: balance, one invoice, outstanding invoices, invoice history,
 * payments and credits. Each gets a lookup that succeeded (compose-common.ts `afterLookup`).
 */

type InvoiceResult = z.infer<typeof invoiceResult>;

export function balanceText(say: Say, outcome: CallOutcome, focus: BalanceFocus): string {
  const b = parseAs(balanceResult, outcome);
  if (!b) return say.t('engine.balance.fallback');
  const m = (cents: number) => say.money(cents, b.currency);
  // Balance is outstanding less unapplied credit (getBalance's description).
  const creditCents = b.outstandingCents - b.balanceCents;
  const balance = m(b.balanceCents);
  const credits = m(creditCents);
  if (b.openInvoices === 0 && b.outstandingCents === 0) {
    const base = say.t('engine.balance.zero', { balance });
    return creditCents !== 0 ? `${base} ${say.t('engine.balance.alsoCredit', { credits })}` : base;
  }
  const makeupVars = { count: b.openInvoices, outstanding: m(b.outstandingCents), credits };
  const makeup = creditCents !== 0 ? say.t('engine.balance.makeupCredits', makeupVars) : say.t('engine.balance.makeup', makeupVars);
  const overdue =
    b.overdueInvoices > 0 ? say.t('engine.balance.overdueOf', { count: b.overdueInvoices, overdue: m(b.overdueCents) }) : say.t('engine.balance.nothingOverdue');
  const next = b.nextDueOn ? say.t('engine.balance.nextDue', { date: say.date(b.nextDueOn) }) : null;
  const offer = b.overdueInvoices > 0 ? say.t(OFFER_PAY_OVERDUE) : null;
  const join = (...parts: Array<string | null>) => parts.filter((p): p is string => p !== null).join(' ');
  switch (focus) {
    case 'overdue':
      if (b.overdueInvoices === 0) return join(say.t('engine.balance.upToDate', { balance, makeup }), next);
      return join(say.t('engine.balance.overdueFocus', { count: b.overdueInvoices, overdue: m(b.overdueCents), balance, makeup }), offer);
    case 'nextDue':
      return b.nextDueOn
        ? join(say.t('engine.balance.nextDueFocus', { date: say.date(b.nextDueOn), balance, makeup }), overdue, offer)
        : join(say.t('engine.balance.nothingComingDue', { balance, makeup }), overdue);
    default:
      return join(say.t('engine.balance.current', { balance, makeup }), overdue, next, offer);
  }
}

/** Whether a balance answer offers to pay the overdue invoices (its pending question). */
export function offersPayOverdue(outcome: CallOutcome | undefined): boolean {
  const b = outcome ? parseAs(balanceResult, outcome) : null;
  return b !== null && b.overdueInvoices > 0;
}


function invoiceText(say: Say, r: InvoiceResult): string {
  const parts: string[] = [];
  const head = { number: r.invoiceNumber, issued: say.date(r.issued), due: say.date(r.due), total: totalOf(say, r), status: statusOf(say, r) };
  parts.push(r.state === 'due' ? say.t('engine.invoice.headNotOverdue', head) : say.t('engine.invoice.head', head));
  const settled: string[] = [];
  for (const c of r.credits ?? []) settled.push(say.t('engine.invoice.credit', { credit: c.credit, amount: amountOf(say, c.amount), date: say.date(c.date) }));
  for (const p of r.payments ?? []) settled.push(say.t('engine.invoice.payment', { payment: p.payment, amount: amountOf(say, p.amount), date: say.date(p.date) }));
  const amountDue = dueOf(say, r);
  if (r.amountDueCents === 0) {
    if (settled.length > 0) parts.push(say.t('engine.invoice.settledBy', { items: say.and(settled) }));
  } else if (settled.length > 0) {
    parts.push(capitalize(say.t('engine.invoice.applied', { count: settled.length, items: say.and(settled), amountDue })));
  } else {
    parts.push(say.t('engine.invoice.amountDue', { amountDue }));
  }
  const lines = r.lines ?? [];
  if (lines.length > 0) {
    const shown = lines
      .slice(0, 3)
      .map((l) => `${l.description.slice(0, 90)} (${amountOf(say, l.amount)})`)
      .join(say.t('engine.grammar.itemSeparator'));
    parts.push(lines.length > 3 ? say.t('engine.invoice.coversMore', { lines: shown, count: lines.length - 3 }) : say.t('engine.invoice.covers', { lines: shown }));
  }
  if (lines.some((l) => /opening fee/i.test(l.description))) parts.push(say.t('engine.invoice.openingFee', { fee: openingFee(say.locale) }));
  parts.push(r.amountDueCents === 0 ? say.t('engine.invoice.cardLink') : say.t('engine.invoice.payButton'));
  return parts.join(' ');
}

export function showText(say: Say, outcomes: CallOutcome[]): string {
  if (outcomes.length === 0) return lookupFailed(say);
  return outcomes
    .map((o) => {
      const e = errorOf(o);
      if (e) return errorText(say, e, argNumber(o));
      const r = parseAs(invoiceResult, o);
      return r ? invoiceText(say, r) : say.t('engine.invoice.fallback');
    })
    .join('\n\n');
}

/** Which of the listed invoices are overdue, named when the answer names them all (the cards carry the rows). */
function overdueClause(say: Say, items: InvoiceBrief[]): string {
  const overdue = items.filter((i) => i.state === 'overdue');
  if (overdue.length === 0) return say.t('engine.outstanding.noneOverdue');
  if (overdue.length === items.length) {
    if (items.length === 1) return say.t('engine.outstanding.itOverdue');
    return items.length === 2 ? say.t('engine.outstanding.bothOverdue') : say.t('engine.outstanding.allOverdue');
  }
  return named(say, items.map((i) => i.invoiceNumber))
    ? say.t('engine.outstanding.theseOverdue', { count: overdue.length, numbers: say.and(overdue.map((i) => i.invoiceNumber)) })
    : say.t('engine.outstanding.someOverdue', { count: overdue.length });
}

/**
 * Outstanding invoices in two sentences: how many, what is due and (five or fewer) their numbers;
 * then which are overdue. The invoice_list card shows each one with its Pay button.
 */
export function outstandingText(say: Say, outcome: CallOutcome, limit: number | null): string {
  const r = listOf(outcome);
  if (!r) return say.t('engine.outstanding.fallback');
  if (r.items.length === 0) return say.t('engine.outstanding.none');
  const total = dueSum(say, r.items);
  const n = r.items.length;
  const head =
    limit !== null || r.more
      ? say.t('engine.outstanding.recent', { count: n }) + (total ? say.t('engine.sum.due', { total }) : '')
      : say.t('engine.outstanding.have', { count: n }) + (total ? say.t('engine.sum.dueInAll', { total }) : '');
  const next = r.more ? say.t('engine.outstanding.more') : say.t('engine.outstanding.howToPay', { count: n });
  return `${head}${named(say, r.items.map((i) => i.invoiceNumber))}. ${clauses(say, overdueClause(say, r.items), next)}.`;
}

/** What a status filter calls the invoices it finds (plural forms without the number: "paid invoices"). */
const KIND_KEY: Record<StatusFilter | 'all', string> = {
  all: 'engine.invoices.kind.all',
  paid: 'engine.invoices.kind.paid',
  due: 'engine.invoices.kind.due',
  overdue: 'engine.invoices.kind.overdue',
  partially_paid: 'engine.invoices.kind.partially_paid',
  open: 'engine.invoices.kind.open',
};

/** Invoice states in a sentence ("are paid", "sont payées"). */
const STATE_KEY: Record<InvoiceStatus, string> = {
  paid: 'engine.invoices.state.paid',
  due: 'engine.invoices.state.due',
  overdue: 'engine.invoices.state.overdue',
  partially_paid: 'engine.invoices.state.partially_paid',
  void: 'engine.invoices.state.void',
};

/** "2 are paid, 2 overdue and 1 due" (or "all of them are paid"): the statuses of an unfiltered list. */
function statusClause(say: Say, items: InvoiceBrief[]): string {
  const counts = new Map<InvoiceStatus, number>();
  for (const i of items) counts.set(i.state, (counts.get(i.state) ?? 0) + 1);
  const groups = [...counts];
  if (groups.length === 1) {
    const state = say.t(STATE_KEY[groups[0]![0]], { count: items.length });
    return items.length === 2 ? say.t('engine.invoices.bothAre', { state }) : say.t('engine.invoices.allAre', { state });
  }
  return say.and(
    groups.map(([code, k], at) => {
      const state = say.t(STATE_KEY[code], { count: k });
      return at === 0 ? say.t('engine.invoices.firstGroup', { count: k, state }) : `${k} ${state}`;
    }),
  );
}

/**
 * Invoice history in one or two sentences: how many, the amount due on a status filter, and
 * (five or fewer) their numbers; one invoice is described on its line. The card shows the rows.
 */
export function invoicesText(say: Say, outcome: CallOutcome, status: StatusFilter | null, period: Period | null, limit: number | null, dateField: 'due' | null = null): string {
  const r = listOf(outcome);
  if (!r) return say.t('engine.invoices.fallback');
  // French agrees the noun and its participle with the count: the same count picks both forms.
  const kind = (count: number) => say.t(KIND_KEY[status ?? 'all'], { count });
  const when = (count: number) =>
    period ? say.t(dateField === 'due' ? 'engine.invoices.whenDue' : 'engine.invoices.whenIssued', { count, period: describePeriod(period, say.locale) }) : '';
  if (r.items.length === 0) return say.t('engine.invoices.none', { kind: kind(0), when: when(0) });
  const dueItems = r.items.filter((i) => i.amountDueCents !== 0);
  const totalDue = status && status !== 'paid' && dueItems.length > 0 ? dueSum(say, dueItems) : null;
  const more = r.more && limit === null ? say.t('engine.invoices.more') : '';
  const only = r.items.length === 1 ? r.items[0]! : null;
  if (only && limit === 1) return say.t('engine.invoices.mostRecent', { kind: kind(1), when: when(1), line: invoiceLine(say, only, true) });
  if (only) {
    const one = say.t('engine.invoices.haveOne', { kind: kind(1), when: when(1), line: invoiceLine(say, only, true) });
    return more ? `${one} ${sentence(more)}` : one;
  }
  const n = r.items.length;
  const head =
    limit !== null
      ? say.t('engine.invoices.recent', { n, kind: kind(n), when: when(n) })
      : say.t('engine.invoices.have', { n, kind: kind(n), when: when(n) }) + (totalDue ? say.t('engine.sum.dueInAll', { total: totalDue }) : '');
  const first = status ? '' : statusClause(say, r.items);
  const second = first && more ? clauses(say, first, more) : first || more;
  return `${head}${named(say, r.items.map((i) => i.invoiceNumber))}.${second ? ` ${sentence(second)}` : ''}`;
}

/** Payment methods the replies translate (the billing system's words, lower-cased); others are quoted as written. */
const METHOD_KEY: Record<string, string> = {
  'credit card': 'engine.payments.method.creditCard',
  cheque: 'engine.payments.method.cheque',
  check: 'engine.payments.method.cheque',
  eft: 'engine.payments.method.eft',
  'wire transfer': 'engine.payments.method.wire',
  wire: 'engine.payments.method.wire',
};

function methodText(say: Say, method: string): string {
  const lower = method.toLowerCase();
  const key = METHOD_KEY[lower];
  return key && !say.english ? say.t(key) : lower;
}

/**
 * Payments in one or two sentences: how many, the total and (five or fewer) their numbers; one
 * payment, or the ones the message named, on their line.
 */
export function paymentsText(say: Say, outcome: CallOutcome, period: Period | null, limit: number | null, refs: readonly string[] = []): string {
  const r = parseAs(paymentListResult, outcome);
  if (!r) return say.t('engine.payments.fallback');
  const when = period ? ` ${describePeriod(period, say.locale)}` : '';
  if (r.payments.length === 0) return period ? say.t('engine.payments.noneFound', { when }) : say.t('engine.payments.noneYet');
  const line = (p: (typeof r.payments)[number]) => {
    const vars = { payment: p.payment, date: say.date(p.date), amount: say.money(p.amountCents, currencyOf(p.amount)), method: methodText(say, p.method), invoices: say.and(p.invoices) };
    return p.invoices.length > 0 ? say.t('engine.payments.lineFor', vars) : say.t('engine.payments.line', vars);
  };
  if (limit === 1) return say.t('engine.payments.mostRecent', { when, line: line(r.payments[0]!) });
  const asked = r.payments.filter((p) => refs.includes(p.payment));
  if (asked.length > 0) return asked.map((p) => `${line(p)}.`).join(' ');
  const out: string[] = [];
  if (refs.length > 0) out.push(say.t(r.more ? 'engine.payments.missingRecent' : 'engine.payments.missing', { refs: say.and([...refs]) }));
  const more = r.more && limit === null ? say.t('engine.payments.more') : null;
  if (r.payments.length === 1) {
    out.push(say.t('engine.payments.one', { when, line: line(r.payments[0]!) }));
  } else {
    const total = sumMoney(say, r.payments.map((p) => ({ cents: p.amountCents, display: p.amount })));
    const n = r.payments.length;
    const head = limit !== null ? say.t('engine.payments.recent', { n, when }) : say.t('engine.payments.made', { n, when });
    out.push(`${head}${total ? say.t('engine.sum.inAll', { total }) : ''}${named(say, r.payments.map((p) => p.payment))}.`);
  }
  if (more) out.push(more);
  return out.join(' ');
}

/** Credits in two sentences: the unapplied credit, then (five or fewer) each memo with what is left or where it went. */
export function creditsText(say: Say, outcome: CallOutcome): string {
  const r = parseAs(creditListResult, outcome);
  if (!r) return say.t('engine.credits.fallback');
  if (r.credits.length === 0) return say.t('engine.credits.none');
  const state = (c: (typeof r.credits)[number]) => {
    const currency = currencyOf(c.available);
    const vars = { credit: c.credit, available: say.money(c.availableCents, currency), amount: amountOf(say, c.amount), invoices: say.and(c.appliedTo) };
    const applied = c.appliedTo.length > 0;
    if (c.availableCents === 0) return say.t(applied ? 'engine.credits.appliedTo' : 'engine.credits.applied', vars);
    if (BigInt(c.availableCents) === centsOf(c.amount)) return say.t('engine.credits.available', vars);
    return say.t(applied ? 'engine.credits.partAppliedTo' : 'engine.credits.part', vars);
  };
  // What is available is the sum of the memos' available parts (listCredits lists them all).
  const totalCents = r.credits.reduce((s, c) => s + c.availableCents, 0);
  const head = totalCents === 0 ? say.t('engine.credits.noneAvailable') : say.t('engine.credits.total', { total: say.money(totalCents, currencyOf(r.totalAvailable)) });
  const memos = say.t('engine.credits.memos', { count: r.credits.length }) + (r.credits.length <= MAX_NAMED ? named(say, r.credits.map(state)) : '');
  return `${head} ${memos}.`;
}
