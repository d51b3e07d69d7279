import type { InvoiceStatusFilter } from '../billing/status.js';
import type { DialogueContext, InvoiceRef } from './context.js';

/**
 * References to invoices as written ("IN7654321", "it", "the second one", "the larger one",
 * "the overdue ones", "the $640 one") and their resolution against the stored dialogue state.
 * `t` is the normalised text of src/agent/offline/text.ts `extract()`.
 */

/** The statuses a user's words pick invoices by (nobody asks for void ones). */
/** "that" as a relative pronoun after a quantifier or a plural noun, followed by a verb: "everything that is late", "invoices that are due". */
const RELATIVE_THAT = /\b(everything|anything|all|whatever|ones|invoices|bills|those|the ones|what)\s+that\s+(?=(?:is|are|was|were|has|have|had|remains?|needs?|still|came|come|went|got|should|will|i|we)\b)/g;

export type StatusFilter = Exclude<InvoiceStatusFilter, 'void'>;

export type Ref =
  | { kind: 'numbers'; numbers: string[] }
  | { kind: 'pronoun'; plural: boolean }
  | { kind: 'ordinal'; index: number }
  | { kind: 'status'; status: StatusFilter }
  | { kind: 'amount'; cents: bigint }
  | { kind: 'superlative'; by: 'amount' | 'issued'; dir: 'max' | 'min'; status: StatusFilter | null }
  | { kind: 'other'; status: StatusFilter | null }
  | { kind: 'none' };

/** At most this many invoices per request (one card each). */
export const MAX_INVOICES = 10;

const ORDINALS: Record<string, number> = {
  first: 0,
  '1st': 0,
  second: 1,
  '2nd': 1,
  third: 2,
  '3rd': 2,
  fourth: 3,
  '4th': 3,
  fifth: 4,
  '5th': 4,
  sixth: 5,
  '6th': 5,
  last: -1,
  final: -1,
  bottom: -1,
  top: 0,
};

const SUPERLATIVE: Array<{ re: RegExp; by: 'amount' | 'issued'; dir: 'max' | 'min' }> = [
  { re: /\b(largest|biggest|highest|larger|bigger|higher|most expensive|more expensive|priciest|heftiest|the big one)\b/, by: 'amount', dir: 'max' },
  { re: /\b(smallest|lowest|smaller|lower|cheapest|cheaper|least expensive|tiniest|the small one)\b/, by: 'amount', dir: 'min' },
  { re: /\b(oldest|older|earliest|earlier)\b/, by: 'issued', dir: 'min' },
  { re: /\b(newest|newer|most recent|latest|more recent)\b/, by: 'issued', dir: 'max' },
];

/** The reference a clause makes, given the invoice numbers and amounts it names. */
export function refIn(t: string, invoiceNumbers: string[], amounts: bigint[]): Ref {
  if (invoiceNumbers.length > 0) return { kind: 'numbers', numbers: invoiceNumbers };
  const ord = /\b(?:the\s+)?(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|last|final|top|bottom)(?:\s+(?:one|invoice|on the list|in the list|item))?\b/.exec(t);
  if (ord && (/\b(one|invoice|on the list|in the list|item)\b/.test(ord[0]) || /^\W*(?:the\s+)?\w+\W*$/.test(t) || /\bthe\s+\w+\s*$/.test(ord[0]))) {
    return { kind: 'ordinal', index: ORDINALS[ord[1]!]! };
  }
  // "the overdue one", "the partially paid one": one invoice of the list by its status.
  const byStatus = /\bthe (overdue|past due|late|due|unpaid|open|paid|partially paid|partly paid) (?:one|invoice|bill)\b/.exec(t);
  if (byStatus) {
    const w = byStatus[1]!;
    const status: StatusFilter = /overdue|past due|late/.test(w) ? 'overdue' : /partially|partly/.test(w) ? 'partially_paid' : w === 'paid' ? 'paid' : w === 'due' ? 'due' : 'open';
    return { kind: 'status', status };
  }
  const statusWord: StatusFilter | null = /\b(overdue|past due|late)\b/.test(t) ? 'overdue' : /\b(unpaid|outstanding|open)\b/.test(t) ? 'open' : null;
  // "the other one", "the other overdue one": the one of the list the last answer was not about.
  if (/\bthe other (?:\w+ )?(?:one|invoice|bill)\b|\bthe other one\b/.test(t)) return { kind: 'other', status: statusWord };
  for (const s of SUPERLATIVE) {
    if (!s.re.test(t) || !/\b(one|invoice|bill|of the|of them|two|ones)\b/.test(t)) continue;
    // "my latest invoice" is the newest of all (a history question); "the oldest one" / "the latest unpaid invoice" pick from a set.
    if (s.by === 'issued' && statusWord === null && !/\b(one|of the|of them|of those|two)\b/.test(t)) continue;
    return { kind: 'superlative', by: s.by, dir: s.dir, status: statusWord };
  }
  if (/\b(them|those|these|both|all of them|each of them|those ones|these ones|all three|all four|all two)\b/.test(t)) return { kind: 'pronoun', plural: true };
  // A relative "that"/"which" ("everything that is late", "the ones that are overdue") refers to nothing.
  const pronounText = t.replace(RELATIVE_THAT, ' ');
  if (/\b(it|that|this|that one|this one|the invoice|that invoice|this invoice|same one|same invoice|the one|that bill|this bill)\b/.test(pronounText)) return { kind: 'pronoun', plural: false };
  if (amounts.length > 0 && /\bone\b/.test(t)) return { kind: 'amount', cents: amounts[0]! };
  return { kind: 'none' };
}

