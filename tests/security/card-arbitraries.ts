import fc from 'fast-check';

/**
 * fast-check generators for the card-number tests: test PANs (Luhn-valid, known issuer prefixes),
 * the ways people type them (groupings, separators, digit scripts, invisible characters, glued
 * words) and the billing look-alikes that must never be redacted.
 */

/** An issuer range: every prefix from `from` to `to` (same number of digits), and the lengths its cards have. */
interface Issuer {
  brand: string;
  from: number;
  to: number;
  lengths: number[];
}

export const ISSUERS: readonly Issuer[] = [
  { brand: 'Visa', from: 4, to: 4, lengths: [13, 16, 19] },
  { brand: 'Mastercard', from: 51, to: 55, lengths: [16] },
  { brand: 'Mastercard 2-series', from: 2221, to: 2720, lengths: [16] },
  { brand: 'Amex', from: 34, to: 34, lengths: [15] },
  { brand: 'Amex', from: 37, to: 37, lengths: [15] },
  { brand: 'Discover', from: 6011, to: 6011, lengths: [16, 19] },
  { brand: 'Discover', from: 644, to: 649, lengths: [16] },
  { brand: 'Discover', from: 65, to: 65, lengths: [16, 19] },
  { brand: 'JCB', from: 3528, to: 3589, lengths: [16, 17, 18, 19] },
  { brand: 'Diners', from: 300, to: 305, lengths: [14, 16] },
  { brand: 'Diners', from: 36, to: 36, lengths: [14] },
  { brand: 'Diners', from: 38, to: 38, lengths: [14, 16] },
  { brand: 'UnionPay', from: 62, to: 62, lengths: [16, 17, 18, 19] },
  { brand: 'Maestro', from: 50, to: 50, lengths: [13, 16, 19] },
  { brand: 'Maestro', from: 56, to: 69, lengths: [13, 16, 19] },
];

export function luhnCheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** Random digits of a given length. */
const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((a) => a.join(''));

/** A Luhn-valid number of `length` digits starting with `prefix`. */
const withCheckDigit = (prefix: string, length: number) => digits(length - prefix.length - 1).map((mid) => prefix + mid + luhnCheckDigit(prefix + mid));

/** A test PAN: a known issuer prefix, a length that issuer uses, the Luhn check digit. */
export const pan: fc.Arbitrary<string> = fc
  .constantFrom(...ISSUERS)
  .chain((i) => fc.tuple(fc.integer({ min: i.from, max: i.to }), fc.constantFrom(...i.lengths)))
  .chain(([prefix, length]) => withCheckDigit(String(prefix), length));

/** 16 digits that fail Luhn (any prefix). */
export const nonLuhn16: fc.Arbitrary<string> = digits(15).chain((body) => {
  const good = Number(luhnCheckDigit(body));
  return fc.integer({ min: 1, max: 9 }).map((shift) => body + String((good + shift) % 10));
});

/** Luhn-valid 13-19 digit numbers whose prefix is no card issuer's (0, 1, 7, 9 but not 9792, 31-33). */
export const luhnWithoutIssuer: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('0', '1', '7', '90', '91', '95', '99', '31', '32', '33'), fc.integer({ min: 13, max: 19 }))
  .chain(([prefix, length]) => withCheckDigit(prefix, length));

/** How the digits are grouped: group sizes for a number of `n` digits. */
export type Grouping = 'unbroken' | 'fours' | 'printed' | 'pairs' | 'threes' | 'singles' | 'fives';
export const GROUPINGS: readonly Grouping[] = ['unbroken', 'fours', 'printed', 'pairs', 'threes', 'singles', 'fives'];

export function groupSizes(n: number, g: Grouping): number[] {
  const even = (k: number, lastMax: number) => {
    const out: number[] = [];
    let left = n;
    while (left > lastMax) {
      out.push(k);
      left -= k;
    }
    out.push(left);
    return out;
  };
  switch (g) {
    case 'unbroken':
      return [n];
    case 'fours':
      return even(4, 4);
    case 'printed':
      return n === 15 ? [4, 6, 5] : n === 14 ? [4, 6, 4] : even(4, 4);
    case 'pairs':
      return even(2, 2);
    case 'threes':
      // 3-3-3-3-4 for 16 digits: threes, the last group 3 or 4
      return even(3, 4);
    case 'singles':
      return even(1, 1);
    case 'fives':
      return even(5, 5);
  }
}

export function group(number: string, g: Grouping, sep: string): string {
  const out: string[] = [];
  let at = 0;
  for (const size of groupSizes(number.length, g)) {
    out.push(number.slice(at, at + size));
    at += size;
  }
  return out.join(sep);
}

