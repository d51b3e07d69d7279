import { analyze, type Mood } from '../language/analyze.js';
import { refIn, type Ref, type StatusFilter } from '../references.js';
import { extractPeriod, type Period } from './dates.js';
import { ACCOUNT_PLACEHOLDER, BAD_INVOICE_PLACEHOLDER, EMAIL_PLACEHOLDER, extract, INVOICE_PLACEHOLDER } from './text.js';

/**
 * Intent parsing: one user message (or clause) → a draft of what the user wants, before the
 * conversation's context resolves references like "that one" or "the first one".
 * Only the user's own words are parsed here; tool data never reaches this module.
 */

export type PolicyTopic = 'fee' | 'howToPay' | 'cardPayment' | 'otherMethods' | 'statuses' | 'whenPaid' | 'security' | 'portal' | 'cardData' | 'pdf' | 'trouble';

export type OutOfScopeTopic = 'orders' | 'refund' | 'dispute' | 'applyCredit' | 'autopay' | 'profile' | 'general' | 'bulkEmail' | 'cancel';

export type BalanceFocus = 'balance' | 'overdue' | 'outstanding' | 'nextDue';

export type Draft =
  | { kind: 'balance'; focus: BalanceFocus }
  | { kind: 'show'; ref: Ref }
  | { kind: 'outstanding'; limit: number | null }
  | { kind: 'invoices'; status: StatusFilter | null; period: Period | null; limit: number | null; dateField: 'due' | null; amount?: AmountRange | null }
  | { kind: 'payments'; period: Period | null; limit: number | null }
  | { kind: 'credits' }
  | { kind: 'pay'; ref: Ref; cardNote: boolean }
  | { kind: 'payAll'; scope: 'overdue' | 'outstanding' }
  | { kind: 'email'; ref: Ref; to: string | null; bulk: boolean; sameAddress: boolean }
  | { kind: 'policy'; topic: PolicyTopic }
  | { kind: 'badRef'; refs: string[] }
  | { kind: 'otherAccount' }
  | { kind: 'injection'; memo: boolean }
  | { kind: 'chat'; what: 'greeting' | 'thanks' | 'bye' | 'ack' }
  | { kind: 'yes' }
  | { kind: 'no' }
  | { kind: 'help' }
  | { kind: 'outOfScope'; topic: OutOfScopeTopic }
  | { kind: 'fragment'; ref: Ref; status: StatusFilter | null; period: Period | null; to: string | null; dateField: 'due' | null }
  | { kind: 'handoff'; topic: 'dispute' | 'extension' | 'refund' | 'other'; ref: Ref }
  | { kind: 'withheld'; action: 'email' | 'pay' | 'followup'; mood: Mood; ref: Ref }
  | { kind: 'unknown' };

export interface ParsedMessage {
  draft: Draft;
  /** Invoice numbers the message names (for follow-up context). */
  invoiceNumbers: string[];
}

const NUMBER_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, twelve: 12, fifteen: 15, twenty: 20 };
// Vocabulary, as regexes over the normalised text.
const INVOICE_WORD = /\b(invoices?|statements?|invoiced)\b/;
const INVOICE_PLURAL = /\b(invoices|statements)\b/;
const PAYMENT_NOUN = /\bpayments?\b/;
const PAY_VERB = /\b(pay|pay off|settle)\b|\bclear (?:off |up )?(?:my|the|this|that|these|those|all|it|them)\b/;
const LIST_VERB = /\b(list|show|see|view|display|give|get|find|pull up|bring up|look up|which|what|any|all|my|tell)\b/;
const SHOW_VERB = /\b(show|see|view|display|open|look|look at|look up|pull up|bring up|details?|detail|more|info|information|about|status|check|tell|what is on|what is in|what was on|what does|summary|summarize|breakdown|lines?|items?|pdf|copy|download|get|give)\b/;
const OVERDUE_WORD = /\b(overdue|past due|late|delinquent|arrears|behind)\b/;
const OPEN_WORD = /\b(unpaid|outstanding|open|not (?:yet )?paid|unsettled|owing|still due|remaining|pending|to pay|need to pay|have to pay|left to pay|due)\b/;
const BALANCE_WORD = /\b(balance|owe|owing|in for|our tab|my tab|the tab|square up|squared up|where do (?:we|i) stand|money wise|what do (?:we|i) owe|in the red|in good standing|account status|status of my account|account standing|on my account|account summary|total due|amount due|total owing|total outstanding|how much is (?:outstanding|due|left)|how much (?:do|have) (?:i|we) (?:got )?(?:to pay|left)|what do (?:i|we) owe)\b/;
const CREDIT_WORD = /\b(credits|credit memos?|credit notes?|unapplied|cm ?\d{3,}|credit balance|store credit|credit on (?:my|the) account|credit(?! cards?\b))\b/;
const GREETING = /^(?:(?:hello|good (?:morning|afternoon|evening|day)|hello there|dear assistant)[\s,!.]*)+$/;
const THANKS = /\b(thanks|thank you|thank u|cheers|much appreciated|appreciate it|great help)\b/;
const BYE = /\b(bye|goodbye|see you|see ya|later|have a good (?:day|one)|that is all|that will be all|nothing else|i am done|all done)\b/;
const ACK = /^(?:okay|alright|all right|cool|great|perfect|got it|understood|nice|awesome|fine|good|noted|i see|makes sense)(?:\s+(?:thanks|thank you|then|now))?[\s!.]*$/;
const YES = /^(?:yes|yes please|please do|do it|go ahead|please|okay (?:please|do it|go ahead)|yes go ahead|yes do it|sounds good|yes that would be great|yes please do|that would be great|absolutely|of course|definitely)[\s!.]*$/;
const NO = /^(?:no|no thanks|no thank you|not now|nope|no need|never mind|nevermind|not really|cancel|stop)[\s!.]*$/;

