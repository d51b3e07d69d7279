import type { Clause } from './intent-clause.js';
import type { BalanceFocus, Draft } from './intent-draft.js';
import {
  ABOUT_ONE,
  ACK,
  amountRangeIn,
  BALANCE_WORD,
  BYE,
  CREDIT_WORD,
  GREETING,
  INVOICE_PLURAL,
  INVOICE_WORD,
  isFragment,
  limitIn,
  LIST_VERB,
  NO,
  OPEN_WORD,
  ORDINAL_WORDS,
  OVERDUE_WORD,
  PAYMENT_NOUN,
  SHOW_VERB,
  STATUS_WORDS,
  statusIn,
  SUPERLATIVE_WORDS,
  THANKS,
  YES,
} from './intent-words.js';
import { BAD_INVOICE_PLACEHOLDER, INVOICE_PLACEHOLDER } from './text.js';

/**
 * The steps of intent parsing tried after the actions (intent.ts has the order): invoices by number,
 * help, the balance, payments and invoice lists, small talk, follow-up fragments and the last resort.
 */

/** One or more invoices by number; on their own ("IN7654321", "what about IN7654320?") they continue the previous request. */
export function invoicesByNumber({ t, ref, period, to, dateField }: Clause): Draft | null {
  if (ref.kind !== 'numbers') return null;
  if (isFragment(t)) return { kind: 'fragment', ref, status: null, period, to, dateField };
  return { kind: 'show', ref };
}

/** Help; yes / no. */
export function helpOrAnswer({ t, whole }: Clause): Draft | null {
  if (
    // A lone "?" asks for help; "in july?" left as "?" once its period is read does not.
    /^(?:help|help me|menu|options|commands)[\s!.?]*$/.test(t) ||
    /^\?+[\s!.?]*$/.test(whole) ||
    /\b(what can you do|what do you do|what can i (?:ask|do)|how (?:does|do) (?:this|you) work|who are you|what are you|what are your (?:capabilities|features|commands)|how can you help|what (?:kind of )?(?:things|questions) can|can you help|help me with|what is this|what should i ask|list of commands|what are you able|how does (?:billing|this|it|the assistant) work|how do i use (?:this|you))\b/.test(t)
  ) {
    if (!BALANCE_WORD.test(t) && !INVOICE_WORD.test(t) && !PAYMENT_NOUN.test(t) && !CREDIT_WORD.test(t)) return { kind: 'help' };
  }
  // "yes, please", "no, thanks": the comma changes nothing.
  const bare = t.replace(/\s*,\s*/g, ' ');
  if (YES.test(bare)) return { kind: 'yes' };
  if (NO.test(bare)) return { kind: 'no' };
  return null;
}

/** "how much is left on it?", "what do I still owe on that one?": about the invoice in focus, not the account. */
export function leftOnOneInvoice({ t, ref }: Clause): Draft | null {
  const oneInvoiceRef = ref.kind === 'ordinal' || (ref.kind === 'pronoun' && !ref.plural) || ref.kind === 'superlative' || ref.kind === 'status' || ref.kind === 'other';
  if (oneInvoiceRef && /\b(on|for|of) (?:it|that|this|that one|this one|the invoice|that invoice|this invoice|that bill|the (?:\w+ ){1,2}(?:one|invoice|bill))\b/.test(t)) return { kind: 'show', ref };
  return null;
}

/** "am I behind?", "how much is overdue?": the account's overdue standing. */
function isOverdueQuestion(t: string): boolean {
  return (
    /\b(am i|are we|is my account|is the account|my account is)\b.{0,20}\b(behind|late|overdue|in arrears|up to date|current|in good standing|past due|caught up|all paid|paid up)\b/.test(t) ||
    /\bhow much\b.{0,30}\b(overdue|past due|late|behind|in arrears)\b/.test(t) ||
    /\b(do|have|got) (?:i|we) (?:got |have )?(?:any|anything)\b.{0,20}\b(overdue|past due|late)\b/.test(t) ||
    /\b(is|are) there (?:any|anything)\b.{0,20}\b(overdue|past due|late)\b/.test(t) ||
    /\banything (?:overdue|past due|late)\b/.test(t) ||
    /\b(overdue|past due) (?:amount|balance|total|sum)\b|\b(amount|total|sum) (?:that is |i have )?(overdue|past due)\b/.test(t) ||
    /\bhow far behind\b|\bmissed (?:any )?payments?\b|\bbehind on\b/.test(t)
  );
}

