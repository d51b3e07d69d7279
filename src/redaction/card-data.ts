/**
 * Card data guard. A payment card number (13-19 digits, optionally grouped by spaces or dashes,
 * Luhn-valid) is redacted before a message is stored, logged or sent to a model. When a card
 * number is present, expiry dates and security codes beside it are redacted too.
 *
 * How numbers are found. The text is cut into digit runs: digit groups joined by single spaces or
 * dashes, not glued to a letter or digit, and not including the halves of an "MM/YY" expiry.
 * - An unbroken group of 13-19 digits that passes Luhn is a card.
 * - A whole run of 13-19 digits that passes Luhn and is grouped like a card (first group of 4 or
 *   more digits, every other group but the last of 3 or more) is a card. "416-555-0199 2026-11-19"
 *   is not, even though its digits pass Luhn.
 * - Otherwise the run is split at group boundaries into card-shaped spans (4-x-x groups, one kind
 *   of separator) that pass Luhn, each optionally followed by an expiry (MMYY, or MM YY) and a
 *   security code (3 digits; 4 for Amex): "4111 1111 1111 1111 1229 123", two cards typed back to
 *   back. A span that the grouping visibly continues (a 4-digit group with the same separator right
 *   before or after it, as in a tracking number, an IBAN or any 20+ digit reference) is not a card.
 */

export const CARD_REDACTION = '[card number removed]';
export const EXPIRY_REDACTION = '[expiry removed]';
export const CVC_REDACTION = '[security code removed]';

const MONTH = '(?:0[1-9]|1[0-2])';
/** Digit groups joined by single spaces or dashes; never starts glued to a letter or digit, never takes in a "MM/YY" half. */
const RUN = new RegExp(`(?<![\\dA-Za-z])(?<!(?<!\\d)${MONTH}\\s?/\\s?)\\d+(?:[ -](?!${MONTH}\\s?/\\s?\\d)\\d+)*`, 'g');

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

function isCardDigits(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && !/^0+$/.test(digits) && luhnValid(digits);
}

const isAmexDigits = (digits: string) => digits.length === 15 && /^3[47]/.test(digits);
const isMonth = (g: string) => /^(0[1-9]|1[0-2])$/.test(g);
const isMmyy = (g: string) => /^(0[1-9]|1[0-2])\d{2}$/.test(g);

interface Part {
  kind: 'card' | 'expiry' | 'cvc' | 'other';
  from: number;
  to: number;
}

/**
 * Redacts the card data in one digit run; returns the run unchanged when it holds none.
 * `before` is the text preceding the run (to see a grouping that started in an identifier, "DE89 3704 …").
 */
function redactRun(run: string, before: string): string {
  const groups = run.split(/[ -]/);
  const seps = run.match(/[ -]/g) ?? [];
  const all = groups.join('');
  if (groups.length === 1) return isCardDigits(all) ? CARD_REDACTION : run;

  // An alphanumeric group of 4 ending in a digit, joined to the run by `sep`: the run continues it.
  const continuesToken = (sep: string) => before.endsWith(sep) && /(?<![A-Za-z0-9])[A-Za-z0-9]{3}\d$/.test(before.slice(0, -1));

  // The whole run, grouped like a card (4-4-4-4, 4-6-5, 4-4-5, 4-4-4-4-3 ...).
  const plausible = groups[0]!.length >= 4 && groups.slice(0, -1).every((g) => g.length >= 3);
  if (plausible && isCardDigits(all) && !continuesToken(seps[0]!)) return CARD_REDACTION;

  // Split into card-shaped spans, each followed by at most an expiry and a security code.
  const digitsOf = (i: number, j: number) => groups.slice(i, j + 1).join('');
  const cardShaped = (i: number, j: number) =>
    j === i ||
    (groups[i]!.length === 4 &&
      groups.slice(i + 1, j).every((g) => g.length >= 4 && g.length <= 6) &&
      groups[j]!.length <= 6 &&
      seps.slice(i, j).every((s) => s === seps[i]));
  const parts: Part[] = [];
  let i = 0;
  while (i < groups.length) {
    // The longest card-shaped, Luhn-valid span starting here (spans stop at 19 digits, so this is linear).
    let end = -1;
    let d = '';
    for (let j = i; j < groups.length; j++) {
      d += groups[j];
      if (d.length > 19) break;
      if (cardShaped(i, j) && isCardDigits(d)) end = j;
    }
    if (end < 0) {
      parts.push({ kind: 'other', from: i, to: i });
      i++;
      continue;
    }
    parts.push({ kind: 'card', from: i, to: end });
    const amex = isAmexDigits(digitsOf(i, end));
    let k = end + 1;
    const next = (n: number) => groups[k + n];
    if (next(0) !== undefined && isMonth(next(0)!) && next(1) !== undefined && /^(\d{2}|20\d{2})$/.test(next(1)!)) {
      parts.push({ kind: 'expiry', from: k, to: k + 1 });
      k += 2;
    } else if (next(0) !== undefined && isMmyy(next(0)!) && (next(1) === undefined || next(1)!.length === 3 || (amex && next(1)!.length === 4))) {
      parts.push({ kind: 'expiry', from: k, to: k });
      k += 1;
    }
    if (next(0) !== undefined && (next(0)!.length === 3 || (amex && next(0)!.length === 4))) {
      parts.push({ kind: 'cvc', from: k, to: k });
      k += 1;
    }
    i = k;
  }

  // A multi-group card whose grouping visibly continues is part of a longer number: keep it (and what follows it).
  const partAt = (g: number) => parts.find((p) => p.from <= g && g <= p.to);
  const continues = (g: number, sep: string, outward: number) =>
    partAt(g)?.kind === 'other' && groups[g]!.length === 4 && (seps[outward] === undefined || seps[outward] === sep);
  for (let n = 0; n < parts.length; n++) {
    const p = parts[n]!;
    if (p.kind !== 'card' || p.from === p.to) continue;
    const sep = seps[p.from]!;
    let last = p.to;
    let m = n + 1;
    while (m < parts.length && (parts[m]!.kind === 'expiry' || parts[m]!.kind === 'cvc')) last = parts[m++]!.to;
    const beforeContinues = p.from === 0 ? continuesToken(sep) : seps[p.from - 1] === sep && continues(p.from - 1, sep, p.from - 2);
    const afterContinues = last + 1 < groups.length && seps[last] === sep && continues(last + 1, sep, last + 1);
    if (beforeContinues || afterContinues) for (let x = n; x < m; x++) parts[x]!.kind = 'other';
  }
  if (!parts.some((p) => p.kind === 'card')) return run;

  const out: string[] = [];
  for (const p of parts) {
    if (p.from > 0) out.push(seps[p.from - 1]!);
    if (p.kind === 'other') out.push(groups.slice(p.from, p.to + 1).reduce((s, g, x) => (x === 0 ? g : `${s}${seps[p.from + x - 1]}${g}`), ''));
    else out.push(p.kind === 'card' ? CARD_REDACTION : p.kind === 'expiry' ? EXPIRY_REDACTION : CVC_REDACTION);
  }
  return out.join('');
}