/** Words that carry no request of their own (a follow-up fragment is made of these plus a reference). */
const FILLER = new Set(
  `and what about how also same for now okay then no nope hmm the one ones invoice invoices number please too instead that this is it i mean meant sorry yes actually oh hmm um so a an of on with my our me us just only can you could would will do does let see ones' those these them both which was were are be to ok well hello thanks again any all
   what is hello right`
    .split(/\s+/)
    .filter(Boolean),
);

function limitIn(t: string): number | null {
  const m =
    /\b(?:last|latest|recent|newest|most recent|top|first)\s+(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty)\b/.exec(t) ??
    /\b(\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty)\s+(?:most\s+)?(?:recent|latest|newest|last)\b/.exec(t);
  if (m) {
    const n = NUMBER_WORDS[m[1]!] ?? Number(m[1]);
    if (Number.isFinite(n) && n >= 1) return Math.min(n, 50);
  }
  if (/\b(?:last|latest|most recent|newest|previous|recent)\s+(?:invoice|payment|statement)\b(?!s)/.exec(t)) return 1;
  return null;
}

function statusIn(t: string): StatusFilter | null {
  if (/\bpartial(?:ly)?(?: paid)?\b|\bpart paid\b|\bpartly paid\b/.test(t)) return 'partially_paid';
  if (/\b(upcoming|coming due|due soon|not (?:yet )?(?:overdue|late|past due)|due next|due later|not late|due invoices|invoices (?:that are |which are )?(?:still )?due(?! date))\b/.test(t)) return 'due';
  if (OVERDUE_WORD.test(t)) return 'overdue';
  if (/\b(unpaid|outstanding|open|not (?:yet )?paid|unsettled|owing|still due|remaining|pending)\b/.test(t)) return 'open';
  if (/\b(paid|settled|closed|cleared|fully paid)\b/.test(t)) return 'paid';
  return null;
}

/** "haven't been paid", "not yet paid", "aren't paid": the invoices that are unpaid (negation read by the NLP layer). */
function negatedPaid(t: string): string {
  if (!/\bnot\b/.test(t) || !/\b(paid|settled)\b/.test(t)) return t;
  const a = analyze(t);
  if (!a.isNegated('paid') && !a.isNegated('settled')) return t;
  return t.replace(/\b(?:(?:have|has|had|are|is|were|was|be)\s+)?not\s+(?:we\s+|i\s+|you\s+)?(?:yet\s+|been\s+|fully\s+|already\s+)*(?:paid|settled)\b/g, 'unpaid');
}

export interface AmountRange {
  overCents: number | null;
  underCents: number | null;
}

/** "over $500", "under $300", "more than a grand": a bound on the invoice total (a sum needs "$" or a money word). */
export function amountRangeIn(t: string): AmountRange | null {
  const MONEY = String.raw`(?:\$\s?(\d[\d,]*)(?:\.(\d{2}))?\s*(k|grand|thousand)?|(\d[\d,]*)\s*(k|grand|thousand|dollars|bucks)\b|(a grand|a thousand)\b)`;
  const read = (re: RegExp): number | null => {
    const m = re.exec(t);
    if (!m) return null;
    if (m[7]) return 100_000;
    const whole = Number((m[2] ?? m[5] ?? '0').replace(/,/g, ''));
    const scale = /k|grand|thousand/.test(m[4] ?? m[6] ?? '') ? 1000 : 1;
    return Math.round(whole * scale * 100) + Number((m[3] ?? '0').padEnd(2, '0'));
  };
  const overCents = read(new RegExp(String.raw`\b(over|above|more than|greater than|bigger than|larger than|at least|exceeding)\s+${MONEY}`));
  const underCents = read(new RegExp(String.raw`\b(under|below|less than|smaller than|at most)\s+${MONEY}`));
  return overCents === null && underCents === null ? null : { overCents, underCents };
}

