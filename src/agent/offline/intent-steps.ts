import { refIn, type Ref } from '../references.js';
import { extractPeriod, type Period } from './dates.js';
import type { BalanceFocus, Draft } from './intent-draft.js';
import {
  ABOUT_ONE,
  ACK,
  amountRangeIn,
  BALANCE_WORD,
  BYE,
  CREDIT_WORD,
  GREETING,
  handoffTopicIn,
  INVOICE_PLURAL,
  INVOICE_WORD,
  isFragment,
  limitIn,
  LIST_VERB,
  namesAnotherParty,
  negatedPaid,
  NO,
  OPEN_WORD,
  ORDINAL_WORDS,
  OVERDUE_WORD,
  PAY_VERB,
  PAYMENT_NOUN,
  SHOW_VERB,
  STATUS_WORDS,
  statusIn,
  SUPERLATIVE_WORDS,
  THANKS,
  YES,
} from './intent-words.js';
import { ACCOUNT_PLACEHOLDER, BAD_INVOICE_PLACEHOLDER, extract, INVOICE_PLACEHOLDER, type Extracted } from './text.js';

/**
 * The steps of parsing one clause, in the order they are tried: the first that recognises the
 * clause gives its draft. The order is the meaning (a card number offered beats a request to pay,
 * a request to pay beats the word "fee"), so a new step goes where its precedence says.
 */

/** One clause, read once: its normalised words, the period it names and what it refers to. */
export interface Clause {
  /** As typed (capitals kept, for names of other parties). */
  raw: string;
  x: Extracted;
  /** The normalised text. */
  whole: string;
  /** The normalised text without its period, negated "paid" read as "unpaid". */
  t: string;
  ref: Ref;
  /** The first email address named. */
  to: string | null;
  period: Period | null;
  /** 'due' when the period is about due dates ("due next month"). */
  dateField: 'due' | null;
  hasInvoiceWord: boolean;
}

type Step = (c: Clause) => Draft | null;

/** Reads a clause; `today` anchors relative dates. */
export function readClause(raw: string, today: string): Clause {
  const x = extract(raw);
  // A period about due dates ("due next month", "anything due before the 15th") looks forward.
  const dueDates = /\b(?:due|payable|coming up|come due|comes due|coming due|came due|falls due|fall due|(?:have|need|got) to pay)\b/.test(x.text.replace(/\b(?:past due|amount due|balance due|total due|due date of)\b/g, ' '));
  const { period, rest } = extractPeriod(x.text, today, dueDates ? 'future' : 'past');
  const t = negatedPaid(rest);
  return {
    raw,
    x,
    whole: x.text,
    t,
    ref: refIn(t, x.invoiceNumbers, x.amounts),
    to: x.emails[0] ?? null,
    period,
    dateField: period && dueDates ? 'due' : null,
    hasInvoiceWord: INVOICE_WORD.test(t),
  };
}

/** Attempts to change the assistant's rules, or to act on text found inside invoices. */
function rulesChange({ whole }: Clause): Draft | null {
  if (
    /\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|rules?|prompts?|guidelines|directives|restrictions|policy|policies)\b/.test(whole) ||
    /\b(system prompt|developer mode|jailbreak|you are now|pretend (?:to be|you are)|act as (?:an? )?(?:admin|administrator|developer|root|system))\b/.test(whole)
  ) {
    return { kind: 'injection', memo: false };
  }
  if (/\b(do|follow|execute|carry out|obey|apply|perform)\b.{0,30}\b(memo|note|notes|instructions?|comment)\b/.test(whole) && /\b(memo|note|notes|says|said|written|invoice)\b/.test(whole)) {
    return { kind: 'injection', memo: true };
  }
  return null;
}

