import { addDays, endOfMonth, isIsoDate } from '../../billing/dates.js';
import { formatDate } from '../../format/dates.js';
import { DEFAULT_LOCALE, t, type Locale } from '../../i18n/index.js';

/**
 * Date ranges in plain language, relative to "today": "invoices from October", "last month",
 * "this year", "last 30 days", "between 2026-09-01 and 2026-10-15", "since September".
 * A month (or day) named without a year that would fall after today means last year's.
 */

export interface Period {
  from: string | null;
  to: string | null;
}

const MONTHS: Record<string, number> = {
  january: 1,
  jan: 1,
  february: 2,
  feb: 2,
  march: 3,
  mar: 3,
  april: 4,
  apr: 4,
  may: 5,
  june: 6,
  jun: 6,
  july: 7,
  jul: 7,
  august: 8,
  aug: 8,
  september: 9,
  sep: 9,
  october: 10,
  oct: 10,
  november: 11,
  nov: 11,
  december: 12,
  dec: 12,
};
const MONTH_ALT = Object.keys(MONTHS).sort((a, b) => b.length - a.length).join('|');
const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  thirty: 30,
  sixty: 60,
  ninety: 90,
};
const NUM_ALT = `\\d{1,3}|${Object.keys(NUMBER_WORDS).join('|')}`;

const pad = (n: number) => String(n).padStart(2, '0');
const ymd = (y: number, m: number, d: number) => `${y}-${pad(m)}-${pad(d)}`;

interface Parts {
  y: number;
  m: number;
  d: number;
}
function parts(iso: string): Parts {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  return { y, m, d };
}

function addMonths(iso: string, months: number): string {
  const { y, m, d } = parts(iso);
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = (total % 12) + 1;
  const last = Number(endOfMonth(`${ny}-${pad(nm)}`).slice(8));
  return ymd(ny, nm, Math.min(d, last));
}

function monthSpan(y: number, m: number): Period {
  return { from: ymd(y, m, 1), to: endOfMonth(`${y}-${pad(m)}`) };
}

function quarterSpan(y: number, q: number): Period {
  const m0 = (q - 1) * 3 + 1;
  return { from: ymd(y, m0, 1), to: endOfMonth(`${y}-${pad(m0 + 2)}`) };
}

/** Which way a month named without a year points: back for history, forward for due dates. */
export type Direction = 'past' | 'future';

/** A month named without a year: this year's, unless that is still ahead of today (history) or already behind it (due dates). */
function yearForMonth(m: number, today: string, direction: Direction): number {
  const t = parts(today);
  if (direction === 'future') {
    // Due dates: the occurrence of that month nearest today ("due in October" in November is last month's, "due in January" the coming one).
    const here = t.y * 12 + t.m;
    return [t.y - 1, t.y, t.y + 1].reduce((best, y) => (Math.abs(y * 12 + m - here) < Math.abs(best * 12 + m - here) ? y : best), t.y);
  }
  return m > t.m ? t.y - 1 : t.y;
}

/** A day named without a year follows its month: "Nov 30" is this year's even late in November. */
function yearForDay(m: number, _d: number, today: string, direction: Direction): number {
  return yearForMonth(m, today, direction);
}

function num(word: string): number {
  return NUMBER_WORDS[word] ?? Number(word);
}

interface Atom {
  start: number;
  end: number;
  span: Period;
}

type AtomRule = { re: RegExp; make: (m: RegExpExecArray, today: string, dir: Direction) => Period | null };

/** One calendar day as a period; null when there is no such day ("Feb 30"). */
function oneDay(y: number, m: number, d: number): Period | null {
  const iso = ymd(y, m, d);
  return isIsoDate(iso) ? { from: iso, to: iso } : null;
}

/** A day named by its month and day, with or without a year ("sep 1", "1st of September 2026"). */
function namedDay(month: string, day: string, year: string | undefined, today: string, dir: Direction): Period | null {
  const m = MONTHS[month]!;
  const d = Number(day);
  return oneDay(year ? Number(year) : yearForDay(m, d, today, dir), m, d);
}