/** Credits named, not a credit card. */
function asksCredits(t: string): boolean {
  return CREDIT_WORD.test(t) && !/\bcredit card\b/.test(t);
}

/** Overdue questions, the next due date; credits. */
export function standingOrCredits({ t }: Clause): Draft | null {
  if (isOverdueQuestion(t) && !/\b(which|list|show|what are)\b/.test(t)) return { kind: 'balance', focus: 'overdue' };
  if (/\b(next|upcoming)\b.{0,20}\b(due|payment|due date|bill|invoice)\b.{0,15}\b(date|when|due)?\b/.test(t) && /\b(when|what|date|next)\b/.test(t) && !/\b(list|show|invoices)\b/.test(t)) {
    return { kind: 'balance', focus: 'nextDue' };
  }
  if (asksCredits(t) && !/\b(balance|owe)\b/.test(t)) return { kind: 'credits' };
  return null;
}

/** Payments made. */
export function paymentsMade({ t, period, hasInvoiceWord }: Clause): Draft | null {
  const paidInvoices = hasInvoiceWord && /\bpaid\b/.test(t) && !PAYMENT_NOUN.test(t);
  const paymentsQ =
    (PAYMENT_NOUN.test(t) && !/\b(payment link|make a payment)\b/.test(t)) ||
    /\b(have|did|has|had) (?:i|we) (?:already |ever |recently )?(?:paid|pay|made)\b/.test(t) ||
    /\bwhat (?:have|did) (?:i|we) (?:paid|pay)\b|\b(?:i|we) (?:have )?paid so far\b|\bpaid so far\b|\bhow much (?:have|did) (?:i|we) (?:paid|pay|spent|spend)\b/.test(t) ||
    /\b(receipts?|transactions?|transaction history|remittances?|money (?:i|we) (?:sent|paid))\b/.test(t) ||
    /\bwhen did (?:i|we) (?:last )?pay\b/.test(t) ||
    /\b(?:receive|received|get|got)\b.{0,12}\b(?:my|our)\s+(?:cheque|check|wire|e ?transfer|bank transfer)\b/.test(t);
  if (paymentsQ && !paidInvoices && !isOverdueQuestion(t)) {
    return { kind: 'payments', period, limit: limitIn(t) ?? (/\bwhen did (?:i|we) last pay\b|\blast payment\b/.test(t) ? 1 : null) };
  }
  return null;
}

/** The balance. */
export function balance({ t }: Clause): Draft | null {
  if (BALANCE_WORD.test(t) || /\bhow much\b.{0,20}\b(due|outstanding|left|remaining|to pay)\b/.test(t) || asksCredits(t)) {
    if (!(LIST_VERB.test(t) && INVOICE_PLURAL.test(t))) {
      const focus: BalanceFocus = OVERDUE_WORD.test(t) && !/\bbalance\b/.test(t) ? 'overdue' : 'balance';
      return { kind: 'balance', focus };
    }
  }
  return null;
}

/** The text a status is read from: with a due-date period, "due" names the date, not a status ("what was due in October" includes paid ones). */
function statusText({ t, dateField }: Clause): string {
  return dateField === 'due' ? t.replace(/\b(?:came|come|comes|coming|falls|fall|were|was|is|are)?\s*due\b/g, ' ') : t;
}