/** Another account: no tool takes an account id; the signed-in account is the only one. */
function otherAccount({ raw, x, whole }: Clause): Draft | null {
  if (
    x.accountIds.length > 0 ||
    whole.includes(ACCOUNT_PLACEHOLDER) ||
    /\b(another|other|someone else|somebody else|different|a second|my other|their|his|her)\s+(account|accounts|customer|customers|reseller|resellers|company|companies|client|clients)\b/.test(whole) ||
    /\b(switch|change|swap)\s+(?:to\s+)?(?:a\s+|another\s+|the\s+other\s+)?(accounts?|customers?|company|companies)\b/.test(whole) ||
    /\b(log|sign|logged|signed)\s*(?:in|on)\s+as\b|\bon behalf of\b|\bimpersonate\b|\bi am (?:the |an )?(?:admin|administrator|superuser|owner of (?:account|another))\b/.test(whole) ||
    namesAnotherParty(raw) ||
    /\b(all|every|each)\s+(?:the\s+|other\s+)?(accounts?|customers?|resellers?|clients?|companies)\b|\beveryone\b|\beverybody\b/.test(whole)
  ) {
    return { kind: 'otherAccount' };
  }
  return null;
}

/** Card details offered in chat (the server redacts real card numbers before we see them). */
function cardDetails({ raw, whole, ref }: Clause): Draft | null {
  const cardData =
    /\[card number removed\]|\[expiry removed\]|\[security code removed\]/i.test(raw) ||
    /\b(card (?:number|details|info|information|num|no)|cvv|cvc|cvv2|security code|expiry|expiration|exp date|card digits|(?:visa|mastercard|amex|credit card) (?:number|details|ending))\b/.test(whole);
  if (cardData && !/\b(where|how)\b.{0,30}\b(enter|type|put|add|give)\b/.test(whole)) {
    if (ref.kind === 'numbers') return { kind: 'pay', ref, cardNote: true };
    return { kind: 'policy', topic: 'cardData' };
  }
  return null;
}

/** A malformed invoice number; a payment or credit memo by its number: the lists show what each one covered. */
function otherDocumentNumbers({ x, t, period }: Clause): Draft | null {
  if (x.badInvoiceRefs.length > 0 && x.invoiceNumbers.length === 0) return { kind: 'badRef', refs: x.badInvoiceRefs };
  if (x.invoiceNumbers.length === 0 && x.paymentRefs.length > 0 && !/\bemail\b/.test(t)) return { kind: 'payments', period, limit: null };
  if (x.invoiceNumbers.length === 0 && x.creditRefs.length > 0 && !/\b(apply|use|redeem)\b/.test(t)) return { kind: 'credits' };
  return null;
}

/** Something not working on the payment page or in the portal. */
function paymentTrouble({ t }: Clause): Draft | null {
  if (/\b(not|n't|isn't|won't|doesn't|can not|cannot)\b.{0,20}\b(load|loading|work|working|open|opening|go through|accept|accepted|process)\b|\b(declined|rejected|broken|error message|getting an error|failed|failing|bug)\b/.test(t) && /\b(pay|payment|paying|page|link|card|portal|button|checkout)\b/.test(t)) {
    return { kind: 'policy', topic: 'trouble' };
  }
  return null;
}

