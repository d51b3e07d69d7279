import { isAmexDigits, isCardDigits } from './issuers.js';
import { CARD_REDACTION, CVC_REDACTION, EXPIRY_REDACTION } from './markers.js';

/**
 * The card data in a run of digit groups ("4111 1111 1111 1111 12 29 123"): which groups form a
 * card, an expiry after it, a security code. The grammar says what counts as one grouping (which
 * separators are the same, which group sizes look like a card); the steps are the same for every
 * grammar:
 * - one unbroken group of 13-19 digits that is a card number is a card;
 * - the whole run, grouped like a card, is a card (unless an identifier before it continues it);
 * - otherwise the run is split into card-shaped spans, each followed by at most an expiry (MMYY,
 *   or MM YY) and a security code (3 digits; 4 for Amex);
 * - a span that the grouping visibly continues (another group of the same number joined the same
 *   way, as in a tracking number, an IBAN or any 20+ digit reference) is not a card.
 */
export interface Grammar {
  /** Whether two separators join groups of one number the same way. */
  same(a: string, b: string): boolean;
  /** Whether groups i..j (j > i) are grouped like a card. */
  shaped(groups: readonly string[], seps: readonly string[], i: number, j: number): boolean;
  /** Whether the whole run is grouped plausibly enough to be one card. */
  whole(groups: readonly string[], seps: readonly string[]): boolean;
  /** Whether an unparsed group of this length, beside a card of these groups, continues the card's grouping. */
  continues(length: number, card: readonly string[]): boolean;
}

/** Whether the text before a run continues the grouping of `card` (its first groups) joined by `sep`. */
export type TokenBefore = (sep: string, card: readonly string[]) => boolean;

interface Part {
  kind: 'card' | 'expiry' | 'cvc' | 'other';
  from: number;
  to: number;
}

const isMonth = (g: string) => /^(0[1-9]|1[0-2])$/.test(g);
const isMmyy = (g: string) => /^(0[1-9]|1[0-2])\d{2}$/.test(g);

/** The card, expiry and security code parts, in order; groups that are none of these are 'other'. */
function parse(groups: readonly string[], grammar: Grammar, seps: readonly string[]): Part[] {
  const shaped = (i: number, j: number) => j === i || grammar.shaped(groups, seps, i, j);
  const parts: Part[] = [];
  let i = 0;
  while (i < groups.length) {
    // The longest card-shaped span starting here that is a card number (spans stop at 19 digits, so this is linear).
    let end = -1;
    let d = '';
    for (let j = i; j < groups.length; j++) {
      d += groups[j];
      if (d.length > 19) break;
      if (shaped(i, j) && isCardDigits(d)) end = j;
    }
    if (end < 0) {
      parts.push({ kind: 'other', from: i, to: i });
      i++;
      continue;
    }
    parts.push({ kind: 'card', from: i, to: end });
    const amex = isAmexDigits(groups.slice(i, end + 1).join(''));
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
  return parts;
}

/** A multi-group card whose grouping visibly continues is part of a longer number: it (and what follows it) becomes 'other'. */
function dropContinued(parts: Part[], groups: readonly string[], seps: readonly string[], grammar: Grammar, tokenBefore: TokenBefore): void {
  const partAt = (g: number) => parts.find((p) => p.from <= g && g <= p.to);
  const sameOrEnd = (at: number, sep: string) => seps[at] === undefined || grammar.same(seps[at]!, sep);
  for (let n = 0; n < parts.length; n++) {
    const p = parts[n]!;
    if (p.kind !== 'card' || p.from === p.to) continue;
    const sep = seps[p.from]!;
    const card = groups.slice(p.from, p.to + 1);
    const continues = (g: number, outward: number) => partAt(g)?.kind === 'other' && grammar.continues(groups[g]!.length, card) && sameOrEnd(outward, sep);
    let last = p.to;
    let m = n + 1;
    while (m < parts.length && (parts[m]!.kind === 'expiry' || parts[m]!.kind === 'cvc')) last = parts[m++]!.to;
    const beforeContinues = p.from === 0 ? tokenBefore(sep, card) : grammar.same(seps[p.from - 1]!, sep) && continues(p.from - 1, p.from - 2);
    const afterContinues = last + 1 < groups.length && grammar.same(seps[last]!, sep) && continues(last + 1, last + 1);
    if (beforeContinues || afterContinues) for (let x = n; x < m; x++) parts[x]!.kind = 'other';
  }
}

const MARKER: Record<Exclude<Part['kind'], 'other'>, string> = { card: CARD_REDACTION, expiry: EXPIRY_REDACTION, cvc: CVC_REDACTION };

/**
 * Redacts the card data in one run of digit groups joined by `seps`; returns null when it holds
 * none. `tokenBefore`: whether the text before the run continues its grouping (an identifier such
 * as "DE89 3704 …").
 */
export function redactGroups(groups: readonly string[], seps: readonly string[], grammar: Grammar, tokenBefore: TokenBefore): string | null {
  const all = groups.join('');
  if (groups.length === 1) return isCardDigits(all) ? CARD_REDACTION : null;
  if (grammar.whole(groups, seps) && isCardDigits(all) && !tokenBefore(seps[0]!, groups)) return CARD_REDACTION;

  const parts = parse(groups, grammar, seps);
  dropContinued(parts, groups, seps, grammar, tokenBefore);
  if (!parts.some((p) => p.kind === 'card')) return null;

  const out: string[] = [];
  for (const p of parts) {
    if (p.from > 0) out.push(seps[p.from - 1]!);
    if (p.kind === 'other') out.push(groups.slice(p.from, p.to + 1).reduce((s, g, x) => (x === 0 ? g : `${s}${seps[p.from + x - 1]}${g}`), ''));
    else out.push(MARKER[p.kind]);
  }
  return out.join('');
}

/** First group of 4, middle groups of 4-6, the last of at most 6: 4-4-4-4, 4-6-5, 4-4-4-4-3 ... */
export function printedShape(groups: readonly string[], i: number, j: number): boolean {
  return groups[i]!.length === 4 && groups.slice(i + 1, j).every((g) => g.length >= 4 && g.length <= 6) && groups[j]!.length <= 6;
}

/** The whole run as one card: first group of 4 or more, every other group but the last of 3 or more. */
export function plausibleWhole(groups: readonly string[]): boolean {
  return groups[0]!.length >= 4 && groups.slice(0, -1).every((g) => g.length >= 3);
}
