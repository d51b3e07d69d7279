import { refIn, type Ref } from '../references.js';
import { extractPeriod, type Period } from './dates.js';
import type { Draft } from './intent-draft.js';
import { INVOICE_WORD, negatedPaid } from './intent-words.js';
import { extract, type Extracted } from './text.js';

/** One clause, read once: its normalised words, the period it names and what it refers to. */
export interface Clause {
  /** As typed (capitals kept, for names of other parties). */
  raw: string;
  x: Extracted;
  /** The normalised text. */
  whole: string;
  /** The normalised text without its period, negated "paid" read as "unpaid". */
  t: string;
  ref: Ref;
  /** The first email address named. */
  to: string | null;
  period: Period | null;
  /** 'due' when the period is about due dates ("due next month"). */
  dateField: 'due' | null;
  hasInvoiceWord: boolean;
}

/** One step of parsing: the clause's draft if the step recognises it, else null (the next step is tried). */
export type Step = (c: Clause) => Draft | null;

/** Reads a clause; `today` anchors relative dates. */
export function readClause(raw: string, today: string): Clause {
  const x = extract(raw);
  // A period about due dates ("due next month", "anything due before the 15th") looks forward.
  const dueDates = /\b(?:due|payable|coming up|come due|comes due|coming due|came due|falls due|fall due|(?:have|need|got) to pay)\b/.test(x.text.replace(/\b(?:past due|amount due|balance due|total due|due date of)\b/g, ' '));
  const { period, rest } = extractPeriod(x.text, today, dueDates ? 'future' : 'past');
  const t = negatedPaid(rest);
  return {
    raw,
    x,
    whole: x.text,
    t,
    ref: refIn(t, x.invoiceNumbers, x.amounts),
    to: x.emails[0] ?? null,
    period,
    dateField: period && dueDates ? 'due' : null,
    hasInvoiceWord: INVOICE_WORD.test(t),
  };
}