export type Resolution = { kind: 'numbers'; numbers: string[] } | { kind: 'ambiguous'; options: string[] } | { kind: 'none' };

const STATUS_MATCH: Record<StatusFilter, (r: InvoiceRef) => boolean> = {
  overdue: (r) => r.state === 'overdue',
  paid: (r) => r.state === 'paid',
  due: (r) => r.state === 'due',
  partially_paid: (r) => r.state === 'partially_paid' || (r.state === 'overdue' && r.amountDueCents !== null && r.totalCents !== null && r.amountDueCents < r.totalCents && r.amountDueCents > 0),
  open: (r) => (r.amountDueCents ?? 0) > 0 && r.state !== 'void',
};

/** Picks one invoice by amount due (or issue date) from a set, or null when it is a tie. */
export function pickSuperlative(refs: readonly InvoiceRef[], by: 'amount' | 'issued', dir: 'max' | 'min'): InvoiceRef | null {
  const key = (r: InvoiceRef) => (by === 'amount' ? (r.amountDueCents ?? r.totalCents ?? 0) : Date.parse(r.issued ?? '') || 0);
  const sorted = [...refs].sort((a, b) => (dir === 'max' ? key(b) - key(a) : key(a) - key(b)));
  if (sorted.length === 0) return null;
  if (sorted.length > 1 && key(sorted[0]!) === key(sorted[1]!)) return null;
  return sorted[0]!;
}

/** The invoices a reference points at, in the context the conversation last showed. */
export function resolveRef(ref: Ref, ctx: DialogueContext | null): Resolution {
  const focus = ctx?.focus ?? [];
  const list = ctx?.list ?? focus;
  const nums = (xs: readonly InvoiceRef[]) => xs.map((x) => x.invoiceNumber);
  switch (ref.kind) {
    case 'numbers':
      return { kind: 'numbers', numbers: ref.numbers.slice(0, MAX_INVOICES) };
    case 'pronoun':
      if (focus.length === 0) return { kind: 'none' };
      if (ref.plural) return { kind: 'numbers', numbers: nums(focus).slice(0, MAX_INVOICES) };
      return focus.length === 1 ? { kind: 'numbers', numbers: nums(focus) } : { kind: 'ambiguous', options: nums(focus) };
    case 'ordinal': {
      const from = list.length > 0 ? list : focus;
      if (from.length === 0) return { kind: 'none' };
      const r = ref.index < 0 ? from[from.length + ref.index] : from[ref.index];
      return r ? { kind: 'numbers', numbers: [r.invoiceNumber] } : { kind: 'ambiguous', options: nums(from) };
    }
    case 'other': {
      const shown = new Set(nums(focus));
      const rest = list.filter((r) => !shown.has(r.invoiceNumber) && (!ref.status || STATUS_MATCH[ref.status](r)));
      return rest.length === 1 ? { kind: 'numbers', numbers: [rest[0]!.invoiceNumber] } : rest.length > 1 ? { kind: 'ambiguous', options: nums(rest) } : { kind: 'none' };
    }
    case 'superlative': {
      const pool = focus.length > 1 ? focus : list;
      const from = ref.status ? pool.filter(STATUS_MATCH[ref.status]) : pool;
      if (from.length === 0) return { kind: 'none' };
      const r = pickSuperlative(from, ref.by, ref.dir);
      return r ? { kind: 'numbers', numbers: [r.invoiceNumber] } : { kind: 'ambiguous', options: nums(from) };
    }
    case 'status': {
      const from = list.length > 0 ? list : focus;
      const hit = from.filter(STATUS_MATCH[ref.status]);
      if (hit.length > 0) return { kind: 'numbers', numbers: nums(hit).slice(0, MAX_INVOICES) };
      return from.length > 0 ? { kind: 'ambiguous', options: nums(from) } : { kind: 'none' };
    }
    case 'amount': {
      const from = list.length > 0 ? list : focus;
      const cents = Number(ref.cents);
      const hit = from.filter((r) => r.amountDueCents === cents || r.totalCents === cents);
      if (hit.length === 1) return { kind: 'numbers', numbers: [hit[0]!.invoiceNumber] };
      return from.length > 0 ? { kind: 'ambiguous', options: nums(hit.length > 1 ? hit : from) } : { kind: 'none' };
    }
    case 'none':
      return { kind: 'none' };
  }
}