/** Separators people put between digit groups (not only the space and dash). */
export const SEPARATORS: readonly string[] = [
  ' ',
  '-',
  '  ',
  '\n',
  '\r\n',
  '\t',
  '.',
  '/',
  '_',
  '\u00a0', // no-break space
  '\u202f', // narrow no-break space
  '\u2009', // thin space
  '\u3000', // ideographic space
  '\u2013', // en dash
  '\u2014', // em dash
  '\u2212', // minus sign
  ' - ',
  ' / ',
  ' -- ',
  ' • ',
  '\r\n\r\n',
  ', ',
  ':',
  '·',
  '|',
  '*',
];

/** Digit scripts by the code point of their zero (ASCII, fullwidth, Arabic-Indic, Devanagari, mathematical ...). */
export const DIGIT_ZEROS: readonly number[] = [
  0x30, // ASCII
  0xff10, // fullwidth
  0x660, // Arabic-Indic
  0x6f0, // extended Arabic-Indic (Persian)
  0x966, // Devanagari
  0x9e6, // Bengali
  0xbe6, // Tamil
  0xe50, // Thai
  0x1040, // Myanmar
  0x1d7ce, // mathematical bold
  0x1d7d8, // mathematical double-struck
  0x1d7e2, // mathematical sans-serif
  0x1d7f6, // mathematical monospace
];

export type Script = number | 'mixed';
export const script: fc.Arbitrary<Script> = fc.oneof(fc.constantFrom<Script>(...DIGIT_ZEROS), fc.constant<Script>('mixed'));

/** Writes ASCII digits in a script; 'mixed' picks one script per digit (deterministically from `seed`). */
export function inScript(text: string, s: Script, seed = 0): string {
  let i = seed;
  return text.replace(/\d/g, (d) => {
    const zero = s === 'mixed' ? DIGIT_ZEROS[i++ % DIGIT_ZEROS.length]! : s;
    return String.fromCodePoint(zero + Number(d));
  });
}

/**
 * Text as the tests read it, independently of the code under test: NFKC, format characters and
 * combining marks gone, every script's decimal digits as ASCII (Unicode encodes each script's
 * digits as a run of ten, 0 to 9).
 */
export function readable(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\p{Cf}\p{M}]/gu, '')
    .replace(/\p{Nd}/gu, (d) => {
      let zero = d.codePointAt(0)!;
      while (/\p{Nd}/u.test(String.fromCodePoint(zero - 1))) zero--;
      return String((d.codePointAt(0)! - zero) % 10);
    });
}

/** Format characters (Cf) and combining marks (M) that render as nothing, or nearly. */
export const INVISIBLES: readonly string[] = [
  '\u200b', // zero-width space
  '\u200c', // zero-width non-joiner
  '\u200d', // zero-width joiner
  '\u2060', // word joiner
  '\u00ad', // soft hyphen
  '\ufeff', // BOM / zero-width no-break space
  '\u200e', // left-to-right mark
  '\u2061', // function application
  '\u034f', // combining grapheme joiner
  '\u0301', // combining acute accent
  '\ufe0f', // variation selector 16
  '\u20e3', // combining enclosing keycap
  '\u0640', // Arabic tatweel
];

/** Inserts invisible characters after some digits (positions and characters from the arbitrary). */
export const sprinkle = (text: string): fc.Arbitrary<string> =>
  fc.array(fc.tuple(fc.nat(), fc.constantFrom(...INVISIBLES)), { maxLength: 8 }).map((inserts) => {
    const chars = [...text];
    const digitAt = chars.flatMap((c, i) => (/\p{Nd}/u.test(c) ? [i] : []));
    if (digitAt.length === 0) return text;
    const after = new Map<number, string>();
    for (const [n, c] of inserts) {
      const at = digitAt[n % digitAt.length]!;
      after.set(at, (after.get(at) ?? '') + c);
    }
    return chars.map((c, i) => c + (after.get(i) ?? '')).join('');
  });

/** A number written some way: grouping, separator, script, invisible characters. */
export function written(number: fc.Arbitrary<string>): fc.Arbitrary<{ number: string; text: string; how: string }> {
  return fc
    .record({ number, grouping: fc.constantFrom(...GROUPINGS), sep: fc.constantFrom(...SEPARATORS), script, seed: fc.nat(20) })
    .chain((r) => {
      const plain = inScript(group(r.number, r.grouping, r.sep), r.script, r.seed);
      return sprinkle(plain).map((text) => ({ number: r.number, text, how: `${r.grouping} ${JSON.stringify(r.sep)} script=${String(r.script)}` }));
    });
}