const ORD = '(?:st|nd|rd|th)?';

const ATOM_RULES: AtomRule[] = [
  {
    // 2026-09-01, 2026/9/1
    re: /\b(\d{4})[-/](\d{1,2})[-/](\d{1,2})\b/g,
    make: (m) => oneDay(Number(m[1]), Number(m[2]), Number(m[3])),
  },
  {
    // September 1st, 2026 / sep 1
    re: new RegExp(`\\b(${MONTH_ALT})\\.?\\s+(\\d{1,2})${ORD}\\b(?:,?\\s+(\\d{4})\\b)?`, 'g'),
    make: (m, today, dir) => namedDay(m[1]!, m[2]!, m[3], today, dir),
  },
  {
    // 1st of September 2026 / 15 oct
    re: new RegExp(`\\b(\\d{1,2})${ORD}\\s+(?:of\\s+)?(${MONTH_ALT})\\b\\.?(?:,?\\s+(\\d{4})\\b)?`, 'g'),
    make: (m, today, dir) => namedDay(m[2]!, m[1]!, m[3], today, dir),
  },
  {
    // October 2026
    re: new RegExp(`\\b(${MONTH_ALT})\\.?,?\\s+(?:of\\s+)?(\\d{4})\\b`, 'g'),
    make: (m) => monthSpan(Number(m[2]), MONTHS[m[1]!]!),
  },
  {
    // last 30 days, past 3 months, previous two weeks
    re: new RegExp(`\\b(?:in\\s+the\\s+|over\\s+the\\s+|within\\s+the\\s+|for\\s+the\\s+)?(?:last|past|previous|prior)\\s+(${NUM_ALT})\\s+(days?|weeks?|months?|years?)\\b`, 'g'),
    make: (m, today) => {
      const n = num(m[1]!);
      if (!Number.isFinite(n) || n <= 0 || n > 3650) return null;
      const unit = m[2]!;
      const from = unit.startsWith('day') ? addDays(today, -n) : unit.startsWith('week') ? addDays(today, -7 * n) : unit.startsWith('month') ? addMonths(today, -n) : addMonths(today, -12 * n);
      return { from, to: today };
    },
  },
  {
    // 3 months ago
    re: new RegExp(`\\b(${NUM_ALT})\\s+(days?|weeks?|months?)\\s+ago\\b`, 'g'),
    make: (m, today) => {
      const n = num(m[1]!);
      const unit = m[2]!;
      if (unit.startsWith('month')) {
        const p = parts(addMonths(today, -n));
        return monthSpan(p.y, p.m);
      }
      const day = addDays(today, unit.startsWith('week') ? -7 * n : -n);
      return unit.startsWith('week') ? { from: addDays(day, -3), to: addDays(day, 3) } : { from: day, to: day };
    },
  },
  {
    re: /\b(?:year to date|so far this year)\b/g,
    make: (_m, today) => ({ from: `${today.slice(0, 4)}-01-01`, to: today }),
  },
  {
    // next week / next month / next quarter / next year / coming month
    re: /\b(next|coming|following|upcoming)\s+(week|month|quarter|year)\b/g,
    make: (m, today) => {
      const unit = m[2]!;
      const t = parts(today);
      if (unit === 'week') {
        const dow = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7;
        const monday = addDays(today, 7 - dow);
        return { from: monday, to: addDays(monday, 6) };
      }
      if (unit === 'month') {
        const p = parts(addMonths(`${t.y}-${pad(t.m)}-01`, 1));
        return monthSpan(p.y, p.m);
      }
      if (unit === 'quarter') {
        let q = Math.floor((t.m - 1) / 3) + 2;
        let y = t.y;
        if (q > 4) {
          q = 1;
          y += 1;
        }
        return quarterSpan(y, q);
      }
      return { from: `${t.y + 1}-01-01`, to: `${t.y + 1}-12-31` };
    },
  },
  {
    // end of the month / end of next month
    re: /\b(?:the\s+)?end of (?:the |this )?month\b/g,
    make: (_m, today) => {
      const e = endOfMonth(today.slice(0, 7));
      return { from: e, to: e };
    },
  },
  {
    // last month / previous quarter / past year / this week
    re: /\b(last|past|previous|prior|this|current)\s+(week|month|quarter|year)\b/g,
    make: (m, today) => {
      const which = m[1]!;
      const unit = m[2]!;
      const t = parts(today);
      if (which === 'past') {
        if (unit === 'week') return { from: addDays(today, -7), to: today };
        if (unit === 'month') return { from: addMonths(today, -1), to: today };
        if (unit === 'quarter') return { from: addMonths(today, -3), to: today };
        return { from: addMonths(today, -12), to: today };
      }
      const back = which === 'this' || which === 'current' ? 0 : 1;
      if (unit === 'week') {
        const dow = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday = 0
        const monday = addDays(today, -dow - 7 * back);
        return { from: monday, to: addDays(monday, 6) };
      }
      if (unit === 'month') {
        const p = parts(addMonths(`${t.y}-${pad(t.m)}-01`, -back));
        return monthSpan(p.y, p.m);
      }
      if (unit === 'quarter') {
        let q = Math.floor((t.m - 1) / 3) + 1 - back;
        let y = t.y;
        if (q < 1) {
          q = 4;
          y -= 1;
        }
        return quarterSpan(y, q);
      }
      return { from: `${t.y - back}-01-01`, to: `${t.y - back}-12-31` };
    },
  },
  {
    // Q3, Q3 2026, third quarter
    re: /\b(?:q([1-4])|(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter)(?:\s+(?:of\s+)?(\d{4}))?\b/g,
    make: (m, today) => {
      const q = m[1] ? Number(m[1]) : ({ first: 1, second: 2, third: 3, fourth: 4, '1st': 1, '2nd': 2, '3rd': 3, '4th': 4 } as Record<string, number>)[m[2]!]!;
      const t = parts(today);
      const y = m[3] ? Number(m[3]) : (q - 1) * 3 + 1 > t.m ? t.y - 1 : t.y;
      return quarterSpan(y, q);
    },
  },
  {
    // "the 15th" (this month's), after a preposition so "the 2nd one" is an ordinal, not a date
    re: /(?<=\b(?:before|after|by|until|since|on|from|through)\s+)the\s+(\d{1,2})(?:st|nd|rd|th)\b/g,
    make: (m, today) => {
      const iso = `${today.slice(0, 8)}${pad(Number(m[1]))}`;
      if (!isIsoDate(iso)) return null;
      return { from: iso, to: iso };
    },
  },
  {
    re: /\btomorrow\b/g,
    make: (_m, today) => ({ from: addDays(today, 1), to: addDays(today, 1) }),
  },
  {
    re: /\btoday\b/g,
    make: (_m, today) => ({ from: today, to: today }),
  },
  {
    re: /\byesterday\b/g,
    make: (_m, today) => ({ from: addDays(today, -1), to: addDays(today, -1) }),
  },
  {
    // A month on its own. "may" only after a preposition (it is also a verb).
    re: new RegExp(`\\b(${MONTH_ALT})\\b\\.?`, 'g'),
    make: (m, today, dir) => {
      const name = m[1]!;
      if (name === 'may' || name === 'mar' || name === 'jan') {
        const before = m.input.slice(0, m.index).trimEnd();
        if (!/\b(?:in|from|since|of|during|before|after|until|between|and|to|for|through|by)$/.test(before)) return null;
      }
      const mo = MONTHS[name]!;
      return monthSpan(yearForMonth(mo, today, dir), mo);
    },
  },
  {
    // A year on its own: 2025
    re: /\b(20\d{2})\b/g,
    make: (m) => ({ from: `${m[1]}-01-01`, to: `${m[1]}-12-31` }),
  },
];

function findAtoms(text: string, today: string, dir: Direction): Atom[] {
  const atoms: Atom[] = [];
  const taken = (s: number, e: number) => atoms.some((a) => s < a.end && e > a.start);
  for (const rule of ATOM_RULES) {
    rule.re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = rule.re.exec(text)) !== null) {
      const start = m.index;
      const end = start + m[0].length;
      if (taken(start, end)) continue;
      const span = rule.make(m, today, dir);
      if (span) atoms.push({ start, end, span });
    }
  }
  return atoms.sort((a, b) => a.start - b.start);
}

