import { formatDate } from '../../format/dates.js';
import { describePeriod } from './dates.js';
import type { StatusFilter } from './intent.js';
import { CHAT, EMAIL_UNAVAILABLE, GREETING, HELP, INJECTION, MEMO_INJECTION, OTHER_ACCOUNT, OUT_OF_SCOPE, POLICY, SECURE_PAGE_NOTE, UNKNOWN } from './policy.js';
import type { Intent } from './resolve.js';
import { errorOf, parseAs, deferredOf, type CallOutcome, type ToolErrorResult } from './outcomes.js';
import { getBalanceResult as balanceResult } from '../../../tools/getBalance.js';
import { getInvoiceResult as invoiceResult } from '../../../tools/getInvoice.js';
import { listOutstandingResult as outstandingResult } from '../../../tools/listOutstanding.js';
import { listInvoicesResult as invoiceListResult } from '../../../tools/listInvoices.js';
import { listPaymentsResult as paymentListResult } from '../../../tools/listPayments.js';
import { listCreditsResult as creditListResult } from '../../../tools/listCredits.js';
import { createPaymentLinkResult as paymentLinkResult } from '../../../tools/createPaymentLink.js';
import { emailInvoicePdfResult as emailResult } from '../../../tools/emailInvoicePdf.js';
import type { InvoiceBriefResult as InvoiceBrief } from '../../../tools/shared.js';
import type { z } from 'zod';
import type { EngineNote } from '../context.js';

type BalanceResult = z.infer<typeof balanceResult>;
type InvoiceResult = z.infer<typeof invoiceResult>;

/** Questions the engine asks; what it asked is stored as data (the note's `pending`), never read back from this text. */
export const ASK = {
  pay: 'Which invoice would you like to pay',
  email: 'Which invoice should I email',
  show: 'Which invoice would you like to see',
  address: 'Which email address should I send',
  offerPayOverdue: 'Would you like secure payment links for your overdue invoices?',
} as const;

/**
 * Composition: the final reply, from the intent and this turn's tool results. It states the key
 * figures and invoice numbers (so later follow-ups can refer to them) and never writes URLs:
 * links are on the cards the server renders from the same results.
 */

const LOOKUP_FAILED = "I couldn't look that up just now. Please try again in a moment; your invoices and balance are also on the Billing pages of the portal.";

const isZero = (display: string) => !/[1-9]/.test(display);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "a, b and c" */
export function joinAnd(xs: string[], word = 'and'): string {
  if (xs.length <= 1) return xs[0] ?? '';
  return `${xs.slice(0, -1).join(', ')} ${word} ${xs[xs.length - 1]}`;
}