/** Emailing a copy. */
function emailCopy({ t, ref, to }: Clause): Draft | null {
  const emailVerb =
    /\bemail\b/.test(t) &&
    !/\b(cheque|check|money order|payment)\b/.test(t) && !/\b(what|which)\s+(?:is\s+)?(?:the\s+|my\s+|your\s+)?email\b.{0,20}\b(address|on file|do you have)\b/.test(t);
  // "there too", "to the same address", "that inbox": the address given earlier in the conversation.
  const sameAddress =
    /\bto (?:the |that |this )?same (?:address|adress|email|e mail|place|inbox|person|recipient|contact|one)\b|\bsame (?:address|adress|email|inbox|recipient) (?:as before|again|too|as well)?\b|\bthat (?:address|adress|email address|inbox)\b|\bthere (?:too|as well|aswell|also)\b|\b(?:send|email|forward|mail)\b.{0,40}\bthere\b/.test(t) &&
    to === null;
  const sendCopy =
    /\b(send|forward|resend|re send|share|deliver|copy)\b/.test(t) &&
    !/\b(cheque|check|money order|wire|e ?transfer)\b/.test(t) && (/\b(pdf|copy|copies)\b/.test(t) || to !== null || sameAddress || (/\bto\b/.test(t) && ref.kind !== 'none'));
  if (emailVerb || sendCopy || (to !== null && /\bto\s+emailaddr\b/.test(t)) || (sameAddress && ref.kind !== 'none')) {
    const bulk =
      /\b(all|every|each|everything)\b.{0,20}\b(invoices?|of them|ones)\b/.test(t) ||
      /\bevery invoice\b|\ball (?:my |our |the )?invoices\b|\beverything\b/.test(t) ||
      (ref.kind === 'pronoun' && ref.plural) ||
      (ref.kind === 'numbers' && ref.numbers.length > 1) ||
      (ref.kind === 'none' && INVOICE_PLURAL.test(t));
    if (!/\bpay(?:ment)? links?\b|\blinks? (?:to|so i can|so we can) pay\b/.test(t)) return { kind: 'email', ref, to, bulk, sameAddress };
  }
  return null;
}

/** How paying works (asked with "pay" in it, but not a request to pay). */
function howPayingWorks({ t, ref }: Clause): Draft | null {
  if (ref.kind !== 'numbers') {
    if (/\b(safe|secure|security|protected|encrypted|legit|trust)\b/.test(t) && /\b(is|are|how)\b/.test(t) && !/\b(link|now)\b/.test(t)) return { kind: 'policy', topic: 'security' };
    if (/\b(what happens|after i pay|once i pay|when i pay|after paying|after (?:my |the )?payment|once (?:my |the )?payment|how long)\b/.test(t) && /\b(pay|paying|payment|paid)\b/.test(t)) {
      return { kind: 'policy', topic: 'whenPaid' };
    }
    if (/\bstatus(?:es)?\b.{0,20}\b(mean|means|meaning)\b|\b(explain|what are) (?:the )?(?:invoice )?statuses\b/.test(t)) return { kind: 'policy', topic: 'statuses' };
  }
  return null;
}

/** Requests only people can handle (a dispute, an extension, a refund). */
function handoff({ whole, ref }: Clause): Draft | null {
  const topic = handoffTopicIn(whole);
  return topic ? { kind: 'handoff', topic, ref } : null;
}

/** Questions about what is left to pay, or about past payments, mention "pay" without asking to. */
function leftOrPaidQuestion({ t, ref, period, dateField, hasInvoiceWord }: Clause): Draft | null {
  const pastPayQuestion =
    /\b(when|what|how much|did|have|has|had)\b.{0,12}\b(?:i|we)\s+(?:already\s+|ever\s+|last\s+|recently\s+)?(?:pay|paid|made)\b/.test(t) &&
    /\b(when did|did (?:i|we)|have (?:i|we)|has|had|last|how much did|how much have|what did|what have)\b/.test(t) &&
    !/\b(how (?:do|can|should|could) (?:i|we))\b/.test(t);
  if (pastPayQuestion && ref.kind === 'numbers') return { kind: 'show', ref };
  if (pastPayQuestion && hasInvoiceWord && !PAYMENT_NOUN.test(t)) return { kind: 'invoices', status: 'paid', period, limit: limitIn(t), dateField };
  if (/\b(where|how)\b.{0,30}\b(enter|type|put|add|give|provide|submit)\b.{0,30}\b(card|credit card|payment details|payment information)\b/.test(t) && ref.kind !== 'numbers') {
    return { kind: 'policy', topic: 'howToPay' };
  }
  if (ref.kind === 'none' || (ref.kind === 'pronoun' && ref.plural)) {
    if (/\b(what|which|anything|any|list|show)\b.{0,40}\b(have|need|got|left|supposed|due) to (?:be )?pa(?:y|id)\b|\b(?:left|remaining|still) to pay\b|\bstill (?:have|need) to pay\b/.test(t) && !/\bhow much\b/.test(t)) {
      return period ? { kind: 'invoices', status: 'open', period, limit: null, dateField } : { kind: 'outstanding', limit: limitIn(t) };
    }
    if (/\bhow much\b.{0,30}\b(have|need|got|left) to pay\b/.test(t)) return { kind: 'balance', focus: 'balance' };
    if (pastPayQuestion) {
      return { kind: 'payments', period, limit: limitIn(t) ?? (/\blast\b/.test(t) ? 1 : null) };
    }
  }
  return null;
}