/** Requests only people can handle: the accounts-receivable team takes them over (hand-off). */
export function handoffTopicIn(t: string): 'dispute' | 'extension' | 'refund' | null {
  if (/\b(refund|refunds|refunded|reimburse|reimbursement|money back|chargeback|charge back)\b/.test(t)) return 'refund';
  if (
    /\b(extension|extend|extended|more time|extra time|push (?:it |the due date |this )?back|postpone|defer|delay (?:the )?(?:payment|due)|later due date|grace period|payment plan|installments?|pay (?:it |this )?(?:in parts|later|next month))\b/.test(t) ||
    /\b(?:\d+|a|an|one|two|three|four|another|couple(?: of)?|few)\s+(?:more|extra|additional)\s+(?:days?|weeks?|months?)\b/.test(t) ||
    /\b(change|move|shift|update|adjust|push)\b.{0,20}\bdue dates?\b/.test(t) ||
    /\b(?:get|have|give (?:us|me)|need)\b.{0,15}\buntil\b.{0,30}\bto pay\b/.test(t)
  ) {
    return 'extension';
  }
  if (
    /\b(dispute|disputing|contest|contesting|overcharged|overbilled|double charged|double billed|charged twice|billed twice|billing error|wrongly charged|incorrectly charged|duplicate (?:charge|invoice|billing|bill))\b/.test(t) ||
    /\b(charged|invoiced|billed|charging|billing|invoicing)\b.{0,25}\b(twice|two times|double|again for)\b/.test(t) ||
    /\b(does not|do not|did not|doesnt) (?:match|add up|look right|reflect)\b|\bfor (?:stuff|items|goods|things|equipment|an order) (?:we|i) (?:returned|sent back|cancell?ed|never got)\b/.test(t) ||
    /\b(is|it is|its|looks|seems|are|was) (?:all |completely |totally )?(?:wrong|incorrect|not right|off)\b|\b(?:do not|did not|can not) recogni[sz]e\b|\b(mistake|error) (?:on|in|with)\b|\bnever (?:ordered|received|got)\b|\bdid not (?:order|receive|get)\b|\bshould not (?:have been|be) (?:charged|billed)\b/.test(t)
  ) {
    return 'dispute';
  }
  return null;
}

/** True when nothing but filler is left once references, dates and statuses are taken out. */
function isFragment(rest: string): boolean {
  const words = rest
    .replace(/[?!.,;:]/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .filter((w) => !FILLER.has(w) && w !== INVOICE_PLACEHOLDER && w !== EMAIL_PLACEHOLDER);
  return words.length === 0;
}

const STATUS_WORDS =
  /\b(partially paid|partial|part paid|partly paid|overdue|past due|late|unpaid|outstanding|open|not paid|not yet paid|paid|upcoming|due soon|due|pending|settled)\b/g;
/** A question about one invoice's facts ("when is it due?", "how much is left on it?", "is it overdue?"). */
const ABOUT_ONE = /\b(when|due|owe|owing|left|remaining|overdue|late|paid|received|how much|what for|for what|total|amount|status|balance on)\b/;
const SUPERLATIVE_WORDS = /\b(largest|biggest|highest|larger|bigger|higher|smallest|lowest|smaller|lower|cheapest|oldest|older|earliest|earlier|newest|newer|latest|more recent|most recent)\b/g;
const ORDINAL_WORDS = /\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|last|final|top|bottom)\b/g;

/**
 * "the balance of Acme Corp", "Acme Corp's invoices", "I'm from Acme": a named party other than
 * the user. Capitalised names only, so "balance of my account" or "invoices for October" never match.
 */
function namesAnotherParty(raw: string): boolean {
  const name = "([A-Z][\\w&.-]*(?:\\s+(?:[A-Z][\\w&.-]*|&|of|and))*)";
  const hits = [
    ...raw.matchAll(new RegExp(`\\b(?:balance|invoices?|account|payments?|credits?|statements?|bills?)\\s+(?:of|for|at|from)\\s+${name}`, 'g')),
    ...raw.matchAll(new RegExp(`${name}(?:'s|\u2019s|s')\\s+(?:balance|invoices?|account|payments?|credits?|statements?|bills?)\\b`, 'g')),
    ...raw.matchAll(new RegExp(`\\b(?:I am|I'm|Im|We are|We're|i am|i'm|we are|we're)\\s+(?:from|with)\\s+${name}`, 'g')),
  ];
  return hits.some((m) => {
    const first = (m[1] ?? '').split(/\s+/)[0]?.replace(/[.,]+$/, '') ?? '';
    return first.length > 1 && !NOT_A_PARTY.test(first) && !MONTH_NAME.test(first) && !/^(?:IN|Q[1-4]|R)\d*$/.test(first);
  });
}
/** Capitalised words that start sentences or name this product, not another party. */
const NOT_A_PARTY =
  /^(?:I|My|Our|Me|Us|This|That|These|Those|The|A|An|It|Its|What|Whats|Where|When|Which|Who|Why|How|Show|List|Give|Tell|Get|Find|Can|Could|Would|Will|Please|Pls|Hi|Hey|Hello|Is|Are|Do|Does|Did|Let|Any|All|Each|Every|Your|Invoice|Invoices|Randmar|Reseller|Portal|Billing|CAD|PDF|Pay|Now|Today|Last|Next|This|Current|Previous|Outstanding|Overdue|Unpaid|Paid|Open|Due|Total|Account|Balance)$/;
