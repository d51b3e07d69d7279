import { normalizeInvoiceNumber } from '../../billing/invoice-number.js';
import { parseAmount } from '../../format/money.js';
import { normalizeTyped, recipientSpans } from '../../mail/recipients.js';
import { ENGLISH_WORDS_NEAR_VOCAB } from './english-words.js';
/**
 * Text handling for the offline engine: normalisation, typo correction, and extraction of the
 * things a billing request names (invoice numbers, email addresses, amounts, account ids).
 */

/**
 * Invoice numbers as people write them in chat: IN7654321, in 7654321, IN-7654321, inv 7654321,
 * #7654321, 7654321, IN_7654321, IN.7654321, IN/7654321, and after IN the digits grouped 3 + 4
 * (IN 765 4321, IN765-4321). Looser than typedInvoiceNumbersIn (src/billing/invoice-number.ts) on
 * purpose; the digits it finds are made canonical by that module's normalizeInvoiceNumber.
 */
const INVOICE_RE = /(?<![\w.,$-])(?:(?:(?:in|inv)[\s#:._/-]*|#\s?)?(\d{7})|(?:in|inv)[\s#:._/-]*(\d{3})[\s.-](\d{4}))(?!\d|,\d|\.\d)/gi;
/** Things that look like an invoice number but are not one (wrong digit count). */
const BAD_INVOICE_RE = /\b(?:in|inv)[#:-]?(\d{4,6}|\d{8,12})\b/gi;
const ACCOUNT_RE = /\b[rR][\s-]?(\d{5})\b/g;
const AMOUNT_RE = /\$\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?(?!\d)|\b(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{2}))?\s*(?:dollars|bucks|cad)\b|\b(\d{1,3}(?:,\d{3})+|\d+)\.(\d{2})(?=\s+one\b)/gi;

export const INVOICE_PLACEHOLDER = 'invref';
/** What joins the numbers of one list ("IN… and IN…", "IN…, IN… or IN…"). */
const LIST_JOIN = /^\s*(?:,|&|\/|and|or|nor|,\s*and|,\s*or)?\s*(?:(?:the|invoice|inv)\s+)?$/i;
/** Words right before an invoice number that leave it out ("except IN…", "but not the IN…", "other than invoice IN…"). */
const EXCLUDING = /\b(?:except(?: for)?|excepting|excluding|exclude|other than|apart from|aside from|but not|not|minus|save for)\s+(?:(?:the|invoice|inv|number|for|la|le)\s+){0,2}$/i;
export const EMAIL_PLACEHOLDER = 'emailaddr';
export const ACCOUNT_PLACEHOLDER = 'otheraccountref';
export const BAD_INVOICE_PLACEHOLDER = 'badinvref';
const PLACEHOLDERS = new Set([INVOICE_PLACEHOLDER, EMAIL_PLACEHOLDER, ACCOUNT_PLACEHOLDER, BAD_INVOICE_PLACEHOLDER, 'paymentref', 'creditref']);

/** Whole-word replacements: shorthand, common misspellings and contractions. */
const REPLACE: Record<string, string> = {
  inv: 'invoice',
  invs: 'invoices',
  teh: 'the',
  dispte: 'dispute',
  disupte: 'dispute',
  hte: 'the',
  invoce: 'invoice',
  invoise: 'invoice',
  invioce: 'invoice',
  inovice: 'invoice',
  pmt: 'payment',
  pmts: 'payments',
  bal: 'balance',
  acct: 'account',
  acc: 'account',
  thx: 'thanks',
  thnx: 'thanks',
  thanx: 'thanks',
  tnx: 'thanks',
  ty: 'thanks',
  tysm: 'thanks',
  pls: 'please',
  plz: 'please',
  plez: 'please',
  u: 'you',
  ur: 'your',
  yr: 'your',
  wat: 'what',
  wht: 'what',
  whats: 'what is',
  hows: 'how is',
  wheres: 'where is',
  whens: 'when is',
  im: 'i am',
  ive: 'i have',
  dont: 'do not',
  cant: 'can not',
  cannot: 'can not',
  didnt: 'did not',
  havent: 'have not',
  hasnt: 'has not',
  isnt: 'is not',
  arent: 'are not',
  wont: 'will not',
  doesnt: 'does not',
  payed: 'paid',
  pd: 'paid',
  owed: 'owe',
  owes: 'owe',
  oweing: 'owing',
  bills: 'invoices',
  bill: 'invoice',
  billed: 'invoiced',
  recieved: 'received',
  recieve: 'receive',
  reciept: 'receipt',
  reciepts: 'receipts',
  ammount: 'amount',
  amt: 'amount',
  cc: 'credit card',
  creditcard: 'credit card',
  emial: 'email',
  emal: 'email',
  mail: 'email',
  emailed: 'email',
  emailing: 'email',
  pdfs: 'pdf',
  overdo: 'overdue',
  ovedue: 'overdue',
  outstandin: 'outstanding',
  hi: 'hello',
  hii: 'hello',
  hiya: 'hello',
  heya: 'hello',
  hey: 'hello',
  howdy: 'hello',
  yo: 'hello',
  greetings: 'hello',
  bonjour: 'hello',
  ok: 'okay',
  k: 'okay',
  kk: 'okay',
  okey: 'okay',
  yeah: 'yes',
  yep: 'yes',
  yup: 'yes',
  ya: 'yes',
  sure: 'yes',
  nope: 'no',
  nah: 'no',
  ytd: 'year to date',
  sept: 'september',
  thru: 'through',
  til: 'until',
  till: 'until',
  asap: 'now',
};

/** Words the parser cares about, for typo correction (only words of five letters or more are corrected). */
const VOCAB = [
  'invoice',
  'invoices',
  'invoiced',
  'balance',
  'outstanding',
  'overdue',
  'payment',
  'payments',
  'credit',
  'credits',
  'history',
  'unpaid',
  'account',
  'statement',
  'statements',
  'email',
  'amount',
  'opening',
  'details',
  'please',
  'thanks',
  'thank',
  'hello',
  'download',
  'status',
  'partially',
  'partial',
  'upcoming',
  'previous',
  'recent',
  'latest',
  'between',
  'since',
  'until',
  'quarter',
  'today',
  'yesterday',
  'month',
  'months',
  'weeks',
  'years',
  'january',
  'february',
  'march',
  'april',
  'august',
  'september',
  'october',
  'november',
  'december',
  'receipt',
  'receipts',
  'transactions',
  'outstanding',
  'unapplied',
  'available',
  'memos',
  'charged',
  'charge',
  'secure',
  'link',
  'settle',
  'total',
  'behind',
  'copy',
  'forward',
  'address',
  'another',
  'customer',
  'instructions',
  'previous',
  'ignore',
  'what',
  'show',
  'list',
  'which',
  'where',
  'there',
  'their',
  'paying',
  'money',
  'remaining',
  'everything',
  'assistant',
  'goodbye',
];
const VOCAB_SET = new Set(VOCAB);

/** A word the engine reads as it is (its vocabulary, or a shorthand it expands), e.g. an English word inside a French message. */
export function isEngineWord(word: string): boolean {
  return VOCAB_SET.has(word) || (word.length >= 3 && Object.hasOwn(REPLACE, word));
}
const ENGLISH_NEAR_VOCAB: ReadonlySet<string> = new Set(ENGLISH_WORDS_NEAR_VOCAB);

/**
 * Damerau-Levenshtein distance (optimal string alignment), capped.
 * Kept rather than fastest-levenshtein: that library has no transpositions, and "paymnet" or "ocotber" must stay one edit.
 */
export function editDistance(a: string, b: string, cap = 3): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

const corrections = new Map<string, string>();

/** Corrects one lower-case word against the vocabulary (five letters or more; one edit, two for long words). */
export function correctWord(word: string): string {
  if (PLACEHOLDERS.has(word)) return word;
  const direct = REPLACE[word];
  if (direct !== undefined) return direct;
  // A real English word is never a typo ("change" is not "charge", "match" is not "march").
  if (ENGLISH_NEAR_VOCAB.has(word)) return word;
  return nearestVocab(word);
}

/** The vocabulary word within the allowed edits of `word`, or `word` itself (no English-word check: see correctWord). */
export function nearestVocab(word: string): string {
  if (word.length < 5 || VOCAB_SET.has(word) || !/^[a-z]+$/.test(word)) return word;
  // Plurals and simple inflections of known words are words, not typos.
  if (VOCAB_SET.has(word.replace(/(?:es|s|ed|ing)$/, '')) || VOCAB_SET.has(word.replace(/s$/, ''))) return word;
  const cached = corrections.get(word);
  if (cached !== undefined) return cached;
  const allowed = word.length >= 8 ? 2 : 1;
  let best = word;
  let bestD = allowed + 1;
  for (const v of VOCAB) {
    if (v.length < 4) continue;
    const dist = editDistance(word, v, allowed);
    if (dist < bestD) {
      best = v;
      bestD = dist;
    }
  }
  const out = bestD <= allowed ? best : word;
  if (corrections.size < 5000) corrections.set(word, out);
  return out;
}

export interface Extracted {
  /** Lower-case, corrected text; invoice numbers and email addresses replaced by placeholders. */
  text: string;
  invoiceNumbers: string[];
  /** Invoice numbers the user leaves out ("except IN…", "other than", "but not", "not IN…"): never acted on. */
  excludedInvoiceNumbers: string[];
  badInvoiceRefs: string[];
  emails: string[];
  accountIds: string[];
  /** Payment (PAY-300205) and credit memo (CM-100202) numbers. */
  paymentRefs: string[];
  creditRefs: string[];
  /** Amounts in cents, in order of appearance. */
  amounts: bigint[];
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** Normalises a user message and pulls out what it names. */
export function extract(raw: string): Extracted {
  let s = normalizeTyped(raw);
  // Addresses as the mail policy reads them (a quoted local part or a glued source route whole), so
  // the engine asks the email tool about exactly what the tool's approval sees in the message.
  const emails: string[] = [];
  let rest = '';
  let from = 0;
  for (const span of recipientSpans(s)) {
    emails.push(s.slice(span.start, span.end).toLowerCase());
    rest += `${s.slice(from, span.start)} ${EMAIL_PLACEHOLDER} `;
    from = span.end;
  }
  s = (rest + s.slice(from)).replace(/[\u2013\u2014]/g, ' - ');
  const accountIds: string[] = [];
  s = s.replace(ACCOUNT_RE, (_m, digits: string) => {
    accountIds.push(`R${digits}`);
    return ` ${ACCOUNT_PLACEHOLDER} `;
  });
  const amounts: bigint[] = [];
  for (const m of s.matchAll(AMOUNT_RE)) {
    const whole = m[1] ?? m[3] ?? m[5];
    const frac = m[2] ?? m[4] ?? m[6];
    // AMOUNT_RE's digits are parseAmount's ("1,234" or "1234", then one or two decimals), so it always reads them.
    if (whole) amounts.push(parseAmount(frac ? `${whole}.${frac}` : whole)!);
  }
  const paymentRefs: string[] = [];
  s = s.replace(/\bPAY[\s-]?(\d{6})\b/gi, (_m, d: string) => {
    paymentRefs.push(`PAY-${d}`);
    return ' paymentref ';
  });
  const creditRefs: string[] = [];
  s = s.replace(/\bCM[\s-]?(\d{6})\b/gi, (_m, d: string) => {
    creditRefs.push(`CM-${d}`);
    return ' creditref ';
  });
  const invoiceNumbers: string[] = [];
  const excluded: string[] = [];
  let excludedEnd = -1;
  s = s.replace(INVOICE_RE, (m: string, seven: string | undefined, head: string | undefined, tail: string | undefined, offset: number, whole: string) => {
    const number = normalizeInvoiceNumber(seven ?? `${head}${tail}`)!;
    // Left out ("except IN…", and the numbers listed right after it: "except IN… and IN…"): the
    // number is gone from the text, so nothing reads it as the one meant.
    const listedAfterExcluded = excludedEnd >= 0 && LIST_JOIN.test(whole.slice(excludedEnd, offset));
    if (listedAfterExcluded || EXCLUDING.test(whole.slice(Math.max(0, offset - 40), offset))) {
      excluded.push(number);
      excludedEnd = offset + m.length;
      return ' ';
    }
    invoiceNumbers.push(number);
    return ` ${INVOICE_PLACEHOLDER} `;
  });
  const badInvoiceRefs: string[] = [];
  s = s.replace(BAD_INVOICE_RE, (m) => {
    badInvoiceRefs.push(m.replace(/\s+/g, ' ').trim().toUpperCase());
    return ` ${BAD_INVOICE_PLACEHOLDER} `;
  });

  s = s.toLowerCase();
  // Joined or hyphenated forms first, then contractions and possessives.
  s = s
    .replace(/\be-mail/g, 'email')
    .replace(/\bover\s+due\b/g, 'overdue')
    .replace(/\bpast-due\b/g, 'past due')
    .replace(/\bpay-?now\b/g, 'pay now')
    .replace(/\bwhat's\b/g, 'what is')
    .replace(/\bthat's\b/g, 'that is')
    .replace(/\bit's\b/g, 'it is')
    .replace(/\bhow's\b/g, 'how is')
    .replace(/\bwhere's\b/g, 'where is')
    .replace(/\bwhen's\b/g, 'when is')
    .replace(/\bwho's\b/g, 'who is')
    .replace(/\bthere's\b/g, 'there is')
    .replace(/\blet's\b/g, 'let us')
    .replace(/\bcan't\b/g, 'can not')
    .replace(/\bwon't\b/g, 'will not')
    .replace(/n't\b/g, ' not')
    .replace(/'ve\b/g, ' have')
    .replace(/'m\b/g, ' am')
    .replace(/'re\b/g, ' are')
    .replace(/'ll\b/g, ' will')
    .replace(/'d\b/g, ' would')
    .replace(/'s\b/g, '')
    .replace(/s'(?=\s|$)/g, 's');
  // Keep what the parser reads: words, digits, $, dates' separators, and sentence marks.
  s = s.replace(/[^a-z0-9$@.,?!;:/\-\s]/g, ' ');
  s = s.replace(/([a-z])-(?=[a-z])/g, '$1 ');
  const words = s.split(/(\s+|[?!;,]|\.(?!\d))/).map((w) => (/^[a-z]+$/.test(w) ? correctWord(w) : w));
  s = words.join('').replace(/\s+/g, ' ').trim();

  return {
    text: s,
    invoiceNumbers: uniq(invoiceNumbers),
    excludedInvoiceNumbers: uniq(excluded).filter((n) => !invoiceNumbers.includes(n)),
    badInvoiceRefs: uniq(badInvoiceRefs),
    emails: uniq(emails),
    accountIds: uniq(accountIds),
    paymentRefs: uniq(paymentRefs),
    creditRefs: uniq(creditRefs),
    amounts,
  };
}

/** Splits a message into clauses that may each carry their own request. */
export function splitClauses(raw: string): string[] {
  const parts = raw
    .split(/\s+\+\s+|,?\s+(?:and\s*)?\.*\s*(?=(?:i\s+)?(?:just|only|instead)\s+(?:show|tell|give|list|want|need|check|let|send|what|see)\b)|(?<=[?!])\s+|(?<=[a-z0-9)"'])\.\s+(?=[A-Za-z])|;\s*|\s+(?:and\s+)?also\s*,?\s+(?=[a-z])|\s+and\s+then\s+|,?\s+and\s+(?=(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?(?:list|show|give|tell|send|email|e-mail|pay|what|whats|how|which|when|do|are|is|any|get|find)\b|(?:my|the|our)\s+(?:credits?|credit memos|payments?|invoices|balance|outstanding|overdue)\b)/i)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  return parts.length > 0 ? parts : [raw];
}