/** Invoice lists, or one invoice of the list in focus. */
export function invoiceList(c: Clause): Draft | null {
  const { t, ref, period, to, dateField, whole, hasInvoiceWord } = c;
  const tStatus = statusText(c);
  const status = statusIn(tStatus);
  const amountRange = amountRangeIn(whole);
  const limit = limitIn(t);
  const historyWord = /\b(history|all (?:my |our |of my )?invoices|past invoices|previous invoices|old invoices|older invoices|every invoice|recent invoices|archive|invoiced)\b/.test(t);
  const showRef = ref.kind === 'ordinal' || (ref.kind === 'pronoun' && !ref.plural) || ref.kind === 'amount' || ref.kind === 'superlative' || ref.kind === 'status' || ref.kind === 'other';
  if (showRef && (SHOW_VERB.test(t) || (ABOUT_ONE.test(t) && !INVOICE_PLURAL.test(t)) || (ref.kind === 'superlative' && !INVOICE_PLURAL.test(t) && (ref.by === 'amount' || ref.status !== null)))) return { kind: 'show', ref };
  if (showRef && isFragment(t.replace(ORDINAL_WORDS, ' ').replace(SUPERLATIVE_WORDS, ' '))) return { kind: 'fragment', ref, status: null, period, to, dateField };
  if (hasInvoiceWord || historyWord || /\b(what is|what are|anything|everything)\b.{0,10}\b(unpaid|outstanding|open|due|overdue|past due)\b/.test(t) || (status && status !== 'paid' && LIST_VERB.test(t) && !isFragment(t.replace(STATUS_WORDS, ' ')))) {
    if (status === 'open' || (status === null && OPEN_WORD.test(tStatus) && !historyWord)) {
      if (!period && !amountRange) return { kind: 'outstanding', limit };
      return { kind: 'invoices', status: 'open', period, limit, dateField, amount: amountRange };
    }
    if (status === null && /\b(what is|what are|anything)\b.{0,10}\bdue\b/.test(t) && !period) return { kind: 'outstanding', limit };
    if (status !== null || period !== null || historyWord || limit !== null || hasInvoiceWord) {
      if (ref.kind === 'pronoun' && ref.plural && status === null && period === null && !historyWord) return { kind: 'fragment', ref, status, period, to, dateField };
      return { kind: 'invoices', status: dateField === 'due' && status === 'due' ? null : status, period, limit, dateField, amount: amountRange };
    }
    if (amountRange) return { kind: 'invoices', status, period, limit, dateField, amount: amountRange };
  }
  return null;
}

/** "what do I have due in December", "what came due in the last 30 days": a due-date period on its own is an invoice list. */
export function dueInPeriod(c: Clause): Draft | null {
  const { t, ref, period, dateField, whole } = c;
  if (dateField === 'due' && period && ref.kind === 'none' && !PAYMENT_NOUN.test(t)) {
    return { kind: 'invoices', status: /\b(have|need|got) to pay\b/.test(t) || OPEN_WORD.test(statusText(c)) ? 'open' : null, period, limit: limitIn(t), dateField, amount: amountRangeIn(whole) };
  }
  return null;
}

/** Greetings, thanks, goodbyes. */
export function smallTalk({ t }: Clause): Draft | null {
  if (GREETING.test(t)) return { kind: 'chat', what: 'greeting' };
  if (BYE.test(t)) return { kind: 'chat', what: 'bye' };
  if (THANKS.test(t)) return { kind: 'chat', what: 'thanks' };
  if (ACK.test(t)) return { kind: 'chat', what: 'ack' };
  return null;
}

/** Fragments that only make sense as a follow-up: "and the overdue ones?", "what about October?", "the first one". */
export function followUpFragment(c: Clause): Draft | null {
  const { t, ref, period, to, dateField } = c;
  const status = statusIn(statusText(c));
  const stripped = t
    .replace(STATUS_WORDS, ' ')
    .replace(ORDINAL_WORDS, ' ')
    .replace(SUPERLATIVE_WORDS, ' ')
    .replace(/\b(ones?|invoices?|other)\b/g, ' ')
    .replace(ref.kind === 'amount' ? /\$?\d[\d,]*(?:\.\d+)?/g : /$^/g, ' ');
  if ((ref.kind !== 'none' || status !== null || period !== null || to !== null) && isFragment(stripped)) {
    return { kind: 'fragment', ref, status, period, to, dateField };
  }
  if (period !== null && isFragment(stripped.replace(/\b(from|in|for|during|since|of)\b/g, ' '))) return { kind: 'fragment', ref, status, period, to, dateField };
  return null;
}

/** What is left: off-topic requests, "how are you", an invoice number on its own, or nothing understood. */
export function lastResort({ t, ref, whole }: Clause): Draft {
  if (/\b(weather|joke|poem|story|news|sports|recipe|translate|code|python|javascript|stock price|bitcoin price|movie|song|who won|capital of|meaning of life)\b/.test(t)) {
    return { kind: 'outOfScope', topic: 'general' };
  }
  if (GREETING.test(t.replace(/\b(how are you|how is it going|what is up|sup)\b/g, ' ').trim()) || /^(?:how are you|how is it going)\b/.test(t)) {
    return { kind: 'chat', what: 'greeting' };
  }
  if (whole.includes(INVOICE_PLACEHOLDER) || whole.includes(BAD_INVOICE_PLACEHOLDER)) return { kind: 'show', ref };
  return { kind: 'unknown' };
}
