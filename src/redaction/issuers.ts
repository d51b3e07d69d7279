/** What makes a digit string a payment card number: 13-19 digits, a card brand's prefix, Luhn. */

export function luhnValid(digits: string): boolean {
  if (digits.length === 0) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Issuer identification number ranges: [first, last] prefix of the same width. */
const ISSUER_RANGES: ReadonlyArray<readonly [string, string]> = [
  ['4', '4'], // Visa
  ['51', '55'], // Mastercard
  ['2221', '2720'], // Mastercard 2-series
  ['34', '34'], // American Express
  ['37', '37'],
  ['6011', '6011'], // Discover
  ['644', '649'],
  ['65', '65'],
  ['3528', '3589'], // JCB
  ['300', '305'], // Diners Club
  ['3095', '3095'],
  ['36', '36'],
  ['38', '39'],
  ['62', '62'], // UnionPay
  ['81', '81'],
  ['50', '50'], // Maestro (56-69 also holds RuPay 60/65, Verve 650, Elo, Hipercard)
  ['56', '69'],
  ['2200', '2204'], // Mir
  ['9792', '9792'], // Troy
];

/** True when the number starts with a known card brand's issuer prefix. */
export function knownIssuer(digits: string): boolean {
  return ISSUER_RANGES.some(([first, last]) => {
    const prefix = digits.slice(0, first.length);
    return prefix.length === first.length && prefix >= first && prefix <= last;
  });
}

export function isCardDigits(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && knownIssuer(digits) && luhnValid(digits);
}

/** Fewer than 13 digits cannot hold a card number (most digit runs in text: dates, amounts, ids): a quick way out. */
export const mayHoldCard = (run: string) => run.length >= 13 && run.replace(/\D/g, '').length >= 13;

export const isAmexDigits = (digits: string) => digits.length === 15 && /^3[47]/.test(digits);
