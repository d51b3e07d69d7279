import type { Period } from './dates.js';
import { parseClause, type BalanceFocus, type Draft, type OutOfScopeTopic, type PolicyTopic, type Ref, type StatusFilter } from './intent.js';
import { extract, invoiceNumbersIn, splitClauses } from './text.js';

/**
 * Context resolution: turns the drafts of a user message into intents, using the conversation so
 * far (earlier user messages and the engine's own earlier answers) for follow-ups such as
 * "pay that one", "email it to ap@mycompany.com", "show me the first one", "and the overdue ones?".
 */

export type Intent =
  | { kind: 'balance'; focus: BalanceFocus }
  | { kind: 'show'; numbers: string[] }
  | { kind: 'outstanding'; limit: number | null }
  | { kind: 'invoices'; status: StatusFilter | null; period: Period | null; limit: number | null }
  | { kind: 'payments'; period: Period | null; limit: number | null }
  | { kind: 'credits' }
  | { kind: 'pay'; numbers: string[]; cardNote: boolean }
  | { kind: 'payAll'; scope: 'overdue' | 'outstanding' }
  | { kind: 'payPick'; cardNote: boolean }
  | { kind: 'email'; number: string; to: string }
  | { kind: 'emailUnavailable'; numbers: string[]; to: string | null }
  | { kind: 'emailBulk'; to: string | null }
  | { kind: 'ask'; action: 'pay' | 'email' | 'show'; options: string[]; to: string | null }
  | { kind: 'askAddress'; number: string }
  | { kind: 'policy'; topic: PolicyTopic }
  | { kind: 'badRef'; refs: string[] }
  | { kind: 'otherAccount' }
  | { kind: 'injection'; memo: boolean }
  | { kind: 'chat'; what: 'greeting' | 'thanks' | 'bye' | 'ack' | 'no' }
  | { kind: 'help' }
  | { kind: 'outOfScope'; topic: OutOfScopeTopic }
  | { kind: 'unknown' };

/** Fixed phrases the engine writes and later reads back to know what it asked. */
export const ASK = {
  pay: 'Which invoice would you like to pay',
  email: 'Which invoice should I email',
  show: 'Which invoice would you like to see',
  address: 'Which email address should I send',
  offerPayOverdue: 'Would you like secure payment links for your overdue invoices?',
  offerPayOne: 'Would you like a secure payment link for',
} as const;

/** At most this many invoices per request (one card each). */
export const MAX_INVOICES = 10;

export interface Mention {
  number: string;
  /** The text after the number up to the next one: its amount and status as the engine wrote them. */
  segment: string;
}

export interface Context {
  /** The resolved request of the previous user message, if any. */
  prev: Intent | null;
  /** The engine's previous answer. */
  lastAssistant: string | null;
  /** The invoices the conversation was last about, in the order they were named. */
  mentions: Mention[];
  canEmail: boolean;
}

export interface HistoryMessage {
  role: 'user' | 'assistant';
  text: string;
}

export function mentionsIn(text: string): Mention[] {
  const hits = [...text.matchAll(/\bIN\d{7}\b/g)];
  const out: Mention[] = [];
  const seen = new Set<string>();
  hits.forEach((m, i) => {
    const end = hits[i + 1]?.index ?? text.length;
    const segment = text.slice(m.index + m[0].length, end).split('\n')[0] ?? '';
    if (!seen.has(m[0])) {
      seen.add(m[0]);
      out.push({ number: m[0], segment });
    }
  });
  return out;
}

type Resolution = { kind: 'numbers'; numbers: string[] } | { kind: 'ambiguous'; options: string[] } | { kind: 'none' };

const STATUS_IN_SEGMENT: Record<StatusFilter, RegExp> = {
  overdue: /\bOverdue\b/,
  paid: /(?<!Partially |partially )\bPaid\b/,
  due: /\bDue\b(?! [A-Z][a-z]{2} \d)/,
  partially_paid: /partially paid/i,
  open: /\b(Due|Overdue|Partially paid)\b/,
};

