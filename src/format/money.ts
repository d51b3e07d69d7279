import { DEFAULT_LOCALE, type DisplayLocale } from './dates.js';

/** Money is integer cents (bigint) with an ISO currency code; never floats. */

export interface MoneyView {
  /** Decimal string, e.g. "1234.56". */
  amount: string;
  /** Integer cents (safe: below 2^53). */
  cents: number;
  currency: string;
  /** For people, e.g. "$1,234.56". */
  display: string;
}

export function centsToDecimal(cents: bigint): string {
  const neg = cents < 0n;
  const abs = neg ? -cents : cents;
  const whole = abs / 100n;
  const frac = (abs % 100n).toString().padStart(2, '0');
  return `${neg ? '-' : ''}${whole.toString()}.${frac}`;
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** Currencies shown by their symbol ("$", "€", "£"); any other by its ISO code ("JPY 1,234.56"). */
const SYMBOL_CURRENCIES = new Set(['CAD', 'USD', 'EUR', 'GBP']);

function moneyFormat(currency: string, locale: DisplayLocale): Intl.NumberFormat {
  const key = `${locale}|${currency}`;
  let f = moneyFormats.get(key);
  if (!f) {
    const currencyDisplay = SYMBOL_CURRENCIES.has(currency) ? 'narrowSymbol' : 'code';
    f = new Intl.NumberFormat(locale, { style: 'currency', currency, currencyDisplay, minimumFractionDigits: 2, maximumFractionDigits: 2 });
    moneyFormats.set(key, f);
  }
  return f;
}

/** "$1,234.56" through `Intl` (the one owner of money display: server, PDF, email, offline engine). */
export function formatMoney(cents: bigint, currency = 'CAD', locale: DisplayLocale = DEFAULT_LOCALE): string {
  // Intl formats a decimal string exactly (no float rounding of large amounts). en-CA puts a
  // no-break space after an ISO code; the API has always written a plain one.
  const text = moneyFormat(currency, locale).format(centsToDecimal(cents) as unknown as number);
  return SYMBOL_CURRENCIES.has(currency) ? text : text.replace(/\u00a0/g, ' ');
}

/** Money for JSON: the display string in `locale` (en-CA unless the request's locale says otherwise). */
export function money(cents: bigint, currency: string, locale: DisplayLocale = DEFAULT_LOCALE): MoneyView {
  return { amount: centsToDecimal(cents), cents: Number(cents), currency, display: formatMoney(cents, currency, locale) };
}

/** Parses "1,234.56", "$50", "50.5" into cents; null when it is not an amount. */
export function parseAmount(text: string): bigint | null {
  const m = /^\s*\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  const whole = BigInt((m[1] ?? '0').replace(/,/g, ''));
  const frac = BigInt((m[2] ?? '0').padEnd(2, '0'));
  return whole * 100n + frac;
}