export interface PeriodMatch {
  period: Period | null;
  /** The text with the date expressions (and their prepositions) blanked out. */
  rest: string;
}

/** Finds the date range a message asks about, if any. */
export function extractPeriod(text: string, today: string, dir: Direction = 'past'): PeriodMatch {
  const atoms = findAtoms(text, today, dir);
  if (atoms.length === 0) return { period: null, rest: text };
  const a = atoms[0]!;
  const b = atoms[1];
  let period: Period;
  let cutStart = a.start;
  let cutEnd = a.end;
  const before = text.slice(0, a.start);
  const prep = /\b(between|from|since|after|before|until|through|up to|by|in|for|during|of|on|starting|as of)(?:\s+the\s+(start|beginning|end)\s+of)?\s*$/.exec(before);
  const joined = b ? /^\s*(?:and|to|through|until|-|and the end of)\s*$/.exec(text.slice(a.end, b.start)) : null;
  if (b && joined) {
    const [x, y] = a.span.from! <= b.span.from! ? [a.span, b.span] : [b.span, a.span];
    period = { from: x.from, to: y.to };
    cutEnd = b.end;
    if (prep && (prep[1] === 'between' || prep[1] === 'from')) cutStart = prep.index;
  } else {
    // "did a payment go through last week": a verb's particle, not "until".
    const verbThrough = prep?.[1] === 'through' && /\b(?:go|goes|went|gone|going|get|got|come|came)\s+through\s*$/.test(before);
    const p = verbThrough ? undefined : prep?.[1];
    const edge = prep?.[2];
    if (edge && (p === 'from' || p === 'since' || p === 'starting' || p === 'after') && edge !== 'end') period = { from: a.span.from, to: null };
    else if (edge === 'end' && (p === 'before' || p === 'by' || p === 'until')) period = { from: null, to: a.span.to };
    else if (p === 'since' || p === 'starting' || p === 'as of') period = { from: a.span.from, to: null };
    else if (p === 'after') period = { from: addDays(a.span.to!, 1), to: null };
    else if (p === 'before') period = { from: null, to: addDays(a.span.from!, -1) };
    else if (p === 'until' || p === 'up to' || p === 'through' || p === 'by') period = { from: null, to: a.span.to };
    else period = a.span;
    if (prep && !verbThrough) cutStart = prep.index;
  }
  const rest = `${text.slice(0, cutStart)} ${text.slice(cutEnd)}`.replace(/\s+/g, ' ').trim();
  return { period, rest };
}

