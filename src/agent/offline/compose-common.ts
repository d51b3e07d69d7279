import { formatDate } from '../../format/dates.js';
import { formatMoney } from '../../format/money.js';
import { statusLabel as labelOf, translator, type Locale, type Translate } from '../../i18n/index.js';
import { listInvoicesResult as invoiceListResult } from '../../../tools/listInvoices.js';
import { listOutstandingResult as outstandingResult } from '../../../tools/listOutstanding.js';
import type { InvoiceBriefResult as InvoiceBrief } from '../../../tools/shared.js';
import { errorOf, parseAs, type CallOutcome, type ToolErrorResult } from './outcomes.js';

/**
 * What every answer of the composer (compose.ts) shares: the reply's locale and its formatting
 * (`Say`), the lookup-failed and error replies, lists, money sums, and one line per invoice.
 * Every sentence is a message of the catalogue area `engine` (src/i18n/catalogue/engine.ts), in
 * the language of the user's message; amounts and dates are formatted from the tool results'
 * cents and ISO dates in that locale.
 */

/** The reply's locale with its translator and formatters. */
export interface Say {
  locale: Locale;
  t: Translate;
  /** Whether the tools' own English words (error messages) may be quoted as they are. */
  english: boolean;
  money(cents: number | bigint, currency: string): string;
  date(iso: string): string;
  /** "a, b and c" ("a, b et c"). */
  and(xs: readonly string[]): string;
  /** "a, b or c" ("a, b ou c"). */
  or(xs: readonly string[]): string;
}

const sayers = new Map<Locale, Say>();

export function sayIn(locale: Locale): Say {
  let s = sayers.get(locale);
  if (!s) {
    const and = new Intl.ListFormat(locale, { type: 'conjunction' });
    const or = new Intl.ListFormat(locale, { type: 'disjunction' });
    s = {
      locale,
      t: translator(locale),
      english: locale === 'en-CA',
      money: (cents, currency) => formatMoney(BigInt(cents), currency, locale),
      date: (iso) => formatDate(iso, locale),
      and: (xs) => and.format(xs),
      or: (xs) => or.format(xs),
    };
    sayers.set(locale, s);
  }
  return s;
}

/** Questions the engine asks; what it asked is stored as data (the note's `pending`), never read back from this text. */
export const OFFER_PAY_OVERDUE = 'engine.ask.offerPayOverdue';

export const lookupFailed = (say: Say) => say.t('engine.error.lookupFailed');

export const capitalize = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

/** A clause as a sentence: capitalised, with its full stop. */
export const sentence = (clause: string): string => `${capitalize(clause)}.`;

/** "first; second" with the locale's spacing before the semicolon. */
export const clauses = (say: Say, first: string, second: string) => say.t('engine.grammar.clauses', { first, second });

/** A list answer names at most this many invoices (or payments, credits) in its text: the cards carry the rows. */
export const MAX_NAMED = 5;

/** ": A, B and C" to end a summary sentence when there are MAX_NAMED or fewer, else nothing. */
export function named(say: Say, items: readonly string[]): string {
  return items.length > 0 && items.length <= MAX_NAMED ? say.t('engine.grammar.named', { list: say.and(items) }) : '';
}

/**
 * The currency of an amount the tools wrote for the model (en-CA: "$1,234.56", "€12.00",
 * "JPY 1,234.56"). "$" reads as CAD: CAD and USD print the same narrow symbol in both locales.
 * Only for results that do not name their currency.
 */
export function currencyOf(display: string): string {
  const code = /[A-Z]{3}/.exec(display);
  if (code) return code[0];
  if (display.includes('€')) return 'EUR';
  if (display.includes('£')) return 'GBP';
  return 'CAD';
}

/**
 * Cents of an en-CA amount the tools wrote for the model, for the few figures a result gives
 * without cents (an invoice's lines, payments and credits, a credit memo's amount); null when it
 * is not one.
 */
export function centsOf(display: string): bigint | null {
  const m = /^(-?)([^\d-]*)([\d,]+)\.(\d{2})$/.exec(display.trim());
  if (!m) return null;
  const c = BigInt(m[3]!.replace(/,/g, '')) * 100n + BigInt(m[4]!);
  return m[1] ? -c : c;
}

/** An amount of a result that has no cents for it: reformatted in the reply's locale, or as written when it cannot be read. */
export function amountOf(say: Say, display: string): string {
  const cents = centsOf(display);
  return cents === null ? display : say.money(cents, currencyOf(display));
}