/** Paying outside the portal: bank details, a cheque in the mail. */
function payOutsidePortal({ t, ref }: Clause): Draft | null {
  if (/\b(bank(?:ing)? (?:info|information|details|account)|pay (?:you )?direct(?:ly)?|direct deposit|remit(?:tance)? (?:info|details|address)|(?:mail|send|post) (?:you )?(?:a )?(?:cheque|check))\b/.test(t) && ref.kind !== 'numbers') {
    return { kind: 'policy', topic: 'otherMethods' };
  }
  return null;
}

/** "how do I pay?", "can I pay by card?": which answer on paying, when no invoice is named. */
function howToPayTopic(t: string): Draft {
  const byMethod =
    /\b(by|with|using|via|through|over|in)\s+(?:a\s+|my\s+|the\s+)?(credit card|card|visa|mastercard|amex|american express|debit|cheque|check|wire|bank transfer|bank|e ?transfer|etransfer|interac|paypal|ach|eft|cash|crypto|bitcoin|apple pay|google pay|phone|person|mail)\b/.exec(t) ??
    /\b(accept|take)\s+(?:a\s+)?(credit cards?|cards?|visa|mastercard|amex|american express|debit|cheques?|checks?|wires?|bank transfers?|e ?transfers?|interac|paypal|ach|eft|cash|crypto|bitcoin|apple pay|google pay)\b/.exec(t);
  if (byMethod) {
    const m = byMethod[2]!;
    return { kind: 'policy', topic: /card|visa|mastercard|amex|american express/.test(m) && !/debit/.test(m) ? 'cardPayment' : 'otherMethods' };
  }
  if (/\bwhen\b/.test(t) && /\b(show|marked|appear|reflect|update|paid)\b/.test(t)) return { kind: 'policy', topic: 'whenPaid' };
  if (/\b(credit card|card|visa|mastercard|amex|american express)\b/.test(t)) return { kind: 'policy', topic: 'cardPayment' };
  return { kind: 'policy', topic: 'howToPay' };
}