const MONTH_NAME = /^(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*$/;

/** Parses one clause of a user message. `today` anchors relative dates. */
export function parseClause(raw: string, today: string): ParsedMessage {
  const x = extract(raw);
  // A period about due dates ("due next month", "anything due before the 15th") looks forward.
  const dueDates = /\b(?:due|payable|coming up|come due|comes due|coming due|came due|falls due|fall due|(?:have|need|got) to pay)\b/.test(x.text.replace(/\b(?:past due|amount due|balance due|total due|due date of)\b/g, ' '));
  const { period, rest } = extractPeriod(x.text, today, dueDates ? 'future' : 'past');
  const dateField: 'due' | null = period && dueDates ? 'due' : null;
  const t = negatedPaid(rest);
  const whole = x.text;
  const invoiceNumbers = x.invoiceNumbers;
  const ref = refIn(t, invoiceNumbers, x.amounts);
  const to = x.emails[0] ?? null;
  const done = (draft: Draft): ParsedMessage => ({ draft, invoiceNumbers });
  const hasInvoiceWord = INVOICE_WORD.test(t);

  if (whole.length === 0) return done({ kind: 'help' });

  // Attempts to change the assistant's rules, or to act on text found inside invoices.
  if (
    /\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|rules?|prompts?|guidelines|directives|restrictions|policy|policies)\b/.test(whole) ||
    /\b(system prompt|developer mode|jailbreak|you are now|pretend (?:to be|you are)|act as (?:an? )?(?:admin|administrator|developer|root|system))\b/.test(whole)
  ) {
    return done({ kind: 'injection', memo: false });
  }
  if (/\b(do|follow|execute|carry out|obey|apply|perform)\b.{0,30}\b(memo|note|notes|instructions?|comment)\b/.test(whole) && /\b(memo|note|notes|says|said|written|invoice)\b/.test(whole)) {
    return done({ kind: 'injection', memo: true });
  }

  // Another account: no tool takes an account id; the signed-in account is the only one.
  if (
    x.accountIds.length > 0 ||
    whole.includes(ACCOUNT_PLACEHOLDER) ||
    /\b(another|other|someone else|somebody else|different|a second|my other|their|his|her)\s+(account|accounts|customer|customers|reseller|resellers|company|companies|client|clients)\b/.test(whole) ||
    /\b(switch|change|swap)\s+(?:to\s+)?(?:a\s+|another\s+|the\s+other\s+)?(accounts?|customers?|company|companies)\b/.test(whole) ||
    /\b(log|sign|logged|signed)\s*(?:in|on)\s+as\b|\bon behalf of\b|\bimpersonate\b|\bi am (?:the |an )?(?:admin|administrator|superuser|owner of (?:account|another))\b/.test(whole) ||
    namesAnotherParty(raw) ||
    /\b(all|every|each)\s+(?:the\s+|other\s+)?(accounts?|customers?|resellers?|clients?|companies)\b|\beveryone\b|\beverybody\b/.test(whole)
  ) {
    return done({ kind: 'otherAccount' });
  }

  // Card details offered in chat (the server redacts real card numbers before we see them).
  const cardData =
    /\[card number removed\]|\[expiry removed\]|\[security code removed\]/i.test(raw) ||
    /\b(card (?:number|details|info|information|num|no)|cvv|cvc|cvv2|security code|expiry|expiration|exp date|card digits|(?:visa|mastercard|amex|credit card) (?:number|details|ending))\b/.test(whole);
  if (cardData && !/\b(where|how)\b.{0,30}\b(enter|type|put|add|give)\b/.test(whole)) {
    if (ref.kind === 'numbers') return done({ kind: 'pay', ref, cardNote: true });
    return done({ kind: 'policy', topic: 'cardData' });
  }

  if (x.badInvoiceRefs.length > 0 && invoiceNumbers.length === 0) return done({ kind: 'badRef', refs: x.badInvoiceRefs });

  // A payment or credit memo by its number: the lists show what each one covered.
  if (invoiceNumbers.length === 0 && x.paymentRefs.length > 0 && !/\bemail\b/.test(t)) return done({ kind: 'payments', period, limit: null });
  if (invoiceNumbers.length === 0 && x.creditRefs.length > 0 && !/\b(apply|use|redeem)\b/.test(t)) return done({ kind: 'credits' });

  // Something not working on the payment page or in the portal.
  if (/\b(not|n't|isn't|won't|doesn't|can not|cannot)\b.{0,20}\b(load|loading|work|working|open|opening|go through|accept|accepted|process)\b|\b(declined|rejected|broken|error message|getting an error|failed|failing|bug)\b/.test(t) && /\b(pay|payment|paying|page|link|card|portal|button|checkout)\b/.test(t)) {
    return done({ kind: 'policy', topic: 'trouble' });
  }

  // Emailing a copy.
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
    if (!/\bpay(?:ment)? links?\b|\blinks? (?:to|so i can|so we can) pay\b/.test(t)) return done({ kind: 'email', ref, to, bulk, sameAddress });
  }

  // How paying works (asked with "pay" in it, but not a request to pay).
  if (ref.kind !== 'numbers') {
    if (/\b(safe|secure|security|protected|encrypted|legit|trust)\b/.test(t) && /\b(is|are|how)\b/.test(t) && !/\b(link|now)\b/.test(t)) return done({ kind: 'policy', topic: 'security' });
    if (/\b(what happens|after i pay|once i pay|when i pay|after paying|after (?:my |the )?payment|once (?:my |the )?payment|how long)\b/.test(t) && /\b(pay|paying|payment|paid)\b/.test(t)) {
      return done({ kind: 'policy', topic: 'whenPaid' });
    }
    if (/\bstatus(?:es)?\b.{0,20}\b(mean|means|meaning)\b|\b(explain|what are) (?:the )?(?:invoice )?statuses\b/.test(t)) return done({ kind: 'policy', topic: 'statuses' });
  }
  const handoff = handoffTopicIn(whole);
  if (handoff) return done({ kind: 'handoff', topic: handoff, ref });

  // Questions about what is left to pay, or about past payments, mention "pay" without asking to.
  const pastPayQuestion =
    /\b(when|what|how much|did|have|has|had)\b.{0,12}\b(?:i|we)\s+(?:already\s+|ever\s+|last\s+|recently\s+)?(?:pay|paid|made)\b/.test(t) &&
    /\b(when did|did (?:i|we)|have (?:i|we)|has|had|last|how much did|how much have|what did|what have)\b/.test(t) &&
    !/\b(how (?:do|can|should|could) (?:i|we))\b/.test(t);
  if (pastPayQuestion && ref.kind === 'numbers') return done({ kind: 'show', ref });
  if (pastPayQuestion && hasInvoiceWord && !PAYMENT_NOUN.test(t)) return done({ kind: 'invoices', status: 'paid', period, limit: limitIn(t), dateField });
  if (/\b(where|how)\b.{0,30}\b(enter|type|put|add|give|provide|submit)\b.{0,30}\b(card|credit card|payment details|payment information)\b/.test(t) && ref.kind !== 'numbers') {
    return done({ kind: 'policy', topic: 'howToPay' });
  }
  if (ref.kind === 'none' || (ref.kind === 'pronoun' && ref.plural)) {
    if (/\b(what|which|anything|any|list|show)\b.{0,40}\b(have|need|got|left|supposed|due) to (?:be )?pa(?:y|id)\b|\b(?:left|remaining|still) to pay\b|\bstill (?:have|need) to pay\b/.test(t) && !/\bhow much\b/.test(t)) {
      return done(period ? { kind: 'invoices', status: 'open', period, limit: null, dateField } : { kind: 'outstanding', limit: limitIn(t) });
    }
    if (/\bhow much\b.{0,30}\b(have|need|got|left) to pay\b/.test(t)) return done({ kind: 'balance', focus: 'balance' });
    if (pastPayQuestion) {
      return done({ kind: 'payments', period, limit: limitIn(t) ?? (/\blast\b/.test(t) ? 1 : null) });
    }
  }

  // Paying outside the portal: bank details, a cheque in the mail.
  if (/\b(bank(?:ing)? (?:info|information|details|account)|pay (?:you )?direct(?:ly)?|direct deposit|remit(?:tance)? (?:info|details|address)|(?:mail|send|post) (?:you )?(?:a )?(?:cheque|check))\b/.test(t) && ref.kind !== 'numbers') {
    return done({ kind: 'policy', topic: 'otherMethods' });
  }

  // Paying.
  const howToPayQuestion =
    /\b(how|where|when)\b.{0,25}\b(pay|make (?:a )?payment|paying)\b/.test(t) ||
    /\b(ways|way|options?|methods?) (?:to|of) pay(?:ing|ment)?\b|\bpayment (?:methods?|options?)\b/.test(t) ||
    /\b(can|could|do|may)\b.{0,12}\b(pay|accept|take|use)\b.{0,20}\b(by|with|using|via|through|over|in person|at)\b/.test(t) ||
    /\bdo you (?:accept|take)\b/.test(t);
  const payRequest =
    PAY_VERB.test(t) ||
    /\bpay(?:ment)? links?\b|\blink to pay\b|\b(?:secure )?link (?:for|to) (?:it|that|this|them|those|both)\b|\bmake (?:a |the )?payment\b|\bpay now\b|\bcheckout\b|\bcharge (?:my|the) (?:card|credit card)\b|\bcharge (?:it|me|this|that)\b|\bpaying\b/.test(t);
  if (payRequest || howToPayQuestion) {
    const byMethod =
      /\b(by|with|using|via|through|over|in)\s+(?:a\s+|my\s+|the\s+)?(credit card|card|visa|mastercard|amex|american express|debit|cheque|check|wire|bank transfer|bank|e ?transfer|etransfer|interac|paypal|ach|eft|cash|crypto|bitcoin|apple pay|google pay|phone|person|mail)\b/.exec(t) ??
      /\b(accept|take)\s+(?:a\s+)?(credit cards?|cards?|visa|mastercard|amex|american express|debit|cheques?|checks?|wires?|bank transfers?|e ?transfers?|interac|paypal|ach|eft|cash|crypto|bitcoin|apple pay|google pay)\b/.exec(t);
    const hasTarget = ref.kind === 'numbers' || (ref.kind === 'pronoun' && /\b(this one|that one|this invoice|that invoice|it|them|those|these|both)\b/.test(t)) || ref.kind === 'ordinal' || ref.kind === 'amount';
    if (howToPayQuestion && !hasTarget && !/\b(all|every|everything|overdue|balance)\b/.test(t)) {
      if (byMethod) {
        const m = byMethod[2]!;
        return done({ kind: 'policy', topic: /card|visa|mastercard|amex|american express/.test(m) && !/debit/.test(m) ? 'cardPayment' : 'otherMethods' });
      }
      if (/\bwhen\b/.test(t) && /\b(show|marked|appear|reflect|update|paid)\b/.test(t)) return done({ kind: 'policy', topic: 'whenPaid' });
      if (/\b(credit card|card|visa|mastercard|amex|american express)\b/.test(t)) return done({ kind: 'policy', topic: 'cardPayment' });
      return done({ kind: 'policy', topic: 'howToPay' });
    }
    const cardNote = /\b(credit card|card|visa|mastercard|amex)\b/.test(t);
    if (ref.kind === 'numbers') return done({ kind: 'pay', ref, cardNote });
    if (ref.kind === 'superlative' || ref.kind === 'status' || ref.kind === 'ordinal' || ref.kind === 'other') return done({ kind: 'pay', ref, cardNote });
    if (OVERDUE_WORD.test(t) && !(ref.kind === 'pronoun' && !ref.plural)) return done({ kind: 'payAll', scope: 'overdue' });
    if (ref.kind === 'pronoun' && ref.plural) return done({ kind: 'pay', ref, cardNote });
    if (/\b(all|every|everything|whole|entire|full|total)\b/.test(t) || /\b(balance|outstanding|unpaid|open)\b/.test(t) || /\binvoices\b/.test(t)) {
      return done({ kind: 'payAll', scope: 'outstanding' });
    }
    return done({ kind: 'pay', ref, cardNote });
  }

  // The opening fee.
  if (
    /\b(opening|setup|set up|activation|new account|account opening|one time|onetime|sign up|signup|start up|startup)\s*(fee|charge|cost)s?\b/.test(t) ||
    /\bfees?\b/.test(t) ||
    (x.amounts.some((c) => c === 5000n) && /\b(why|what|charged|charge|for|this|extra)\b/.test(t))
  ) {
    return done({ kind: 'policy', topic: 'fee' });
  }

  // Policy and how things work.
  if (/\b(what|explain)\b.{0,30}\b(mean|means|meaning|difference|definition)\b|\bstatus(?:es)? mean\b|\bdifference between\b/.test(t) && statusIn(t) !== null) {
    return done({ kind: 'policy', topic: 'statuses' });
  }
  if (/\bwhat (?:are|is) (?:the |an? )?(?:invoice )?status(?:es)?\b|\binvoice statuses\b/.test(t) && ref.kind === 'none') return done({ kind: 'policy', topic: 'statuses' });
  if (/\b(is it|is this|is the payment|are payments?|how)\b.{0,25}\b(safe|secure|security|protected|encrypted)\b/.test(t)) return done({ kind: 'policy', topic: 'security' });
  if (/\b(credit card|card)\b/.test(t) && /\b(accept|take|use|allowed|possible|can i|could i|do you)\b/.test(t) && ref.kind !== 'numbers') return done({ kind: 'policy', topic: 'cardPayment' });
  if (/\b(where|how)\b.{0,30}\b(in the portal|on the portal|portal|billing section|billing page|billing tab|dashboard|find my)\b/.test(t)) return done({ kind: 'policy', topic: 'portal' });

  // Things the assistant does not do.
  if (/\b(apply|use|redeem|put|move)\b.{0,25}\b(credits?|creditref)\b/.test(t) && !/\bcredit card\b/.test(t)) return done({ kind: 'outOfScope', topic: 'applyCredit' });
  if (/\b(auto ?pay|autopay|automatic payments?|recurring payments?|save my card|store my card|saved card|card on file|direct debit|pre authorized|preauthorized)\b/.test(t)) return done({ kind: 'outOfScope', topic: 'autopay' });
  if (
    /\b(cancel|void|delete|remove|waive|forgive|write off|reverse|change|edit|modify|lower|reduce|merge|combine|split|reissue|re issue|move|transfer|reallocate|add)\b.{0,25}\b(invoices?|invref|fee|balance|charges?|amount|order|payment|paymentref)\b/.test(t) &&
    !/\b(due dates?)\b/.test(t)
  ) {
    return done({ kind: 'outOfScope', topic: 'cancel' });
  }
  if (/\b(orders?|ship|shipping|shipment|delivery|tracking|track my|stock|inventory|quote|quotes|price list|pricing|products?|buy|purchase|rma|return)\b/.test(t) && ref.kind === 'none' && !hasInvoiceWord) {
    return done({ kind: 'outOfScope', topic: 'orders' });
  }
  if (/\b(password|log ?in|username|address|phone number|contact details|profile|add (?:a )?user|users|permissions)\b/.test(t) && ref.kind === 'none' && !hasInvoiceWord && !/\bemailaddr\b/.test(t)) {
    return done({ kind: 'outOfScope', topic: 'profile' });
  }

  // One or more invoices by number; on their own ("IN7654321", "what about IN7654320?") they continue the previous request.
  if (ref.kind === 'numbers') {
    if (isFragment(t)) return done({ kind: 'fragment', ref, status: null, period, to, dateField });
    return done({ kind: 'show', ref });
  }

  // Help.
  if (
    /^(?:help|help me|menu|options|commands|\?+)[\s!.?]*$/.test(t) ||
    /\b(what can you do|what do you do|what can i (?:ask|do)|how (?:does|do) (?:this|you) work|who are you|what are you|what are your (?:capabilities|features|commands)|how can you help|what (?:kind of )?(?:things|questions) can|can you help|help me with|what is this|what should i ask|list of commands|what are you able|how does (?:billing|this|it|the assistant) work|how do i use (?:this|you))\b/.test(t)
  ) {
    if (!BALANCE_WORD.test(t) && !INVOICE_WORD.test(t) && !PAYMENT_NOUN.test(t) && !CREDIT_WORD.test(t)) return done({ kind: 'help' });
  }

  // Yes / no / small talk.
  if (YES.test(t)) return done({ kind: 'yes' });
  if (NO.test(t)) return done({ kind: 'no' });

  // "how much is left on it?", "what do I still owe on that one?": about the invoice in focus, not the account.
  const oneInvoiceRef = ref.kind === 'ordinal' || (ref.kind === 'pronoun' && !ref.plural) || ref.kind === 'superlative' || ref.kind === 'status' || ref.kind === 'other';
  if (oneInvoiceRef && /\b(on|for|of) (?:it|that|this|that one|this one|the invoice|that invoice|this invoice|that bill)\b/.test(t)) return done({ kind: 'show', ref });

  // Overdue and balance questions.
  const overdueQuestion =
    /\b(am i|are we|is my account|is the account|my account is)\b.{0,20}\b(behind|late|overdue|in arrears|up to date|current|in good standing|past due|caught up|all paid|paid up)\b/.test(t) ||
    /\bhow much\b.{0,30}\b(overdue|past due|late|behind|in arrears)\b/.test(t) ||
    /\b(do|have|got) (?:i|we) (?:got |have )?(?:any|anything)\b.{0,20}\b(overdue|past due|late)\b/.test(t) ||
    /\b(is|are) there (?:any|anything)\b.{0,20}\b(overdue|past due|late)\b/.test(t) ||
    /\banything (?:overdue|past due|late)\b/.test(t) ||
    /\b(overdue|past due) (?:amount|balance|total|sum)\b|\b(amount|total|sum) (?:that is |i have )?(overdue|past due)\b/.test(t) ||
    /\bhow far behind\b|\bmissed (?:any )?payments?\b|\bbehind on\b/.test(t);
  if (overdueQuestion && !/\b(which|list|show|what are)\b/.test(t)) return done({ kind: 'balance', focus: 'overdue' });
  if (/\b(next|upcoming)\b.{0,20}\b(due|payment|due date|bill|invoice)\b.{0,15}\b(date|when|due)?\b/.test(t) && /\b(when|what|date|next)\b/.test(t) && !/\b(list|show|invoices)\b/.test(t)) {
    return done({ kind: 'balance', focus: 'nextDue' });
  }

  // Credits.
  const creditQ = CREDIT_WORD.test(t) && !/\bcredit card\b/.test(t);
  if (creditQ && !/\b(balance|owe)\b/.test(t)) return done({ kind: 'credits' });

  // Payments made.
  const paidInvoices = hasInvoiceWord && /\bpaid\b/.test(t) && !PAYMENT_NOUN.test(t);
  const paymentsQ =
    (PAYMENT_NOUN.test(t) && !/\b(payment link|make a payment)\b/.test(t)) ||
    /\b(have|did|has|had) (?:i|we) (?:already |ever |recently )?(?:paid|pay|made)\b/.test(t) ||
    /\bwhat (?:have|did) (?:i|we) (?:paid|pay)\b|\b(?:i|we) (?:have )?paid so far\b|\bpaid so far\b|\bhow much (?:have|did) (?:i|we) (?:paid|pay|spent|spend)\b/.test(t) ||
    /\b(receipts?|transactions?|transaction history|remittances?|money (?:i|we) (?:sent|paid))\b/.test(t) ||
    /\bwhen did (?:i|we) (?:last )?pay\b/.test(t);
  if (paymentsQ && !paidInvoices && !overdueQuestion) {
    return done({ kind: 'payments', period, limit: limitIn(t) ?? (/\bwhen did (?:i|we) last pay\b|\blast payment\b/.test(t) ? 1 : null) });
  }

  // Balance.
  if (BALANCE_WORD.test(t) || /\bhow much\b.{0,20}\b(due|outstanding|left|remaining|to pay)\b/.test(t) || creditQ) {
    if (!(LIST_VERB.test(t) && INVOICE_PLURAL.test(t))) {
      const focus: BalanceFocus = OVERDUE_WORD.test(t) && !/\bbalance\b/.test(t) ? 'overdue' : 'balance';
      return done({ kind: 'balance', focus });
    }
  }

  // Invoice lists. With a due-date period, "due" names the date, not a status ("what was due in October" includes paid ones).
  const tStatus = dateField === 'due' ? t.replace(/\b(?:came|come|comes|coming|falls|fall|were|was|is|are)?\s*due\b/g, ' ') : t;
  const status = statusIn(tStatus);
  const amountRange = amountRangeIn(whole);
  const limit = limitIn(t);
  const historyWord = /\b(history|all (?:my |our |of my )?invoices|past invoices|previous invoices|old invoices|older invoices|every invoice|recent invoices|archive|invoiced)\b/.test(t);
  const showRef = ref.kind === 'ordinal' || (ref.kind === 'pronoun' && !ref.plural) || ref.kind === 'amount' || ref.kind === 'superlative' || ref.kind === 'status' || ref.kind === 'other';
 if (showRef && (SHOW_VERB.test(t) || (ABOUT_ONE.test(t) && !INVOICE_PLURAL.test(t)) || (ref.kind === 'superlative' && !INVOICE_PLURAL.test(t) && (ref.by === 'amount' || ref.status !== null)))) return done({ kind: 'show', ref });
  if (showRef && isFragment(t.replace(ORDINAL_WORDS, ' ').replace(SUPERLATIVE_WORDS, ' '))) return done({ kind: 'fragment', ref, status: null, period, to, dateField });
  if (hasInvoiceWord || historyWord || /\b(what is|what are|anything|everything)\b.{0,10}\b(unpaid|outstanding|open|due|overdue|past due)\b/.test(t) || (status && status !== 'paid' && LIST_VERB.test(t) && !isFragment(t.replace(STATUS_WORDS, ' ')))) {
    if (status === 'open' || (status === null && OPEN_WORD.test(tStatus) && !historyWord)) {
      if (!period && !amountRange) return done({ kind: 'outstanding', limit });
      return done({ kind: 'invoices', status: 'open', period, limit, dateField, amount: amountRange });
    }
    if (status === null && /\b(what is|what are|anything)\b.{0,10}\bdue\b/.test(t) && !period) return done({ kind: 'outstanding', limit });
    if (status !== null || period !== null || historyWord || limit !== null || hasInvoiceWord) {
      if (ref.kind === 'pronoun' && ref.plural && status === null && period === null && !historyWord) return done({ kind: 'fragment', ref, status, period, to, dateField });
      return done({ kind: 'invoices', status: dateField === 'due' && status === 'due' ? null : status, period, limit, dateField, amount: amountRange });
    }
    if (amountRange) return done({ kind: 'invoices', status, period, limit, dateField, amount: amountRange });
  }
  // "what do I have due in December", "what came due in the last 30 days": a due-date period on its own is an invoice list.
  if (dateField === 'due' && period && ref.kind === 'none' && !PAYMENT_NOUN.test(t)) {
    return done({ kind: 'invoices', status: /\b(have|need|got) to pay\b/.test(t) || OPEN_WORD.test(tStatus) ? 'open' : null, period, limit, dateField, amount: amountRange });
  }

  // Greetings, thanks, goodbyes.
  if (GREETING.test(t)) return done({ kind: 'chat', what: 'greeting' });
  if (BYE.test(t)) return done({ kind: 'chat', what: 'bye' });
  if (THANKS.test(t)) return done({ kind: 'chat', what: 'thanks' });
  if (ACK.test(t)) return done({ kind: 'chat', what: 'ack' });

  // Fragments that only make sense as a follow-up: "and the overdue ones?", "what about October?", "the first one".
  const stripped = t
    .replace(STATUS_WORDS, ' ')
    .replace(ORDINAL_WORDS, ' ')
    .replace(SUPERLATIVE_WORDS, ' ')
    .replace(/\b(ones?|invoices?|other)\b/g, ' ')
    .replace(ref.kind === 'amount' ? /\$?\d[\d,]*(?:\.\d+)?/g : /$^/g, ' ');
  if ((ref.kind !== 'none' || status !== null || period !== null || to !== null) && isFragment(stripped)) {
    return done({ kind: 'fragment', ref, status, period, to, dateField });
  }
  if (period !== null && isFragment(stripped.replace(/\b(from|in|for|during|since|of)\b/g, ' '))) return done({ kind: 'fragment', ref, status, period, to, dateField });

  if (/\b(weather|joke|poem|story|news|sports|recipe|translate|code|python|javascript|stock price|bitcoin price|movie|song|who won|capital of|meaning of life)\b/.test(t)) {
    return done({ kind: 'outOfScope', topic: 'general' });
  }
  if (GREETING.test(t.replace(/\b(how are you|how is it going|what is up|sup)\b/g, ' ').trim()) || /^(?:how are you|how is it going)\b/.test(t)) {
    return done({ kind: 'chat', what: 'greeting' });
  }
  if (whole.includes(INVOICE_PLACEHOLDER) || whole.includes(BAD_INVOICE_PLACEHOLDER)) return done({ kind: 'show', ref });
  return done({ kind: 'unknown' });
}

/** A draft that does something (tool use or a substantive answer), as opposed to small talk. */
export function isSubstantive(d: Draft): boolean {
  return d.kind !== 'chat' && d.kind !== 'unknown' && d.kind !== 'yes' && d.kind !== 'no';
}