/** Sums money displays ("$1,234.56") exactly, in cents. */
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
  const abs = cents < 0n ? -cents : cents;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${cents < 0n ? '-' : ''}${prefix ?? '$'}${whole}.${(abs % 100n).toString().padStart(2, '0')}`;
}

const date = (iso: string) => formatDate(iso);

function errorText(e: ToolErrorResult, subject: string | null): string {
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

const argNumber = (o: CallOutcome) => (typeof o.args['invoiceNumber'] === 'string' ? (o.args['invoiceNumber'] as string) : null);

/** One line of an invoice list: number, amounts, dates and status as the tool reported them. */
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

const bullets = (lines: string[]) => lines.map((l) => `- ${l}`).join('\n');

function balanceText(b: BalanceResult, focus: 'balance' | 'overdue' | 'outstanding' | 'nextDue'): string {
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
    parts.push("That includes the one-time $50.00 account opening fee, charged on a new account's first invoice.");
  }
  parts.push(isZero(r.amountDue) ? 'The card links to the invoice page.' : 'Use the Pay button on the card to pay it on our secure payment page.');
  return parts.join(' ');
}

function showText(outcomes: CallOutcome[]): string {
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

interface LinkSummary {
  payable: InvoiceBrief[];
  notes: string[];
}

function linkSummary(outcomes: CallOutcome[]): LinkSummary {
  const payable: InvoiceBrief[] = [];
  const notes: string[] = [];
  for (const o of outcomes) {
    const e = errorOf(o);
    if (e) {
      notes.push(errorText(e, argNumber(o)));
      continue;
    }
    const r = parseAs(paymentLinkResult, o);
    if (!r) continue;
    if (r.payable) payable.push(r);
    else notes.push(`${r.invoiceNumber} is ${r.status}: nothing is due on it, so there is nothing to pay.`);
  }
  return { payable, notes };
}

function payText(outcomes: CallOutcome[], cardNote: boolean, scope: 'overdue' | 'outstanding' | null): string {
  const { payable, notes } = linkSummary(outcomes);
  const out: string[] = [];
  if (cardNote) out.push("I can't take card details in chat, but you can pay by credit card on our secure payment page.");
  if (scope && payable.length === 1) out.push(`You have 1 ${scope} invoice.`);
  if (payable.length === 1) {
    const p = payable[0]!;
    out.push(
      `Here is a secure payment link for ${p.invoiceNumber} (${statusLabel(p.status)}, ${p.amountDue} due): use the Pay button on the card to pay it on our secure payment page. ${SECURE_PAGE_NOTE}`,
    );
  } else if (payable.length > 1) {
    const total = sumDisplays(payable.map((p) => p.amountDue));
    out.push(
      `Here are secure payment links for ${scope ? `your ${payable.length} ${scope} invoices` : plural(payable.length, 'invoice')}${total ? ` (${total} in all)` : ''}:\n${bullets(payable.map((p) => `${p.invoiceNumber} (${statusLabel(p.status)}): ${p.amountDue} due`))}\nUse the Pay button on each card to pay on our secure payment page. ${SECURE_PAGE_NOTE}`,
    );
  }
  out.push(...notes);
  if (out.length === 0) return LOOKUP_FAILED;
  return out.join(' ').replace(/ \n/g, '\n');
}

function listOf(outcome: CallOutcome | undefined): { items: InvoiceBrief[]; more: boolean; total: string | null } | null {
  if (!outcome) return null;
  const o = parseAs(outstandingResult, outcome);
  if (o) return { items: o.invoices, more: o.more, total: o.totalDueShown };
  const l = parseAs(invoiceListResult, outcome);
  if (l) return { items: l.invoices, more: l.more, total: null };
  return null;
}

function outstandingText(outcome: CallOutcome | undefined, limit: number | null): string {
  if (!outcome) return LOOKUP_FAILED;
  const e = errorOf(outcome);
  if (e) return errorText(e, null);
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

function invoicesText(outcome: CallOutcome | undefined, status: StatusFilter | null, period: { from: string | null; to: string | null } | null, limit: number | null): string {
  if (!outcome) return LOOKUP_FAILED;
  const e = errorOf(outcome);
  if (e) return errorText(e, null);
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

function paymentsText(outcome: CallOutcome | undefined, period: { from: string | null; to: string | null } | null, limit: number | null): string {
  if (!outcome) return LOOKUP_FAILED;
  const e = errorOf(outcome);
  if (e) return errorText(e, null);
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

function creditsText(outcome: CallOutcome | undefined): string {
  if (!outcome) return LOOKUP_FAILED;
  const e = errorOf(outcome);
  if (e) return errorText(e, null);
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

function emailText(outcome: CallOutcome | undefined, number: string, to: string): string {
  if (!outcome) return LOOKUP_FAILED;
  const e = errorOf(outcome);
  if (e) {
    if (e.code === 'unknown_tool' || e.code === 'email_unavailable') return EMAIL_UNAVAILABLE([number], to);
    if (e.code === 'invoice_not_found' || e.code === 'invalid_invoice_number') return errorText(e, number);
    if (e.code === 'timeout') return `I couldn't confirm that ${number} was emailed to ${to}: it took too long. Please try again in a moment.`;
    if (e.code === 'internal') return `I couldn't email ${number} to ${to} just now. Please try again in a moment.`;
    const policy = !/billing contact/i.test(e.message) && /recipient|not_allowed|domain|contact|address|refused|forbidden/i.test(`${e.code} ${e.message}`)
      ? ' Invoices can only be emailed to your billing contacts or to addresses at your verified domain; you can add a billing contact in the portal.'
      : '';
    return `I couldn't email ${number} to ${to}: ${e.message}${policy}`;
  }
  const deferred = deferredOf(outcome);
  if (deferred?.status === 'needs_approval') return `Please confirm: should I email a PDF copy of ${number} to ${to}? Nothing is sent until you approve (or say "yes").`;
  if (deferred) return `OK, I won't email ${number}.`;
  const r = parseAs(emailResult, outcome);
  const n = r?.invoiceNumber ?? number;
  const addr = r?.to ?? to;
  const at = r?.sentAtText ? ` at ${r.sentAtText}` : '';
  if (r?.duplicate) return `A PDF copy of ${n} was already sent to ${addr}${at || ' recently'}, so I didn't send it again.`;
  return `Done: I've emailed a PDF copy of ${n} to ${addr}${at}.`;
}

