import { analyze } from '../language/analyze.js';
import type { StatusFilter } from '../references.js';
import type { AmountRange } from './intent-draft.js';
import { EMAIL_PLACEHOLDER, INVOICE_PLACEHOLDER } from './text.js';

/**
 * The words intent parsing reads (as regexes over the normalised text) and the small readers built
 * on them: a list limit, a status, an amount bound, a hand-off topic, a leftover fragment, another party.
 */

const NUMBER_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, twelve: 12, fifteen: 15, twenty: 20 };
// Vocabulary, as regexes over the normalised text.
export const INVOICE_WORD = /\b(invoices?|statements?|invoiced)\b/;
export const INVOICE_PLURAL = /\b(invoices|statements)\b/;
export const PAYMENT_NOUN = /\bpayments?\b/;
export const PAY_VERB = /\b(pay|pay off|settle)\b|\bclear (?:off |up )?(?:my|the|this|that|these|those|all|it|them|everything)\b/;
export const LIST_VERB = /\b(list|show|see|view|display|give|get|find|pull up|bring up|look up|which|what|any|all|my|tell)\b/;
export const SHOW_VERB = /\b(show|see|view|display|open|look|look at|look up|pull up|bring up|details?|detail|more|info|information|about|status|check|tell|what is on|what is in|what was on|what does|summary|summarize|breakdown|lines?|items?|pdf|copy|download|get|give)\b/;
export const OVERDUE_WORD = /\b(overdue|past due|late|delinquent|arrears|behind)\b/;
export const OPEN_WORD = /\b(unpaid|outstanding|open|not (?:yet )?paid|unsettled|owing|still due|remaining|pending|to pay|need to pay|have to pay|left to pay|due)\b/;
export const BALANCE_WORD = /\b(balance|owe|owing|in for|our tab|my tab|the tab|square up|squared up|where do (?:we|i) stand|money wise|what do (?:we|i) owe|in the red|in good standing|account status|status of my account|account standing|on my account|account summary|total due|amount due|total owing|total outstanding|how much is (?:outstanding|due|left)|how much (?:do|have) (?:i|we) (?:got )?(?:to pay|left)|what do (?:i|we) owe)\b/;
export const CREDIT_WORD = /\b(credits|credit memos?|credit notes?|unapplied|cm ?\d{3,}|credit balance|store credit|credit on (?:my|the) account|credit(?! cards?\b))\b/;
export const GREETING = /^(?:(?:hello|good (?:morning|afternoon|evening|day)|hello there|dear assistant)[\s,!.]*)+$/;
export const THANKS = /\b(thanks|thank you|thank u|cheers|much appreciated|appreciate it|great help)\b/;
export const BYE = /\b(bye|goodbye|see you|see ya|later|have a good (?:day|one)|that is all|that will be all|nothing else|i am done|all done)\b/;
export const ACK = /^(?:okay|alright|all right|cool|great|perfect|got it|understood|nice|awesome|fine|good|noted|i see|makes sense)(?:\s+(?:thanks|thank you|then|now))?[\s!.]*$/;
export const YES = /^(?:yes|yes please|please do|do it|go ahead|please|okay (?:please|do it|go ahead)|yes go ahead|yes do it|sounds good|yes that would be great|yes please do|that would be great|absolutely|of course|definitely)[\s!.]*$/;
export const NO = /^(?:no|no thanks|no thank you|not now|nope|no need|never mind|nevermind|not really|cancel|stop)[\s!.]*$/;

/** Words that carry no request of their own (a follow-up fragment is made of these plus a reference). */
const FILLER = new Set(
  `and what about how also same for now okay then no nope hmm the one ones invoice invoices number please too instead that this is it i mean meant sorry yes actually oh hmm um so a an of on with my our me us just only can you could would will do does let see ones' those these them both which was were are be to ok well hello thanks again any all
   what is hello right`
    .split(/\s+/)
    .filter(Boolean),
);