function formatCents(c: bigint): string {
  const whole = (c / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `$${whole}.${(c % 100n).toString().padStart(2, '0')}`;
}

export function resolveRef(ref: Ref, mentions: Mention[]): Resolution {
  const nums = mentions.map((m) => m.number);
  switch (ref.kind) {
    case 'numbers':
      return { kind: 'numbers', numbers: ref.numbers.slice(0, MAX_INVOICES) };
    case 'pronoun':
      if (nums.length === 0) return { kind: 'none' };
      if (ref.plural) return { kind: 'numbers', numbers: nums.slice(0, MAX_INVOICES) };
      return nums.length === 1 ? { kind: 'numbers', numbers: nums } : { kind: 'ambiguous', options: nums };
    case 'ordinal': {
      if (nums.length === 0) return { kind: 'none' };
      const n = ref.index < 0 ? nums[nums.length + ref.index] : nums[ref.index];
      return n ? { kind: 'numbers', numbers: [n] } : { kind: 'ambiguous', options: nums };
    }
    case 'status': {
      const hit = mentions.filter((m) => STATUS_IN_SEGMENT[ref.status].test(m.segment)).map((m) => m.number);
      if (hit.length > 0) return { kind: 'numbers', numbers: hit.slice(0, MAX_INVOICES) };
      return nums.length > 0 ? { kind: 'ambiguous', options: nums } : { kind: 'none' };
    }
    case 'amount': {
      const shown = formatCents(ref.cents);
      const hit = mentions.filter((m) => m.segment.includes(shown)).map((m) => m.number);
      if (hit.length === 1) return { kind: 'numbers', numbers: hit };
      return nums.length > 0 ? { kind: 'ambiguous', options: hit.length > 1 ? hit : nums } : { kind: 'none' };
    }
    case 'none':
      return { kind: 'none' };
  }
}

function pendingAction(lastAssistant: string | null): 'pay' | 'email' | 'show' | 'address' | null {
  if (!lastAssistant) return null;
  if (lastAssistant.includes(ASK.address)) return 'address';
  if (lastAssistant.includes(ASK.pay)) return 'pay';
  if (lastAssistant.includes(ASK.email)) return 'email';
  if (lastAssistant.includes(ASK.show)) return 'show';
  return null;
}

function prevAction(prev: Intent | null): 'pay' | 'email' | 'show' {
  if (!prev) return 'show';
  if (prev.kind === 'pay' || prev.kind === 'payPick') return 'pay';
  if (prev.kind === 'email' || prev.kind === 'askAddress' || prev.kind === 'emailUnavailable' || prev.kind === 'emailBulk') return 'email';
  if (prev.kind === 'ask') return prev.action;
  return 'show';
}

function prevAddress(prev: Intent | null): string | null {
  if (!prev) return null;
  if (prev.kind === 'email') return prev.to;
  if (prev.kind === 'emailUnavailable' || prev.kind === 'emailBulk' || prev.kind === 'ask') return prev.to;
  return null;
}

function act(action: 'pay' | 'email' | 'show', ref: Ref, ctx: Context, extra: { to: string | null; cardNote: boolean; bulk?: boolean }): Intent {
  const r = resolveRef(ref, ctx.mentions);
  if (action === 'email') {
    const to = extra.to ?? prevAddress(ctx.prev);
    if (!ctx.canEmail) return { kind: 'emailUnavailable', numbers: r.kind === 'numbers' ? r.numbers : [], to };
    if (extra.bulk || (r.kind === 'numbers' && r.numbers.length > 1)) return { kind: 'emailBulk', to };
    if (r.kind === 'ambiguous') return { kind: 'ask', action: 'email', options: r.options, to };
    if (r.kind === 'none') return { kind: 'ask', action: 'email', options: [], to };
    const number = r.numbers[0]!;
    return to ? { kind: 'email', number, to } : { kind: 'askAddress', number };
  }
  if (r.kind === 'ambiguous') return { kind: 'ask', action, options: r.options, to: null };
  if (r.kind === 'none') return action === 'pay' ? { kind: 'payPick', cardNote: extra.cardNote } : { kind: 'ask', action: 'show', options: [], to: null };
  return action === 'pay' ? { kind: 'pay', numbers: r.numbers, cardNote: extra.cardNote } : { kind: 'show', numbers: r.numbers };
}

/** Resolves one draft against the context. */
export function resolveDraft(d: Draft, ctx: Context): Intent {
  switch (d.kind) {
    case 'show':
      return act('show', d.ref, ctx, { to: null, cardNote: false });
    case 'pay':
      return act('pay', d.ref, ctx, { to: null, cardNote: d.cardNote });
    case 'email':
      return act('email', d.ref, ctx, { to: d.to, cardNote: false, bulk: d.bulk });
    case 'yes': {
      const last = ctx.lastAssistant ?? '';
      if (last.includes(ASK.offerPayOverdue)) return { kind: 'payAll', scope: 'overdue' };
      const one = last.indexOf(ASK.offerPayOne);
      if (one >= 0) {
        const n = invoiceNumbersIn(last.slice(one))[0];
        if (n) return { kind: 'pay', numbers: [n], cardNote: false };
      }
      return { kind: 'chat', what: 'ack' };
    }
    case 'no':
      return { kind: 'chat', what: 'no' };
    case 'fragment':
      return resolveFragment(d, ctx);
    case 'balance':
    case 'outstanding':
    case 'invoices':
    case 'payments':
    case 'credits':
    case 'payAll':
    case 'policy':
    case 'badRef':
    case 'otherAccount':
    case 'injection':
    case 'chat':
    case 'help':
    case 'outOfScope':
    case 'unknown':
      return d;
  }
}

function resolveFragment(d: Extract<Draft, { kind: 'fragment' }>, ctx: Context): Intent {
  const pending = pendingAction(ctx.lastAssistant);
  const prev = ctx.prev;
  if (pending === 'address' && d.to) {
    const n = invoiceNumbersIn(ctx.lastAssistant ?? '')[0];
    if (n) return act('email', { kind: 'numbers', numbers: [n] }, ctx, { to: d.to, cardNote: false });
  }
  if (d.to && d.ref.kind === 'none' && prevAction(prev) === 'email') {
    const last = prev && (prev.kind === 'emailUnavailable' ? prev.numbers : prev.kind === 'email' ? [prev.number] : prev.kind === 'askAddress' ? [prev.number] : []);
    const ref: Ref = last && last.length > 0 ? { kind: 'numbers', numbers: last } : { kind: 'pronoun', plural: false };
    return act('email', ref, ctx, { to: d.to, cardNote: false });
  }
  if (d.ref.kind !== 'none') {
    const action = pending && pending !== 'address' ? pending : prevAction(prev);
    return act(action, d.ref, ctx, { to: d.to, cardNote: false });
  }
  if (d.to) return act('email', { kind: 'pronoun', plural: false }, ctx, { to: d.to, cardNote: false });
  if (d.status !== null && (pending === 'pay' || prevAction(prev) === 'pay') && d.period === null) {
    // "and the overdue ones?" right after paying: pay those.
    if (d.status === 'overdue') return { kind: 'payAll', scope: 'overdue' };
    if (d.status === 'open') return { kind: 'payAll', scope: 'outstanding' };
    const r = resolveRef({ kind: 'status', status: d.status }, ctx.mentions);
    if (r.kind === 'numbers') return { kind: 'pay', numbers: r.numbers, cardNote: false };
  }
  if (d.period !== null && d.status === null && prev?.kind === 'payments') return { kind: 'payments', period: d.period, limit: null };
  if (d.status !== null || d.period !== null) {
    const base = prev?.kind === 'invoices' ? prev : null;
    const status = d.status ?? base?.status ?? null;
    const period = d.period ?? (d.status !== null ? (base?.period ?? null) : null);
    if (status === 'open' && period === null) return { kind: 'outstanding', limit: null };
    return { kind: 'invoices', status, period, limit: null };
  }
  return { kind: 'unknown' };
}

/** Drafts that stand on their own, so one message may carry several of them. */
function standalone(d: Draft): boolean {
  switch (d.kind) {
    case 'balance':
    case 'outstanding':
    case 'invoices':
    case 'payments':
    case 'credits':
    case 'payAll':
    case 'policy':
      return true;
    case 'show':
    case 'pay':
      return d.ref.kind === 'numbers';
    case 'email':
      return d.ref.kind === 'numbers' || d.ref.kind === 'pronoun';
    default:
      return false;
  }
}

/** The requests in one user message: usually one; several when clearly separate ("What's my balance? Also list my payments."). */
export function parseMessage(raw: string, today: string): Draft[] {
  const whole = parseClause(raw, today).draft;
  const clauses = splitClauses(raw);
  if (clauses.length < 2) return [whole];
  const drafts = clauses.map((c) => parseClause(c, today).draft);
  const substantive = drafts.filter((d) => d.kind !== 'chat' && d.kind !== 'unknown');
  if (substantive.length >= 2 && substantive.every(standalone)) {
    const seen = new Set<string>();
    const out: Draft[] = [];
    for (const d of substantive) {
      const key = JSON.stringify(d, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      if (!seen.has(key)) {
        seen.add(key);
        out.push(d);
      }
    }
    return out.slice(0, 3);
  }
  if (substantive.length === 1 && (whole.kind === 'chat' || whole.kind === 'unknown')) return substantive;
  return [whole];
}

/**
 * Resolves the last user message of a conversation. Earlier user messages are resolved the
 * same way (deterministically), so "what about IN7654320?" knows what the previous request was.
 */
export function resolveConversation(history: HistoryMessage[], today: string, canEmail: boolean): Intent[] {
  let prev: Intent | null = null;
  let lastAssistant: string | null = null;
  let mentions: Mention[] = [];
  let result: Intent[] = [];
  for (const m of history) {
    if (m.role === 'assistant') {
      lastAssistant = m.text;
      const found = mentionsIn(m.text);
      if (found.length > 0) mentions = found;
      continue;
    }
    const drafts = parseMessage(m.text, today);
    const ctx: Context = { prev, lastAssistant, mentions, canEmail };
    result = [];
    for (const d of drafts) {
      const intent = resolveDraft(d, ctx);
      result.push(intent);
      // Later requests in the same message may refer to earlier ones ("pay IN7654321 and email it to ...").
      const named = intent.kind === 'show' || intent.kind === 'pay' ? intent.numbers : intent.kind === 'email' ? [intent.number] : [];
      if (named.length > 0) ctx.mentions = named.map((n) => ({ number: n, segment: '' }));
    }
    const userNamed = extract(m.text).invoiceNumbers;
    if (userNamed.length > 0) mentions = userNamed.map((n) => ({ number: n, segment: '' }));
    prev = result[result.length - 1] ?? null;
  }
  return result;
}