/** Paying, or asking how to pay. */
function payRequest({ t, ref }: Clause): Draft | null {
  const howToPayQuestion =
    /\b(how|where|when)\b.{0,25}\b(pay|make (?:a )?payment|paying)\b/.test(t) ||
    /\b(ways|way|options?|methods?) (?:to|of) pay(?:ing|ment)?\b|\bpayment (?:methods?|options?)\b/.test(t) ||
    /\b(can|could|do|may)\b.{0,12}\b(pay|accept|take|use)\b.{0,20}\b(by|with|using|via|through|over|in person|at)\b/.test(t) ||
    /\bdo you (?:accept|take)\b/.test(t);
  const asksToPay =
    PAY_VERB.test(t) ||
    /\bpay(?:ment)? links?\b|\blink to pay\b|\b(?:secure )?link (?:for|to) (?:it|that|this|them|those|both)\b|\bmake (?:a |the )?payment\b|\bpay now\b|\bcheckout\b|\bcharge (?:my|the) (?:card|credit card)\b|\bcharge (?:it|me|this|that)\b|\bpaying\b/.test(t);
  if (!asksToPay && !howToPayQuestion) return null;
  const hasTarget = ref.kind === 'numbers' || (ref.kind === 'pronoun' && /\b(this one|that one|this invoice|that invoice|it|them|those|these|both)\b/.test(t)) || ref.kind === 'ordinal' || ref.kind === 'amount';
  if (howToPayQuestion && !hasTarget && !/\b(all|every|everything|overdue|balance)\b/.test(t)) return howToPayTopic(t);
  const cardNote = /\b(credit card|card|visa|mastercard|amex)\b/.test(t);
  if (ref.kind === 'numbers') return { kind: 'pay', ref, cardNote };
  if (ref.kind === 'superlative' || ref.kind === 'status' || ref.kind === 'ordinal' || ref.kind === 'other') return { kind: 'pay', ref, cardNote };
  if (OVERDUE_WORD.test(t) && !(ref.kind === 'pronoun' && !ref.plural)) return { kind: 'payAll', scope: 'overdue' };
  if (ref.kind === 'pronoun' && ref.plural) return { kind: 'pay', ref, cardNote };
  if (/\b(all|every|everything|whole|entire|full|total)\b/.test(t) || /\b(balance|outstanding|unpaid|open)\b/.test(t) || /\binvoices\b/.test(t)) {
    return { kind: 'payAll', scope: 'outstanding' };
  }
  return { kind: 'pay', ref, cardNote };
}

/** The opening fee. */
function openingFee({ x, t }: Clause): Draft | null {
  if (
    /\b(opening|setup|set up|activation|new account|account opening|one time|onetime|sign up|signup|start up|startup)\s*(fee|charge|cost)s?\b/.test(t) ||
    /\bfees?\b/.test(t) ||
    (x.amounts.some((c) => c === 5000n) && /\b(why|what|charged|charge|for|this|extra)\b/.test(t))
  ) {
    return { kind: 'policy', topic: 'fee' };
  }
  return null;
}

/** Policy and how things work. */
function howThingsWork({ t, ref }: Clause): Draft | null {
  if (/\b(what|explain)\b.{0,30}\b(mean|means|meaning|difference|definition)\b|\bstatus(?:es)? mean\b|\bdifference between\b/.test(t) && statusIn(t) !== null) {
    return { kind: 'policy', topic: 'statuses' };
  }
  if (/\bwhat (?:are|is) (?:the |an? )?(?:invoice )?status(?:es)?\b|\binvoice statuses\b/.test(t) && ref.kind === 'none') return { kind: 'policy', topic: 'statuses' };
  if (/\b(is it|is this|is the payment|are payments?|how)\b.{0,25}\b(safe|secure|security|protected|encrypted)\b/.test(t)) return { kind: 'policy', topic: 'security' };
  if (/\b(credit card|card)\b/.test(t) && /\b(accept|take|use|allowed|possible|can i|could i|do you)\b/.test(t) && ref.kind !== 'numbers') return { kind: 'policy', topic: 'cardPayment' };
  if (/\b(where|how)\b.{0,30}\b(in the portal|on the portal|portal|billing section|billing page|billing tab|dashboard|find my)\b/.test(t)) return { kind: 'policy', topic: 'portal' };
  return null;
}