export function limitIn(t: string): number | null {
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

export function statusIn(t: string): StatusFilter | null {
  if (/\bpartial(?:ly)?(?: paid)?\b|\bpart paid\b|\bpartly paid\b/.test(t)) return 'partially_paid';
  if (/\b(upcoming|coming due|due soon|not (?:yet )?(?:overdue|late|past due)|due next|due later|not late|due invoices|invoices (?:that are |which are )?(?:still )?due(?! date))\b/.test(t)) return 'due';
  if (OVERDUE_WORD.test(t)) return 'overdue';
  if (/\b(unpaid|outstanding|open|not (?:yet )?paid|unsettled|owing|still due|remaining|pending)\b/.test(t)) return 'open';
  if (/\b(paid|settled|closed|cleared|fully paid)\b/.test(t)) return 'paid';
  return null;
}

/** "haven't been paid", "not yet paid", "aren't paid": the invoices that are unpaid (negation read by the NLP layer). */
export function negatedPaid(t: string): string {
  if (!/\bnot\b/.test(t) || !/\b(paid|settled)\b/.test(t)) return t;
  // With its auxiliary the phrase is negated on its face ("have not yet been paid": wink-nlp's scope misses that one).
  const withAux = /\b(?:have|has|had|are|is|were|was|be)\s+not\s+(?:we\s+|i\s+|you\s+)?(?:yet\s+|been\s+|fully\s+|already\s+)*(?:paid|settled)\b/g;
  const out = t.replace(withAux, 'unpaid');
  if (!/\bnot\b/.test(out) || !/\b(paid|settled)\b/.test(out)) return out;
  const a = analyze(out);
  if (!a.isNegated('paid') && !a.isNegated('settled')) return out;
  return out.replace(/\bnot\s+(?:we\s+|i\s+|you\s+)?(?:yet\s+|been\s+|fully\s+|already\s+)*(?:paid|settled)\b/g, 'unpaid');
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
    /\b(is|it is|its|looks|seems|are|was) (?:all |completely |totally )?(?:wrong|incorrect|not right|off)\b|\b(?:do not|did not|can not) recogni[sz]e\b|\b(mistake|error) (?:on|in|with)\b|\bnever (?:ordered|received|got)\b(?! (?:the |a |my |any |your )?(?:secure )?(?:payment |pay )?links?\b)|\bdid not (?:order|receive|get)\b(?! (?:the |a |my |any |your )?(?:secure )?(?:payment |pay )?links?\b)|\bshould not (?:have been|be) (?:charged|billed)\b/.test(t)
  ) {
    return 'dispute';
  }
  return null;
}

/** True when nothing but filler is left once references, dates and statuses are taken out. */
export function isFragment(rest: string): boolean {
  const words = rest
    .replace(/[?!.,;:]/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .filter((w) => !FILLER.has(w) && w !== INVOICE_PLACEHOLDER && w !== EMAIL_PLACEHOLDER);
  return words.length === 0;
}

export const STATUS_WORDS =
  /\b(partially paid|partial|part paid|partly paid|overdue|past due|late|unpaid|outstanding|open|not paid|not yet paid|paid|upcoming|due soon|due|pending|settled)\b/g;
/** A question about one invoice's facts ("when is it due?", "how much is left on it?", "is it overdue?"). */
export const ABOUT_ONE = /\b(when|due|owe|owing|left|remaining|overdue|late|paid|received|how much|what for|for what|total|amount|status|balance on)\b/;
export const SUPERLATIVE_WORDS = /\b(largest|biggest|highest|larger|bigger|higher|smallest|lowest|smaller|lower|cheapest|oldest|older|earliest|earlier|newest|newer|latest|more recent|most recent)\b/g;
export const ORDINAL_WORDS = /\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|last|final|top|bottom)\b/g;

/**
 * "the balance of Acme Corp", "Acme Corp's invoices", "I'm from Acme": a named party other than
 * the user. Capitalised names only, so "balance of my account" or "invoices for October" never match.
 */
export function namesAnotherParty(raw: string): boolean {
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