export interface GuardResult {
  text: string;
  /** True when a card number was found (and removed). */
  found: boolean;
}

/** How far (characters) from a card an expiry date still counts as beside it. */
const NEAR = 40;
// MM/YY, MM/YYYY, MM-YY (spaces around the slash allowed); not part of a longer date such as 2026-11-25 or 11/25/2026.
const EXPIRY = new RegExp(`(?<!\\d)(?<!\\d[/.-])${MONTH}\\s?[/-]\\s?(?:20\\d{2}|\\d{2})(?!\\d)(?![/.-]\\d)`, 'g');
// A labelled security code ("cvc 123", "CVV: 4567", "security code is 999").
const CVC = /\b(cvc2?|cvv2?|csc|cid|security\s+code|sec\.?\s*code)\b(\s*(?:is|of|[:=#-])?\s*)\d{3,4}(?!\d)(?![/.,-]\d)/gi;
// A bare 3-4 digit code typed right after the card number or after its expiry ("…, 123", "… 12/29 and 123").
const BARE_CVC_AFTER =
  /(\[(?:card number|expiry) removed\](?:[\s,;]{1,3}|[^\d\n]{0,20}?\[expiry removed\][^\d\n]{0,20}?\b))(?<!\d[.,])\d{3,4}(?!\d)(?![/.,-]\d)/g;

export function redactCardData(input: string): GuardResult {
  let found = false;
  let text = input.replace(RUN, (run: string, offset: number, whole: string) => {
    let body = run;
    let tail = '';
    // The last group glued to a word ("… 1111abc") belongs to an identifier, not to a card.
    if (/[A-Za-z]/.test(whole.charAt(offset + run.length))) {
      const cut = Math.max(run.lastIndexOf(' '), run.lastIndexOf('-'));
      if (cut < 0) return run;
      body = run.slice(0, cut);
      tail = run.slice(cut);
    }
    const redacted = redactRun(body, whole.slice(Math.max(0, offset - 8), offset));
    if (redacted !== body) found = true;
    return redacted + tail;
  });
  if (!found) return { text: input, found };

  const cards = [...text.matchAll(/\[card number removed\]/g)].map((m) => ({ start: m.index, end: m.index + CARD_REDACTION.length }));
  text = text.replace(EXPIRY, (m: string, offset: number) => {
    const end = offset + m.length;
    const near = cards.some((c) => (c.start >= end && c.start - end <= NEAR) || (offset >= c.end && offset - c.end <= NEAR));
    return near ? EXPIRY_REDACTION : m;
  });
  text = text.replace(CVC, (_m, label: string, sep: string) => `${label}${sep}${CVC_REDACTION}`);
  text = text.replace(BARE_CVC_AFTER, (_m, before: string) => `${before}${CVC_REDACTION}`);
  return { text, found };
}

/** Redacts card numbers anywhere in a string (logs, stored text); cheap when there are no digit runs. */
export function scrubCardNumbers(input: string): string {
  return redactCardData(input).text;
}