/** Things the assistant does not do. */
function notOffered({ t, ref, hasInvoiceWord }: Clause): Draft | null {
  if (/\b(apply|use|redeem|put|move)\b.{0,25}\b(credits?|creditref)\b/.test(t) && !/\bcredit card\b/.test(t)) return { kind: 'outOfScope', topic: 'applyCredit' };
  if (/\b(auto ?pay|autopay|automatic payments?|recurring payments?|save my card|store my card|saved card|card on file|direct debit|pre authorized|preauthorized)\b/.test(t)) return { kind: 'outOfScope', topic: 'autopay' };
  if (
    /\b(cancel|void|delete|remove|waive|forgive|write off|reverse|change|edit|modify|lower|reduce|merge|combine|split|reissue|re issue|move|transfer|reallocate|add)\b.{0,25}\b(invoices?|invref|fee|balance|charges?|amount|order|payment|paymentref)\b/.test(t) &&
    !/\b(due dates?)\b/.test(t)
  ) {
    return { kind: 'outOfScope', topic: 'cancel' };
  }
  if (/\b(orders?|ship|shipping|shipment|delivery|tracking|track my|stock|inventory|quote|quotes|price list|pricing|products?|buy|purchase|rma|return)\b/.test(t) && ref.kind === 'none' && !hasInvoiceWord) {
    return { kind: 'outOfScope', topic: 'orders' };
  }
  if (/\b(password|log ?in|username|address|phone number|contact details|profile|add (?:a )?user|users|permissions)\b/.test(t) && ref.kind === 'none' && !hasInvoiceWord && !/\bemailaddr\b/.test(t)) {
    return { kind: 'outOfScope', topic: 'profile' };
  }
  return null;
}

/** One or more invoices by number; on their own ("IN7654321", "what about IN7654320?") they continue the previous request. */
function invoicesByNumber({ t, ref, period, to, dateField }: Clause): Draft | null {
  if (ref.kind !== 'numbers') return null;
  if (isFragment(t)) return { kind: 'fragment', ref, status: null, period, to, dateField };
  return { kind: 'show', ref };
}

/** Help; yes / no. */
function helpOrAnswer({ t }: Clause): Draft | null {
  if (
    /^(?:help|help me|menu|options|commands|\?+)[\s!.?]*$/.test(t) ||
    /\b(what can you do|what do you do|what can i (?:ask|do)|how (?:does|do) (?:this|you) work|who are you|what are you|what are your (?:capabilities|features|commands)|how can you help|what (?:kind of )?(?:things|questions) can|can you help|help me with|what is this|what should i ask|list of commands|what are you able|how does (?:billing|this|it|the assistant) work|how do i use (?:this|you))\b/.test(t)
  ) {
    if (!BALANCE_WORD.test(t) && !INVOICE_WORD.test(t) && !PAYMENT_NOUN.test(t) && !CREDIT_WORD.test(t)) return { kind: 'help' };
  }
  if (YES.test(t)) return { kind: 'yes' };
  if (NO.test(t)) return { kind: 'no' };
  return null;
}

