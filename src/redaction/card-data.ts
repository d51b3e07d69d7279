/**
 * Card data guard. A payment card number (13-19 digits with a card brand's issuer prefix, passing
 * Luhn) is redacted before a message is stored, logged or sent to a model, however it was typed.
 * When a card number is present, expiry dates and security codes beside it are redacted too.
 *
 * The text is normalised first (normalise.ts: NFKC, digits of every script as ASCII, invisible
 * characters removed), then read twice: as printed on a card (runs.ts: spaces and dashes), then any
 * other way (chains.ts: other separators and groupings, words glued to the number). Redactions are
 * mapped back to the text as typed (mapped.ts): the original span goes, invisible characters and
 * all, and everything else is kept exactly.
 */

import { redactChains } from './chains.js';
import { normalise } from './normalise.js';
import { applyEdits, editsOf, mappedText, replaceAll, type Edit, type Mapped } from './mapped.js';
import { CARD_REDACTION, CVC_REDACTION, EXPIRY_REDACTION } from './markers.js';
import { MONTH, redactRuns } from './runs.js';

export { CARD_REDACTION, CVC_REDACTION, EXPIRY_REDACTION } from './markers.js';
export { isCardDigits, knownIssuer, luhnValid } from './issuers.js';
export { normaliseText } from './normalise.js';

export interface GuardResult {
  text: string;
  /** True when a card number was found (and removed). */
  found: boolean;
}

/** How far (characters) from a card an expiry date still counts as beside it. */
const NEAR = 40;
// MM/YY, MM/YYYY, MM-YY (spaces around the slash allowed); not part of a longer date such as 2026-11-25 or 11/25/2026.
const EXPIRY = new RegExp(`(?<!\\d)(?<!\\d[/.-])${MONTH}\\s?[/-]\\s?(?:20\\d{2}|\\d{2})(?!\\d)(?![/.-]\\d)`, 'g');
// MMYY or MMYYYY right after an expiry label ("exp1229", "Exp: 0127", "valid thru 1229").
const LABELLED_EXPIRY = new RegExp(`(?<=\\b(?:exp(?:iry|ires|iration)?|valid(?:\\s+(?:thru|through|until))?)\\.?\\s*:?\\s*)${MONTH}(?:20)?\\d{2}(?!\\d)`, 'gi');
// A labelled security code ("cvc 123", "CVV: 4567", "security code is 999", "cvc123").
const CVC = /\b(cvc2?|cvv2?|csc|cid|security\s+code|sec\.?\s*code)(?![a-z])(\s*(?:is|of|[:=#-])?\s*)\d{3,4}(?!\d)(?![/.,-]\d)/gi;
// A bare 3-4 digit code typed right after the card number or after its expiry ("…, 123", "… 12/29 and 123").
const BARE_CVC_AFTER =
  /(\[(?:card number|expiry) removed\](?:[\s,;]{1,3}|[^\d\n]{0,20}?\[expiry removed\][^\d\n]{0,20}?\b))(?<!\d[.,])\d{3,4}(?!\d)(?![/.,-]\d)/g;
const CARD_MARKER = /\[card number removed\]/g;

/** Replaces the matches of `re` within NEAR characters of a redacted card number. */
function besideCards(m: Mapped, re: RegExp, by: string): Mapped {
  const cards = [...m.text.matchAll(CARD_MARKER)].map((c) => ({ start: c.index, end: c.index + CARD_REDACTION.length }));
  return replaceAll(m, re, (x) => {
    const end = x.index + x[0].length;
    const near = cards.some((c) => (c.start >= end && c.start - end <= NEAR) || (x.index >= c.end && x.index - c.end <= NEAR));
    return near ? by : x[0];
  });
}

/** The card data in normalised text: card numbers, then the expiry dates and security codes beside them. */
function redactNormalised(start: Mapped): { m: Mapped; found: boolean } {
  const runs = redactRuns(start);
  const chains = redactChains(runs.m);
  if (!runs.found && !chains.found) return { m: start, found: false };
  let m = besideCards(chains.m, EXPIRY, EXPIRY_REDACTION);
  m = besideCards(m, LABELLED_EXPIRY, EXPIRY_REDACTION);
  m = replaceAll(m, CVC, (x) => `${x[1]}${x[2]}${CVC_REDACTION}`);
  m = replaceAll(m, BARE_CVC_AFTER, (x) => `${x[1]}${CVC_REDACTION}`);
  return { m, found: true };
}

/** The edits that remove the card data from `input` (offsets in `input`); none when it holds none. */
export function cardDataEdits(input: string): { edits: Edit[]; found: boolean } {
  const norm = normalise(input);
  if (!/\d/.test(norm.text)) return { edits: [], found: false };
  const { m, found } = redactNormalised(mappedText(norm.text));
  return found ? { edits: editsOf(input, norm, m), found } : { edits: [], found };
}

export function redactCardData(input: string): GuardResult {
  const { edits, found } = cardDataEdits(input);
  return found ? { text: applyEdits(input, edits), found } : { text: input, found };
}

/** Redacts card numbers anywhere in a string (logs, stored text); cheap when there are no digits. */
export function scrubCardNumbers(input: string): string {
  return redactCardData(input).text;
}
