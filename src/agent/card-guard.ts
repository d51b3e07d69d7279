/**
 * Card data guard. A payment card number (13-19 digits, optionally grouped by spaces or dashes,
 * Luhn-valid) is redacted before a message is stored, logged or sent to a model. When a card
 * number is present, expiry dates and security codes beside it are redacted too.
 */

export const CARD_REDACTION = '[card number removed]';
export const EXPIRY_REDACTION = '[expiry removed]';
export const CVC_REDACTION = '[security code removed]';

// Digits with optional single space/dash separators, 13-19 digits overall; not glued to other
// digits, letters or separators (so "IN7654321" or "+1-416-555-0199" never match as a whole).
const CANDIDATE = /(?<![\dA-Za-z])(?:\d[ -]?){12,18}\d(?![\dA-Za-z])/g;

export function luhnValid(digits: string): boolean {
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

function isCardNumber(candidate: string): boolean {
  const digits = candidate.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
  // Grouping must look like a card: all one run, or groups separated consistently.
  if (/[ -]{2}/.test(candidate)) return false;
  if (/^0+$/.test(digits)) return false;
  return luhnValid(digits);
}

export interface GuardResult {
  text: string;
  /** True when a card number was found (and removed). */
  found: boolean;
}

const EXPIRY = /\b(?:exp(?:iry|ires|iration)?\.?\s*(?:date)?\s*[:=]?\s*)?(0[1-9]|1[0-2])\s?[/-]\s?(\d{2}|20\d{2})\b/gi;
const CVC = /\b(cvc2?|cvv2?|csc|cid|security\s+code|sec\.?\s*code)\b(\s*(?:is|[:=#-])?\s*)\d{3,4}\b/gi;
const BARE_CVC_AFTER = /(\[card number removed\][^\d]{0,40}?\[expiry removed\][^\d]{0,20}?)\b\d{3,4}\b/g;

export function redactCardData(input: string): GuardResult {
  let found = false;
  let text = input.replace(CANDIDATE, (m) => {
    if (!isCardNumber(m)) return m;
    found = true;
    return CARD_REDACTION;
  });
  if (found) {
    text = text.replace(EXPIRY, EXPIRY_REDACTION);
    text = text.replace(CVC, (_m, label: string, sep: string) => `${label}${sep}${CVC_REDACTION}`);
    text = text.replace(BARE_CVC_AFTER, (_m, before: string) => `${before}${CVC_REDACTION}`);
  }
  return { text, found };
}

/** Redacts card numbers anywhere in a string (logs, stored text); cheap when there are no digits runs. */
export function scrubCardNumbers(input: string): string {
  return redactCardData(input).text;
}