function askText(intent: Extract<Intent, { kind: 'ask' }>): string {
  const opts = intent.options.length > 0 ? `: ${joinAnd(intent.options, 'or')}?` : '?';
  switch (intent.action) {
    case 'pay':
      return `${ASK.pay}${opts}${intent.options.length > 0 ? '' : ' Tell me its number, or say "pay all my overdue invoices".'}`;
    case 'email':
      return `${ASK.email}${intent.to ? ` to ${intent.to}` : ''}${opts}${intent.options.length > 0 ? '' : ' Tell me its number (IN followed by 7 digits).'}`;
    case 'show':
      return `${ASK.show}${opts}${intent.options.length > 0 ? '' : ' Tell me its number (IN followed by 7 digits), or ask me to list your outstanding invoices.'}`;
  }
}

/** The reply text for one intent, given the outcomes of its tool calls by round. */
export function composeIntent(intent: Intent, rounds: CallOutcome[][], canEmail: boolean): string {
  const all = rounds.flat();
  const first = rounds[0]?.[0];
  switch (intent.kind) {
    case 'balance': {
      if (!first) return LOOKUP_FAILED;
      const e = errorOf(first);
      if (e) return errorText(e, null);
      const b = parseAs(balanceResult, first);
      return b ? balanceText(b, intent.focus) : 'Here is your balance.';
    }
    case 'show':
      return showText(all);
    case 'outstanding':
      return outstandingText(first, intent.limit);
    case 'invoices':
      return invoicesText(first, intent.status, intent.period, intent.limit);
    case 'payments':
      return paymentsText(first, intent.period, intent.limit);
    case 'credits':
      return creditsText(first);
    case 'pay':
      return payText(all, intent.cardNote, null);
    case 'payAll': {
      if (!first) return LOOKUP_FAILED;
      const e = errorOf(first);
      if (e) return errorText(e, null);
      const list = listOf(first);
      const open = (list?.items ?? []).filter((i) => !isZero(i.amountDue));
      if (open.length === 0) {
        return intent.scope === 'overdue'
          ? 'You have no overdue invoices, so there is nothing overdue to pay. Ask me for your outstanding invoices to see what is coming due.'
          : 'You have no outstanding invoices, so there is nothing to pay right now.';
      }
      const more = open.length > (rounds[1]?.length ?? 0) ? ` I prepared links for the first ${rounds[1]?.length ?? 0}; ask again for the rest once those are paid.` : '';
      return payText(rounds[1] ?? [], false, intent.scope) + (list?.more ? ' There may be more; check the Invoices tab in the portal.' : more);
    }
    case 'payPick': {
      if (!first) return LOOKUP_FAILED;
      const e = errorOf(first);
      if (e) return errorText(e, null);
      const list = listOf(first);
      const open = (list?.items ?? []).filter((i) => !isZero(i.amountDue));
      if (open.length === 0) return 'You have no outstanding invoices, so there is nothing to pay right now.';
      if (open.length === 1) return payText(rounds[1] ?? [], intent.cardNote, null);
      const card = intent.cardNote ? "I can't take card details in chat, but you can pay by credit card on our secure payment page. " : '';
      return `${card}You have ${plural(open.length, 'outstanding invoice')}:\n${bullets(open.map((i) => invoiceLine(i, false)))}\n${ASK.pay}? Tell me its number (or "the first one"), or say "pay all my overdue invoices".`;
    }
    case 'email':
      return emailText(first, intent.number, intent.to);
    case 'emailUnavailable':
      return EMAIL_UNAVAILABLE(intent.numbers, intent.to);
    case 'emailBulk':
      return canEmail
        ? `${OUT_OF_SCOPE.bulkEmail} ${ASK.email}${intent.to ? ` to ${intent.to}` : ''}? Tell me its number.`
        : EMAIL_UNAVAILABLE([], intent.to);
    case 'ask':
      return askText(intent);
    case 'askAddress':
      return `${ASK.address} ${intent.number} to? It can go to your account's billing contacts or to an address at your verified domain.`;
    case 'policy':
      return POLICY[intent.topic];
    case 'badRef':
      return `"${intent.refs[0]}" doesn't look like an invoice number: invoice numbers are IN followed by 7 digits. Could you check it?`;
    case 'otherAccount':
      return OTHER_ACCOUNT;
    case 'injection':
      return intent.memo ? MEMO_INJECTION : `${INJECTION} ${capabilitiesShort(canEmail)}`;
    case 'chat':
      return intent.what === 'greeting' ? GREETING(canEmail) : CHAT[intent.what];
    case 'help':
      return HELP(canEmail);
    case 'outOfScope':
      return `${OUT_OF_SCOPE[intent.topic]} ${capabilitiesShort(canEmail)}`;
    case 'unknown':
      return UNKNOWN(canEmail);
    case 'pick': {
      if (!first) return LOOKUP_FAILED;
      const e = errorOf(first);
      if (e) return errorText(e, null);
      if (!rounds[1] || rounds[1].length === 0) return 'You have no outstanding invoices, so there is nothing to pick from. Ask me for your invoice history to see past ones.';
      return intent.action === 'pay' ? payText(rounds[1], false, null) : showText(rounds[1]);
    }
    case 'withheld':
      return withheldText(intent);
    case 'handoff':
      return handoffText(intent, first);
  }
}

