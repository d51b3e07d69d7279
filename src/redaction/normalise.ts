/**
 * The text card detection reads: NFKC (fullwidth and mathematical digits, no-break spaces,
 * ligatures), every Unicode decimal digit (\p{Nd}: Arabic-Indic, Devanagari, Thai ...) as its
 * ASCII digit, format characters (\p{Cf}: zero-width space/joiner/non-joiner, word joiner, soft
 * hyphen, BOM) and combining marks (\p{M}) removed. Every UTF-16 unit of the result remembers the
 * original code point it came from, so a redaction is applied to the text as typed.
 */

export interface Normalised {
  text: string;
  /** For each UTF-16 unit of `text`: the [start, end) of the original code point it came from; absent for ASCII (unit i is original unit i). */
  start?: number[];
  end?: number[];
}

// Also the Arabic tatweel and the Hangul fillers: letters by category, drawn as nothing (or a stretch).
const INVISIBLE = /[\p{Cf}\p{M}\u0640\u115f\u1160\u3164\uffa0]/u;
const DIGIT = /\p{Nd}/u;
const NON_ASCII = /[\u0080-\uffff]/;

const digitValues = new Map<number, number>();

/**
 * The value of a decimal digit in any script. Unicode encodes every Nd character in runs of ten,
 * 0 to 9, so the value is the distance from the start of its run, modulo 10. (No library or
 * Intl API maps every script's digits; this is the documented stability guarantee, written once.)
 */
function digitValue(cp: number): number {
  const known = digitValues.get(cp);
  if (known !== undefined) return known;
  let zero = cp;
  while (zero > 0 && DIGIT.test(String.fromCodePoint(zero - 1))) zero--;
  const value = (cp - zero) % 10;
  digitValues.set(cp, value);
  return value;
}

/** One code point as detection reads it: NFKC, digits as ASCII, nothing for invisible characters. */
function normaliseCodePoint(ch: string): string {
  let out = '';
  for (const c of ch.normalize('NFKC')) {
    if (INVISIBLE.test(c)) continue;
    out += DIGIT.test(c) ? String(digitValue(c.codePointAt(0)!)) : c;
  }
  return out;
}

export function normalise(input: string): Normalised {
  if (!NON_ASCII.test(input)) return { text: input };
  const start: number[] = [];
  const end: number[] = [];
  let text = '';
  for (let i = 0; i < input.length; ) {
    const cp = input.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const ch = input.slice(i, i + width);
    const out = cp < 0x80 ? ch : normaliseCodePoint(ch);
    for (let k = 0; k < out.length; k++) {
      start.push(i);
      end.push(i + width);
    }
    text += out;
    i += width;
  }
  return { text, start, end };
}

/** The normalised text alone (tests and callers that only compare). */
export function normaliseText(input: string): string {
  return normalise(input).text;
}
