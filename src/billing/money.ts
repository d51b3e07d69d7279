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

const SYMBOLS: Record<string, string> = { CAD: '$', USD: '$', EUR: '€', GBP: '£' };

/** "$1,234.56" (currency symbol; the currency code is shown beside it where it matters). */
export function formatMoney(cents: bigint, currency = 'CAD'): string {
  const neg = cents < 0n;
  const [whole = '0', frac = '00'] = centsToDecimal(neg ? -cents : cents).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '-' : ''}${SYMBOLS[currency] ?? `${currency} `}${grouped}.${frac}`;
}

export function money(cents: bigint, currency: string): MoneyView {
  return { amount: centsToDecimal(cents), cents: Number(cents), currency, display: formatMoney(cents, currency) };
}

/** Parses "1,234.56", "$50", "50.5" into cents; null when it is not an amount. */
export function parseAmount(text: string): bigint | null {
  const m = /^\s*\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  const whole = BigInt((m[1] ?? '0').replace(/,/g, ''));
  const frac = BigInt((m[2] ?? '0').padEnd(2, '0'));
  return whole * 100n + frac;
}