/** Sums amounts exactly, in cents; null unless they share one currency. */
export function sumMoney(say: Say, items: ReadonlyArray<{ cents: number; display: string }>): string | null {
  let cents = 0n;
  let currency: string | null = null;
  for (const i of items) {
    const c = currencyOf(i.display);
    if (currency === null) currency = c;
    else if (currency !== c) return null;
    cents += BigInt(i.cents);
  }
  return say.money(cents, currency ?? 'CAD');
}

export function errorText(say: Say, e: ToolErrorResult, subject: string | null): string {
  switch (e.code) {
    case 'invoice_not_found':
      return subject ? say.t('engine.error.notFound', { number: subject }) : say.t('engine.error.notFoundThat');
    case 'invalid_invoice_number':
      return say.t('engine.error.invalidNumber', { number: subject ?? '' });
    case 'invalid_date':
    case 'invalid_range':
      return say.t('engine.error.badDates');
    case 'timeout':
    case 'internal':
    case 'repeated_call':
      return lookupFailed(say);
    case 'unknown_tool':
      return say.t('engine.error.unavailable');
    default:
      // The tools' messages are English: a reply in another language says it in its own words.
      if (!e.message) return lookupFailed(say);
      return say.english ? say.t('engine.error.failedWith', { message: e.message }) : say.t('engine.error.failed');
  }
}

/** The reply from one lookup: `compose` reads its result; no call, or a failed one, says so instead. */
export function afterLookup(say: Say, outcome: CallOutcome | undefined, compose: (o: CallOutcome) => string): string {
  if (!outcome) return lookupFailed(say);
  const e = errorOf(outcome);
  return e ? errorText(say, e, null) : compose(outcome);
}

export const argNumber = (o: CallOutcome) => (typeof o.args['invoiceNumber'] === 'string' ? (o.args['invoiceNumber'] as string) : null);

/** Overdue with something already paid or credited (the result's label says so; its cents tell it). */
export const partiallyPaid = (i: InvoiceBrief) => i.state === 'overdue' && i.amountDueCents !== i.totalCents;

/** An invoice's status label in the reply's locale ("Overdue (partially paid)"). */
export const statusOf = (say: Say, i: InvoiceBrief) => labelOf(say.locale, i.state, partiallyPaid(i));

/** A status label for a sentence: "Overdue (partially paid)" → "Overdue, partially paid". */
export function inSentence(label: string): string {
  return label.replace(/\s*\((.+)\)$/, ', $1');
}

export const totalOf = (say: Say, i: InvoiceBrief) => say.money(i.totalCents, currencyOf(i.total));
export const dueOf = (say: Say, i: InvoiceBrief) => say.money(i.amountDueCents, currencyOf(i.amountDue));

/** One line of an invoice list: number, status, amounts and dates. */
export function invoiceLine(say: Say, i: InvoiceBrief, withIssued: boolean): string {
  const vars = { number: i.invoiceNumber, status: inSentence(statusOf(say, i)), issued: say.date(i.issued), due: say.date(i.due), total: totalOf(say, i), amountDue: dueOf(say, i) };
  if (i.amountDueCents === 0) return withIssued ? say.t('engine.line.settledIssued', vars) : say.t('engine.line.settled', vars);
  if (i.amountDueCents !== i.totalCents) return withIssued ? say.t('engine.line.partIssued', vars) : say.t('engine.line.part', vars);
  return withIssued ? say.t('engine.line.dueIssued', vars) : say.t('engine.line.due', vars);
}

/** The invoices of a listOutstanding or listInvoices result. */
export function listOf(outcome: CallOutcome | undefined): { items: InvoiceBrief[]; more: boolean } | null {
  if (!outcome) return null;
  const o = parseAs(outstandingResult, outcome);
  if (o) return { items: o.invoices, more: o.more };
  const l = parseAs(invoiceListResult, outcome);
  if (l) return { items: l.invoices, more: l.more };
  return null;
}

/** The invoices of a list with something still due, and whether the list had more. */
export function openOf(outcome: CallOutcome): { open: InvoiceBrief[]; more: boolean } {
  const list = listOf(outcome);
  return { open: (list?.items ?? []).filter((i) => i.amountDueCents !== 0), more: list?.more ?? false };
}

/** The amounts due of some invoices, summed. */
export const dueSum = (say: Say, items: readonly InvoiceBrief[]) => sumMoney(say, items.map((i) => ({ cents: i.amountDueCents, display: i.amountDue })));