/** "how much is left on it?", "what do I still owe on that one?": about the invoice in focus, not the account. */
function leftOnOneInvoice({ t, ref }: Clause): Draft | null {
  const oneInvoiceRef = ref.kind === 'ordinal' || (ref.kind === 'pronoun' && !ref.plural) || ref.kind === 'superlative' || ref.kind === 'status' || ref.kind === 'other';
  if (oneInvoiceRef && /\b(on|for|of) (?:it|that|this|that one|this one|the invoice|that invoice|this invoice|that bill)\b/.test(t)) return { kind: 'show', ref };
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
function standingOrCredits({ t }: Clause): Draft | null {
  if (isOverdueQuestion(t) && !/\b(which|list|show|what are)\b/.test(t)) return { kind: 'balance', focus: 'overdue' };
  if (/\b(next|upcoming)\b.{0,20}\b(due|payment|due date|bill|invoice)\b.{0,15}\b(date|when|due)?\b/.test(t) && /\b(when|what|date|next)\b/.test(t) && !/\b(list|show|invoices)\b/.test(t)) {
    return { kind: 'balance', focus: 'nextDue' };
  }
  if (asksCredits(t) && !/\b(balance|owe)\b/.test(t)) return { kind: 'credits' };
  return null;
}

/** Payments made. */
function paymentsMade({ t, period, hasInvoiceWord }: Clause): Draft | null {
  const paidInvoices = hasInvoiceWord && /\bpaid\b/.test(t) && !PAYMENT_NOUN.test(t);
  const paymentsQ =
    (PAYMENT_NOUN.test(t) && !/\b(payment link|make a payment)\b/.test(t)) ||
    /\b(have|did|has|had) (?:i|we) (?:already |ever |recently )?(?:paid|pay|made)\b/.test(t) ||
    /\bwhat (?:have|did) (?:i|we) (?:paid|pay)\b|\b(?:i|we) (?:have )?paid so far\b|\bpaid so far\b|\bhow much (?:have|did) (?:i|we) (?:paid|pay|spent|spend)\b/.test(t) ||
    /\b(receipts?|transactions?|transaction history|remittances?|money (?:i|we) (?:sent|paid))\b/.test(t) ||
    /\bwhen did (?:i|we) (?:last )?pay\b/.test(t);
  if (paymentsQ && !paidInvoices && !isOverdueQuestion(t)) {
    return { kind: 'payments', period, limit: limitIn(t) ?? (/\bwhen did (?:i|we) last pay\b|\blast payment\b/.test(t) ? 1 : null) };
  }
  return null;
}

/** The balance. */
function balance({ t }: Clause): Draft | null {
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
function invoiceList(c: Clause): Draft | null {
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
function dueInPeriod(c: Clause): Draft | null {
  const { t, ref, period, dateField, whole } = c;
  if (dateField === 'due' && period && ref.kind === 'none' && !PAYMENT_NOUN.test(t)) {
    return { kind: 'invoices', status: /\b(have|need|got) to pay\b/.test(t) || OPEN_WORD.test(statusText(c)) ? 'open' : null, period, limit: limitIn(t), dateField, amount: amountRangeIn(whole) };
  }
  return null;
}

/** Greetings, thanks, goodbyes. */
function smallTalk({ t }: Clause): Draft | null {
  if (GREETING.test(t)) return { kind: 'chat', what: 'greeting' };
  if (BYE.test(t)) return { kind: 'chat', what: 'bye' };
  if (THANKS.test(t)) return { kind: 'chat', what: 'thanks' };
  if (ACK.test(t)) return { kind: 'chat', what: 'ack' };
  return null;
}

/** Fragments that only make sense as a follow-up: "and the overdue ones?", "what about October?", "the first one". */
function followUpFragment(c: Clause): Draft | null {
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
function lastResort({ t, ref, whole }: Clause): Draft {
  if (/\b(weather|joke|poem|story|news|sports|recipe|translate|code|python|javascript|stock price|bitcoin price|movie|song|who won|capital of|meaning of life)\b/.test(t)) {
    return { kind: 'outOfScope', topic: 'general' };
  }
  if (GREETING.test(t.replace(/\b(how are you|how is it going|what is up|sup)\b/g, ' ').trim()) || /^(?:how are you|how is it going)\b/.test(t)) {
    return { kind: 'chat', what: 'greeting' };
  }
  if (whole.includes(INVOICE_PLACEHOLDER) || whole.includes(BAD_INVOICE_PLACEHOLDER)) return { kind: 'show', ref };
  return { kind: 'unknown' };
}

/** The steps in order of precedence. */
const STEPS: readonly Step[] = [
  rulesChange,
  otherAccount,
  cardDetails,
  otherDocumentNumbers,
  paymentTrouble,
  emailCopy,
  howPayingWorks,
  handoff,
  leftOrPaidQuestion,
  payOutsidePortal,
  payRequest,
  openingFee,
  howThingsWork,
  notOffered,
  invoicesByNumber,
  helpOrAnswer,
  leftOnOneInvoice,
  standingOrCredits,
  paymentsMade,
  balance,
  invoiceList,
  dueInPeriod,
  smallTalk,
  followUpFragment,
];

/** The draft of a non-empty clause: the first step that recognises it, else the last resort. */
export function draftOf(c: Clause): Draft {
  for (const step of STEPS) {
    const draft = step(c);
    if (draft) return draft;
  }
  return lastResort(c);
}