/** Words glued to the number, before and after ("card4111…", "…1111exp1229"). */
export const GLUED_BEFORE: readonly string[] = ['', '', '', 'card', 'Card', 'CARD', 'cc', 'CC', 'visa', 'Visa', 'mycard', 'cardno', 'CARDNUMBER', 'CardNumber', 'number', 'pan', 'no', 'amex', 'карта', 'بطاقة', 'カード'];
export const GLUED_AFTER: readonly string[] = ['', '', '', 'exp1229', 'exp12/29', 'EXP 0127', 'exp', 'Exp0127', 'cvc123', 'cvv999', 'thanks', 'Thanks', 'please', 'and', 'for', 'end', 'です'];

/** Text around the card; `keep` must survive unchanged (and is the only place digits may remain). */
export interface Surround {
  before: string;
  after: string;
  keep: string[];
}
export const SURROUNDS: readonly Surround[] = [
  { before: '', after: '', keep: [] },
  { before: 'My card number is ', after: '.', keep: [] },
  { before: 'please use ', after: ' thanks', keep: [] },
  { before: 'Settle IN7651188 with ', after: '', keep: ['IN7651188'] },
  { before: 'card:\n', after: '\nthat is all', keep: [] },
  { before: 'Charge it (', after: ') for order SO-31877', keep: ['SO-31877'] },
  { before: 'Bitte belasten Sie ', after: ' danke', keep: [] },
  { before: 'رقم البطاقة ', after: ' شكرا', keep: [] },
  { before: '«', after: '» is the one for PAY-401266', keep: ['PAY-401266'] },
];

export interface CardMessage {
  text: string;
  number: string;
  keep: string[];
  how: string;
}

/** A message holding one card number in any of the formats above. */
export const cardMessage: fc.Arbitrary<CardMessage> = fc
  .record({ w: written(pan), glueBefore: fc.constantFrom(...GLUED_BEFORE), glueAfter: fc.constantFrom(...GLUED_AFTER), surround: fc.constantFrom(...SURROUNDS) })
  .map(({ w, glueBefore, glueAfter, surround }) => ({
    text: `${surround.before}${glueBefore}${w.text}${glueAfter}${surround.after}`,
    number: w.number,
    keep: surround.keep,
    how: `${w.how} glued=${JSON.stringify([glueBefore, glueAfter])}`,
  }));

// ---- look-alikes ----------------------------------------------------------------------------

const int = (min: number, max: number) => fc.integer({ min, max });
const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** North American and international phone numbers in the usual spellings. */
export const phone: fc.Arbitrary<string> = fc
  .record({ area: int(201, 989), exch: int(200, 999), line: int(0, 9999), fmt: int(0, 6), cc: int(30, 49), city: int(1, 99), rest: int(1000000, 99999999) })
  .map(({ area, exch, line, fmt, cc, city, rest }) => {
    const l = pad(line, 4);
    return [
      `+1 ${area}-${exch}-${l}`,
      `(${area}) ${exch} ${l}`,
      `${area}.${exch}.${l}`,
      `+1 ${area} ${exch} ${l}`,
      `1-${area}-${exch}-${l}`,
      `+${cc} ${city} ${rest}`,
      `+1 (${area}) ${exch}-${l} ext. ${exch}`,
    ][fmt]!;
  });

/** Calendar dates in ISO, day-first, month-first and dotted spellings. */
export const date: fc.Arbitrary<string> = fc.record({ y: int(2019, 2031), m: int(1, 12), d: int(1, 28), fmt: int(0, 4) }).map(({ y, m, d, fmt }) => {
  const [mm, dd] = [pad(m, 2), pad(d, 2)];
  return [`${y}-${mm}-${dd}`, `${dd}/${mm}/${y}`, `${mm}/${dd}/${y}`, `${dd}.${mm}.${y}`, `${y}/${mm}/${dd}`][fmt]!;
});

/** Amounts as English, French-Canadian and European writers type them. */
export const amount: fc.Arbitrary<string> = fc.record({ units: int(0, 999_999_999), cents: int(0, 99), fmt: int(0, 4) }).map(({ units, cents, fmt }) => {
  const c = pad(cents, 2);
  const en = units.toLocaleString('en-US');
  const fr = units.toLocaleString('fr-CA');
  const de = units.toLocaleString('de-DE');
  return [`$${en}.${c}`, `${fr},${c} $`, `€ ${de},${c}`, `${en}.${c} CAD`, `USD ${units}.${c}`][fmt]!;
});

/** A billing sentence around look-alikes: two of them side by side, or with words between. */
export const lookalikeSentence: fc.Arbitrary<string> = fc
  .record({ a: fc.oneof(phone, date, amount), b: fc.oneof(phone, date, amount), joint: fc.constantFrom(' ', ', ', ' and ', ' on ', '\n', ' - ') })
  .map(({ a, b, joint }) => `About ${a}${joint}${b}, can you check?`);
