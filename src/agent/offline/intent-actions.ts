import type { Clause } from './intent-clause.js';
import type { Draft } from './intent-draft.js';
import { handoffTopicIn, INVOICE_PLURAL, limitIn, namesAnotherParty, OVERDUE_WORD, PAY_VERB, PAYMENT_NOUN, statusIn } from './intent-words.js';
import { ACCOUNT_PLACEHOLDER } from './text.js';

/**
 * The steps of intent parsing tried first (intent.ts has the order): attempts to change the rules,
 * other accounts, card details, emailing, paying, hand-offs, policy answers and what the assistant does not do.
 */

/** Attempts to change the assistant's rules, or to act on text found inside invoices. */
export function rulesChange({ whole }: Clause): Draft | null {
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
export function otherAccount({ raw, x, whole }: Clause): Draft | null {
  if (
    x.accountIds.length > 0 ||
    whole.includes(ACCOUNT_PLACEHOLDER) ||
    /\b(another|other|someone else|somebody else|different|a second|my other|their|his|her)\s+(account|accounts|customer|customers|reseller|resellers|company|companies|client|clients)\b/.test(whole) ||
    /\b(switch|change|swap)\s+(?:to\s+)?(?:a\s+|another\s+|the\s+other\s+)?(accounts?|customers?|company|companies)\b/.test(whole) ||
    /\b(log|sign|logged|signed)\s*(?:in|on)\s+as\b|\bon behalf of\b|\bimpersonate\b|\bi am (?:the |an )?(?:admin|administrator|superuser|owner of (?:account|another))\b/.test(whole) ||
    namesAnotherParty(raw) ||
    /\b(all|every|each)\s+(?:of\s+)?(?:the\s+|other\s+|your\s+)?(accounts?|customers?|resellers?|clients?|companies)\b|\beveryone\b|\beverybody\b/.test(whole)
  ) {
    return { kind: 'otherAccount' };
  }
  return null;
}

/** Card details offered in chat (the server redacts real card numbers before we see them). */
export function cardDetails({ raw, whole, ref }: Clause): Draft | null {
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
export function otherDocumentNumbers({ x, t, period }: Clause): Draft | null {
  if (x.badInvoiceRefs.length > 0 && x.invoiceNumbers.length === 0) return { kind: 'badRef', refs: x.badInvoiceRefs };
  if (x.invoiceNumbers.length === 0 && x.paymentRefs.length > 0 && !/\bemail\b/.test(t)) return { kind: 'payments', period, limit: null, refs: x.paymentRefs };
  if (x.invoiceNumbers.length === 0 && x.creditRefs.length > 0 && !/\b(apply|use|redeem)\b/.test(t)) return { kind: 'credits' };
  return null;
}

/** Something not working on the payment page or in the portal. */
export function paymentTrouble({ t }: Clause): Draft | null {
  if (/\b(not|n't|isn't|won't|doesn't|can not|cannot)\b.{0,20}\b(load|loading|work|working|open|opening|go through|accept|accepted|process)\b|\b(declined|rejected|broken|error message|getting an error|failed|failing|bug)\b/.test(t) && /\b(pay|payment|paying|page|link|card|portal|button|checkout)\b/.test(t)) {
    return { kind: 'policy', topic: 'trouble' };
  }
  return null;
}

/** Emailing a copy. */
export function emailCopy({ t, ref, to }: Clause): Draft | null {
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
export function howPayingWorks({ t, ref }: Clause): Draft | null {
  if (ref.kind !== 'numbers') {
    if (/\b(safe|secure|security|protected|encrypted|legit|trust)\b/.test(t) && /\b(is|are|how)\b/.test(t) && !/\b(link|now)\b/.test(t)) return { kind: 'policy', topic: 'security' };
    if (/\b(what happens|after i pay|once i pay|when i pay|after paying|after (?:my |the )?payment|once (?:my |the )?payment|how long)\b/.test(t) && /\b(pay|paying|payment|paid)\b/.test(t)) {
      return { kind: 'policy', topic: 'whenPaid' };
    }
    if (/\bstatus(?:es)?\b.{0,20}\b(mean|means|meaning)\b|\b(?:mean|means|meaning) (?:of )?(?:the |your )?(?:invoice )?status(?:es)?\b|\b(explain|what are) (?:the )?(?:invoice )?statuses\b/.test(t)) return { kind: 'policy', topic: 'statuses' };
  }
  return null;
}

/** Requests only people can handle (a dispute, an extension, a refund). */
export function handoff({ whole, ref }: Clause): Draft | null {
  const topic = handoffTopicIn(whole);
  return topic ? { kind: 'handoff', topic, ref } : null;
}

/** Questions about what is left to pay, or about past payments, mention "pay" without asking to. */
export function leftOrPaidQuestion({ t, ref, period, dateField, hasInvoiceWord }: Clause): Draft | null {
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
export function payOutsidePortal({ t, ref }: Clause): Draft | null {
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
export function payRequest({ t, ref, x }: Clause): Draft | null {
  const except = x.excludedInvoiceNumbers.length > 0 ? { except: x.excludedInvoiceNumbers } : {};
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
  if (OVERDUE_WORD.test(t) && !(ref.kind === 'pronoun' && !ref.plural)) return { kind: 'payAll', scope: 'overdue', ...except };
  if (ref.kind === 'pronoun' && ref.plural) return { kind: 'pay', ref, cardNote };
  if (/\b(all|every|everything|whole|entire|full|total)\b/.test(t) || /\b(balance|outstanding|unpaid|open)\b/.test(t) || /\binvoices\b/.test(t)) {
    return { kind: 'payAll', scope: 'outstanding', ...except };
  }
  return { kind: 'pay', ref, cardNote };
}

const OPENING_WORDS = /\b(opening|open|opened|setup|set up|activation|new account|one time|onetime|sign up|signup|start up|startup)\b/;

/**
 * A question about a fee other than the opening fee (late fees, interest, penalties, card
 * surcharges, returned payments, other charges). It goes before paying and how paying works: "is
 * there a surcharge if I pay by card?" asks about a fee, not for a link. "Pay the late fee" gets the
 * same answer, since no such fee is known to pay.
 */
export function otherFees(clause: Clause): Draft | null {
  const { t, x } = clause;
  // Asking the team about a fee ("pass my question about late fees to the team") is a hand-off.
  if (OPENING_WORDS.test(t) || x.amounts.some((c) => c === 5000n) || handoff(clause)) return null;
  // "To avoid late fees, give me a link for IN…" asks to pay that invoice.
  if (clause.ref.kind === 'numbers' && payRequest(clause) !== null) return null;
  // A fee word, never the verb: "charge my card for IN…" asks to pay.
  const fee = /\b(?:fees?|extra|costs? more|more expensive|additional charges?|extra charges?)\b/;
  if (/\bnsf\b|\b(?:non|in)[- ]?sufficient funds\b|\b(?:bounced?|bounces|bouncing|returned|rejected) (?:cheques?|checks?|payments?)\b|\b(?:cheques?|checks?|payments?) (?:bounces?|bounced|is returned|gets returned|was returned)\b/.test(t)) {
    return { kind: 'policy', topic: 'feeReturned' };
  }
  if (/\b(?:surcharges?|processing fees?|convenience fees?|transaction fees?|card fees?|swipe fees?)\b/.test(t) || (fee.test(t) && /\b(credit card|card|visa|mastercard|amex)\b/.test(t))) {
    return { kind: 'policy', topic: 'feeCard' };
  }
  if (/\binterests?\b(?! in\b)/.test(t)) return { kind: 'policy', topic: 'feeInterest' };
  if (/\bpenalt(?:y|ies)\b|\bpenali[sz]e[ds]?\b/.test(t)) return { kind: 'policy', topic: 'feePenalty' };
  if (/\blate (?:payment )?(?:fees?|charges?)\b|\b(?:fees?|charges?)\b.{0,20}\b(?:late|overdue|after the due date|past due)\b/.test(t)) return { kind: 'policy', topic: 'feeLate' };
  if (/\b(?:other|hidden|extra|additional|admin|administration|administrative|service|wire|bank|any more) (?:fees?|charges?)\b/.test(t)) return { kind: 'policy', topic: 'feeOther' };
  return null;
}

/** The opening fee. */
export function openingFee({ x, t }: Clause): Draft | null {
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
export function howThingsWork({ t, ref }: Clause): Draft | null {
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
export function notOffered({ t, ref, hasInvoiceWord }: Clause): Draft | null {
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
