import { SEPARATOR } from './chains.js';
import { wordAfter } from './glue.js';
import { plausibleWhole, printedShape, redactGroups, type Grammar } from './groups.js';
import { mayHoldCard } from './issuers.js';
import { replaceAll, type Mapped } from './mapped.js';

/**
 * Card numbers as printed on the card: digit groups joined by single spaces or dashes, not glued to
 * a letter or digit, and not including the halves of an "MM/YY" expiry.
 * - An unbroken group of 13-19 digits that is a card number is a card.
 * - A whole run grouped like a card (first group of 4 or more digits, every other group but the
 *   last of 3 or more) is a card. "416-555-0199 2026-11-19" is not, even though its digits pass Luhn.
 * - Otherwise the run is split into 4-x-x spans with one kind of separator (two cards typed back to
 *   back, a card then its expiry and code), and a span that a 4-digit group continues is not a card.
 */

export const MONTH = '(?:0[1-9]|1[0-2])';
/** Digit groups joined by single spaces or dashes; never starts glued to a letter or digit, never takes in a "MM/YY" half. */
const RUN = new RegExp(`(?<![\\dA-Za-z])(?<!(?<!\\d)${MONTH}\\s?/\\s?)\\d+(?:[ -](?!${MONTH}\\s?/\\s?\\d)\\d+)*`, 'g');

/** Text before a run that ends in a digit and a separator: the run is the rest of that number. */
const CONTINUES_A_NUMBER = new RegExp(`\\d${SEPARATOR}$`, 'u');

const PRINTED: Grammar = {
  same: (a, b) => a === b,
  shaped: (groups, seps, i, j) => printedShape(groups, i, j) && seps.slice(i, j).every((s) => s === seps[i]),
  whole: plausibleWhole,
  continues: (length) => length === 4,
};

/** An alphanumeric group of 4 ending in a digit, joined to the run by `sep`, continues it ("DE89 3704 …"). */
const continuesToken = (before: string) => (sep: string) => before.endsWith(sep) && /(?<![A-Za-z0-9])[A-Za-z0-9]{3}\d$/.test(before.slice(0, -1));

export function redactRuns(m: Mapped): { m: Mapped; found: boolean } {
  let found = false;
  const out = replaceAll(m, RUN, (match) => {
    const run = match[0];
    if (!mayHoldCard(run)) return run;
    const end = match.index + run.length;
    // The run continues a number before it (joined another way, or glued to a word): chains.ts reads it whole.
    if (CONTINUES_A_NUMBER.test(match.input.slice(Math.max(0, match.index - 5), match.index))) return run;
    let body = run;
    let tail = '';
    // The last group glued to a word ("… 1111abc") belongs to an identifier, not to a card.
    const glued = /^[A-Za-z]+/.exec(match.input.slice(end, end + 40))?.[0];
    if (glued) {
      // A word people type after a card ("…1111exp1229"): the number is read whole by chains.ts.
      if (wordAfter(glued)) return run;
      const cut = Math.max(run.lastIndexOf(' '), run.lastIndexOf('-'));
      if (cut < 0) return run;
      body = run.slice(0, cut);
      tail = run.slice(cut);
    }
    const redacted = redactGroups(body.split(/[ -]/), body.match(/[ -]/g) ?? [], PRINTED, continuesToken(match.input.slice(Math.max(0, match.index - 8), match.index)));
    if (redacted === null) return run;
    found = true;
    return redacted + tail;
  });
  return { m: out, found };
}