const monthFormats = new Map<Locale, Intl.DateTimeFormat>();

/** "October 2026" ("octobre 2026"), through Intl. */
function monthName(iso: string, locale: Locale): string {
  let f = monthFormats.get(locale);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', month: 'long', year: 'numeric' });
    monthFormats.set(locale, f);
  }
  const { y, m } = parts(iso);
  return f.format(new Date(Date.UTC(y, m - 1, 1)));
}

/** "in October 2026", "in 2026", "from Sep 1, 2026 to Oct 15, 2026", "since Sep 1, 2026" (or in French). */
export function describePeriod(p: Period, locale: Locale = DEFAULT_LOCALE): string {
  const { from, to } = p;
  const date = (iso: string) => formatDate(iso, locale);
  if (from && to) {
    if (from === to) return t(locale, 'engine.period.day', { date: date(from) });
    const f = parts(from);
    if (f.d === 1 && to === endOfMonth(from.slice(0, 7))) return t(locale, 'engine.period.month', { month: monthName(from, locale) });
    if (from.endsWith('-01-01') && to === `${f.y}-12-31`) return t(locale, 'engine.period.year', { year: String(f.y) });
    return t(locale, 'engine.period.range', { from: date(from), to: date(to) });
  }
  if (from) return t(locale, 'engine.period.since', { date: date(from) });
  if (to) return t(locale, 'engine.period.until', { date: date(to) });
  return '';
}
