import { wordAfter, wordBefore } from './glue.js';
import { plausibleWhole, printedShape, redactGroups, type Grammar, type TokenBefore } from './groups.js';
import { mayHoldCard } from './issuers.js';
import { replaceAll, type Mapped } from './mapped.js';

/**
 * Card numbers typed any other way (read after the printed forms, on what they left): digit groups
 * joined by any 1-4 characters that are not letters or digits (newline, tab, double space, dot,
 * slash, underscore, dashes of any width ...), grouped as printed or evenly (pairs, 3-3-3-3-4,
 * single digits), and numbers glued to words ("card4111…", "…1111exp1229"). A grouping counts
 * only with one kind of separator, so "416-555-0199 2026-11-19" or a list of amounts never forms
 * a card; numbers glued to an identifier ("TXN4242…", "…1111abc") are left alone.
 */

/** Up to 4 characters between groups: "\r\n\r\n", " -- ", " / ". */
export const SEPARATOR = '[^\\p{L}\\p{N}]{1,4}';
const CHAIN = new RegExp(`\\d+(?:${SEPARATOR}\\d+)*`, 'gu');

const kinds = new Map<string, string>();

/** Separators compared by what they are made of: any whitespace is one kind, dashes of any width another. */
export function separatorKind(sep: string): string {
  let kind = kinds.get(sep);
  if (kind === undefined) {
    kind = sep.replace(/\s+/gu, '').replace(/[\p{Pd}\u2212]/gu, '-') || ' ';
    if (kinds.size < 1000) kinds.set(sep, kind);
  }
  return kind;
}

const sameKind = (a: string, b: string) => separatorKind(a) === separatorKind(b);
const oneKind = (seps: readonly string[], i: number, j: number) => seps.slice(i, j).every((s) => sameKind(s, seps[i]!));

/** Groups of one size k (up to 8) and a last group of at most k+1: pairs, threes, single digits ... */
function evenShape(groups: readonly string[], i: number, j: number): boolean {
  const k = groups[i]!.length;
  return k <= 8 && groups.slice(i, j).every((g) => g.length === k) && groups[j]!.length <= k + 1;
}

const ANY_SEPARATOR: Grammar = {
  same: sameKind,
  shaped: (groups, seps, i, j) => oneKind(seps, i, j) && (printedShape(groups, i, j) || evenShape(groups, i, j)),
  whole: (groups, seps) => oneKind(seps, 0, seps.length) && plausibleWhole(groups),
  continues: (length, card) => length <= Math.max(...card.map((g) => g.length)),
};

const gluedBefore = (text: string, at: number) => /\p{L}+$/u.exec(text.slice(Math.max(0, at - 40), at))?.[0] ?? '';
const gluedAfter = (text: string, at: number) => /^\p{L}+/u.exec(text.slice(at, at + 40))?.[0] ?? '';

/** The chain redacted, or null. A group glued to an identifier is not part of a card (and before the card, it continues it). */
function redactChain(chain: string, before: string, after: string): string | null {
  let groups: string[] = chain.match(/\d+/g) ?? [];
  let seps: string[] = chain.match(/\D+/g) ?? [];
  let head = '';
  let tail = '';
  let tokenBefore: TokenBefore = () => false;
  if (before !== '' && !wordBefore(before)) {
    if (groups.length === 1) return null;
    const joint = seps[0]!;
    const token = before.length + groups[0]!.length;
    head = groups[0] + joint;
    tokenBefore = (sep, card) => sameKind(sep, joint) && ANY_SEPARATOR.continues(token, card);
    groups = groups.slice(1);
    seps = seps.slice(1);
  }
  if (after !== '' && !wordAfter(after)) {
    if (groups.length === 1) return null;
    tail = seps.at(-1)! + groups.at(-1)!;
    groups = groups.slice(0, -1);
    seps = seps.slice(0, -1);
  }
  const redacted = redactGroups(groups, seps, ANY_SEPARATOR, tokenBefore);
  return redacted === null ? null : head + redacted + tail;
}

export function redactChains(m: Mapped): { m: Mapped; found: boolean } {
  let found = false;
  const out = replaceAll(m, CHAIN, (match) => {
    const chain = match[0];
    if (!mayHoldCard(chain)) return chain;
    const redacted = redactChain(chain, gluedBefore(match.input, match.index), gluedAfter(match.input, match.index + chain.length));
    if (redacted === null) return chain;
    found = true;
    return redacted;
  });
  return { m: out, found };
}