function withheldText(intent: Extract<Intent, { kind: 'withheld' }>): string {
  const which = intent.numbers.length > 0 ? ` ${joinAnd(intent.numbers)}` : '';
  switch (intent.action) {
    case 'email':
      if (intent.mood === 'question' || intent.mood === 'hypothetical') return POLICY.emailHow;
      return `OK, I won't email${which ? which : ' anything'}. Nothing was sent.`;
    case 'pay':
      if (intent.mood === 'hypothetical') return POLICY.howToPay;
      return `Understood, no payment for now${which ? ` on${which}` : ''}. Whenever you're ready, ask me for a secure payment link.`;
    case 'followup':
      if (intent.mood === 'hypothetical' || intent.mood === 'question') return POLICY.handoffHow;
      return "Understood, I won't pass anything on to the billing team.";
  }
}

const HANDOFF_INTRO: Record<Extract<Intent, { kind: 'handoff' }>['topic'], string> = {
  dispute: "I can't change or correct invoices myself",
  extension: "I can't change due dates or set up payment arrangements myself",
  refund: "I can't issue refunds myself",
  other: "I'm an automated assistant, so I can't change invoices or make exceptions myself",
};

function handoffText(intent: Extract<Intent, { kind: 'handoff' }>, outcome: CallOutcome | undefined): string {
  const about = intent.number ? ` about ${intent.number}` : '';
  const sorry = intent.reason === 'frustrated' || intent.reason === 'circles' ? "I'm sorry I haven't been able to help with that. " : '';
  if (!outcome) return `${sorry}${HANDOFF_INTRO[intent.topic]}. Our accounts-receivable team can help${about}: contact them through the portal's Billing section.`;
  const deferred = deferredOf(outcome);
  if (deferred?.status === 'needs_approval') {
    return `${sorry}${HANDOFF_INTRO[intent.topic]}, but I can pass your request${about} to our accounts-receivable team, who will contact you by email. Approve below (or say "yes") and I'll send it to them; nothing is sent until you do.`;
  }
  if (deferred) return "Understood, I won't pass anything on to the billing team.";
  const e = errorOf(outcome);
  if (e) return `I couldn't pass that on just now: ${e.message}`;
  const r = outcome.content as { reference?: unknown; notified?: unknown } | null;
  const ref = typeof r?.reference === 'string' ? ` (reference ${r.reference})` : '';
  return `Done: I've passed your request${about} to our accounts-receivable team${ref}. They will follow up with you by email. ${HANDOFF_INTRO[intent.topic]}, but they can.`;
}

/** The question an answer leaves open, stored as data for the next turn. */
export function pendingOf(intent: Intent, rounds: CallOutcome[][]): EngineNote['pending'] {
  const first = rounds[0]?.[0];
  switch (intent.kind) {
    case 'ask':
      return { kind: 'which_invoice', action: intent.action, invoiceNumber: null, to: intent.to, options: intent.options };
    case 'askAddress':
      return { kind: 'address', action: 'email', invoiceNumber: intent.number, to: null, options: [] };
    case 'emailBulk':
      return { kind: 'which_invoice', action: 'email', invoiceNumber: null, to: intent.to, options: [] };
    case 'payPick': {
      const list = first ? listOf(first) : null;
      const open = (list?.items ?? []).filter((i) => i.amountDueCents > 0);
      return open.length > 1 ? { kind: 'which_invoice', action: 'pay', invoiceNumber: null, to: null, options: open.map((i) => i.invoiceNumber) } : null;
    }
    case 'balance': {
      const b = first ? parseAs(balanceResult, first) : null;
      return b && b.overdueInvoices > 0 ? { kind: 'offer_pay_overdue', action: 'pay', invoiceNumber: null, to: null, options: [] } : null;
    }
    default:
      return null;
  }
}

function capabilitiesShort(canEmail: boolean): string {
  return `I can check your balance, show or list your invoices, payments and credits, create secure payment links${canEmail ? ', email invoice copies' : ''}, and explain the opening fee and how payment works.`;
}
