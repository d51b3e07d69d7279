import type { DialogueContext, EngineNote } from '../context.js';
import { analyze, WITHHOLDING_MOODS, type Analysis, type Mood } from '../language/analyze.js';
import { MAX_INVOICES, resolveRef, type Ref, type StatusFilter } from '../references.js';
import type { Period } from './dates.js';
import { handoffTopicIn, parseClause, type AmountRange, type BalanceFocus, type Draft, type OutOfScopeTopic, type PolicyTopic } from './intent.js';
import { extract, splitClauses } from './text.js';

/**
 * Context resolution: turns the drafts of a user message into intents, using the stored dialogue
 * state of the last answer (its invoices, its list, the engine's note of what it understood and
 * asked) for follow-ups such as "pay that one", "email it to ap@mycompany.com", "the second one",
 * "and the overdue ones?". Nothing here reads the text of earlier replies.
 */

export type HandoffTopic = 'dispute' | 'extension' | 'refund' | 'other';

export type Intent =
  | { kind: 'balance'; focus: BalanceFocus }
  | { kind: 'show'; numbers: string[] }
  | { kind: 'outstanding'; limit: number | null }
  | { kind: 'invoices'; status: StatusFilter | null; period: Period | null; limit: number | null; dateField: 'due' | null; amount?: AmountRange | null }
  /** `refs`: payments the message names by number ("what did PAY-300205 pay for?"): the answer describes them. */
  | { kind: 'payments'; period: Period | null; limit: number | null; refs?: string[] }
  | { kind: 'credits' }
  | { kind: 'pay'; numbers: string[]; cardNote: boolean }
  | { kind: 'payAll'; scope: 'overdue' | 'outstanding'; except?: readonly string[] }
  | { kind: 'payPick'; cardNote: boolean }
  | { kind: 'pick'; action: 'pay' | 'show'; by: 'amount' | 'issued'; dir: 'max' | 'min'; overdue: boolean }
  | { kind: 'email'; number: string; to: string }
  /** A message that names several addresses: one request, never one address picked from it (the email tool answers it as a whole). */
  | { kind: 'emailSeveral'; number: string | null; to: string[]; options: string[] }
  | { kind: 'emailUnavailable'; numbers: string[]; to: string | null }
  | { kind: 'emailBulk'; to: string | null }
  | { kind: 'ask'; action: 'pay' | 'email' | 'show'; options: string[]; to: string | null }
  | { kind: 'askAddress'; number: string }
  | { kind: 'withheld'; action: 'email' | 'pay' | 'followup'; mood: Mood; numbers: string[] }
  | { kind: 'handoff'; topic: HandoffTopic; number: string | null; reason: 'topic' | 'person' | 'frustrated' | 'circles' }
  | { kind: 'policy'; topic: PolicyTopic }
  | { kind: 'badRef'; refs: string[] }
  | { kind: 'otherAccount' }
  | { kind: 'injection'; memo: boolean }
  | { kind: 'chat'; what: 'greeting' | 'thanks' | 'bye' | 'ack' | 'no' }
  | { kind: 'help' }
  | { kind: 'outOfScope'; topic: OutOfScopeTopic }
  | { kind: 'unknown' };

export { MAX_INVOICES };

export interface Context {
  /** The request the previous answer resolved (the engine's note), if any. */
  prev: Intent | null;
  /** A question the previous answer asked. */
  pending: EngineNote['pending'];
  /** The previous answer's dialogue state: its invoices and list. */
  dialogue: DialogueContext | null;
  canEmail: boolean;
  /** The last email address the user typed in this conversation ("send it there too"). */
  address: string | null;
}

function pendingAction(pending: Context['pending']): 'pay' | 'email' | 'show' | 'address' | null {
  if (!pending) return null;
  if (pending.kind === 'address') return 'address';
  if (pending.kind === 'which_invoice') return pending.action;
  return null;
}

function prevAction(prev: Intent | null): 'pay' | 'email' | 'show' {
  if (!prev) return 'show';
  if (prev.kind === 'pay' || prev.kind === 'payPick') return 'pay';
  if (prev.kind === 'email' || prev.kind === 'askAddress' || prev.kind === 'emailUnavailable' || prev.kind === 'emailBulk' || prev.kind === 'emailSeveral') return 'email';
  if (prev.kind === 'ask') return prev.action;
  return 'show';
}

function prevAddress(prev: Intent | null): string | null {
  if (!prev) return null;
  if (prev.kind === 'email') return prev.to;
  if (prev.kind === 'emailUnavailable' || prev.kind === 'emailBulk' || prev.kind === 'ask') return prev.to;
  return null;
}

function act(action: 'pay' | 'email' | 'show', ref: Ref, ctx: Context, extra: { to: string | null; cardNote: boolean; bulk?: boolean; sameAddress?: boolean }): Intent {
  const r = resolveRef(ref, ctx.dialogue);
  if (ref.kind === 'superlative' && r.kind === 'none' && action !== 'email') return { kind: 'pick', action, by: ref.by, dir: ref.dir, overdue: ref.status === 'overdue' };
  // "send me a pay link" right after one invoice was shown: that one.
  if (action === 'pay' && ref.kind === 'none' && ctx.dialogue?.focus.length === 1 && (ctx.dialogue.focus[0]!.amountDueCents ?? 0) > 0) {
    return { kind: 'pay', numbers: [ctx.dialogue.focus[0]!.invoiceNumber], cardNote: extra.cardNote };
  }
  if (action === 'email') {
    const to = extra.to ?? prevAddress(ctx.prev) ?? (extra.sameAddress ? ctx.address : null);
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
    case 'email': {
      // "to ap@… please" answering "which address?": the invoice asked about.
      const asked = ctx.pending?.kind === 'address' && d.ref.kind === 'none' && d.to && !d.bulk ? ctx.pending.invoiceNumber : null;
      return act('email', asked ? { kind: 'numbers', numbers: [asked] } : d.ref, ctx, { to: d.to, cardNote: false, bulk: d.bulk, sameAddress: d.sameAddress });
    }
    case 'yes':
      if (ctx.pending?.kind === 'offer_pay_overdue') return { kind: 'payAll', scope: 'overdue' };
      return { kind: 'chat', what: 'ack' };
    case 'no':
      return { kind: 'chat', what: 'no' };
    case 'fragment':
      return resolveFragment(d, ctx);
    case 'withheld': {
      const r = resolveRef(d.ref, ctx.dialogue);
      return { kind: 'withheld', action: d.action, mood: d.mood, numbers: r.kind === 'numbers' ? r.numbers : [] };
    }
    case 'handoff': {
      // The invoice named, or the one the conversation is about.
      // After a hand-off proposal, "escalate this to a person" is about the same invoice.
      const prevHandoff = ctx.prev?.kind === 'handoff' && d.ref.kind === 'none' ? ctx.prev.number : null;
      const r = resolveRef(d.ref.kind === 'none' ? { kind: 'pronoun', plural: false } : d.ref, ctx.dialogue);
      const number = prevHandoff ?? (r.kind === 'numbers' && r.numbers.length === 1 ? r.numbers[0]! : null);
      return { kind: 'handoff', topic: d.topic, number, reason: 'topic' };
    }
    default:
      // The rest (balance, lists, policy, chat...) need no context: the draft is the intent (tsc checks that it is one).
      return d;
  }
}

function resolveFragment(d: Extract<Draft, { kind: 'fragment' }>, ctx: Context): Intent {
  const pending = pendingAction(ctx.pending);
  const prev = ctx.prev;
  if (pending === 'address' && d.to) {
    const n = ctx.pending?.invoiceNumber;
    if (n) return act('email', { kind: 'numbers', numbers: [n] }, ctx, { to: d.to, cardNote: false });
  }
  if (d.to && d.ref.kind === 'none' && prevAction(prev) === 'email') {
    const last = prev && (prev.kind === 'emailUnavailable' ? prev.numbers : prev.kind === 'email' || prev.kind === 'askAddress' ? [prev.number] : prev.kind === 'emailSeveral' && prev.number ? [prev.number] : []);
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
    const r = resolveRef({ kind: 'status', status: d.status }, ctx.dialogue);
    if (r.kind === 'numbers') return { kind: 'pay', numbers: r.numbers, cardNote: false };
  }
  if (d.period !== null && d.status === null && prev?.kind === 'payments') return { kind: 'payments', period: d.period, limit: null };
  if (d.status !== null || d.period !== null) {
    const base = prev?.kind === 'invoices' ? prev : null;
    const status = d.status ?? base?.status ?? null;
    const period = d.period ?? (d.status !== null ? (base?.period ?? null) : null);
    const dateField = d.period !== null ? d.dateField : (base?.dateField ?? null);
    if (status === 'open' && period === null) return { kind: 'outstanding', limit: null };
    return { kind: 'invoices', status, period, limit: null, dateField };
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
    case 'withheld':
    case 'handoff':
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

const READS: ReadonlySet<Draft['kind']> = new Set(['show', 'balance', 'outstanding', 'invoices', 'payments', 'credits', 'policy']);

const WITHHOLDING: readonly Mood[] = WITHHOLDING_MOODS;

/** A clause that is a command to pay ("but pay it", "just pay IN…", "please pay them"), not a statement ("we'll pay it"). */
const IMPERATIVE_PAY = /^(?:(?:but|and|just|instead|please|only|rather|so)\s+)*pay\b/i;

/** Asking to see one invoice or a fact of it, without naming it ("just tell me the amount", "I just want to see it"). */
const READ_ONE = /\b(amount|total|how much|what (?:is |was )?it for|what for|details?|see it|look at it|view it|show (?:it|me)|about it|when (?:is |was )?it due|due date|status)\b/;

/**
 * What the words around a draft do to it (NLP negation scope and mood): a negated, hypothetical,
 * cancelled or how-does-it-work request to email becomes `withheld`; likewise paying (a question
 * about paying is still answered with a link) and a hand-off (a question asking for one is one).
 * Asking for a person, or clear frustration, hands off.
 */
export function applyMood(d: Draft, a: Analysis, t: string): Draft {
  const refOf = (x: Draft) => ('ref' in x ? x.ref : ({ kind: 'none' } as Ref));
  if (d.kind === 'email' && a.withholds('email')) return { kind: 'withheld', action: 'email', mood: a.mood('email'), ref: d.ref };
  if ((d.kind === 'pay' || d.kind === 'payAll') && WITHHOLDING.includes(a.mood('pay'))) {
    return { kind: 'withheld', action: 'pay', mood: a.mood('pay'), ref: refOf(d) };
  }
  if (d.kind === 'handoff' && WITHHOLDING.includes(a.mood('followup'))) return { kind: 'withheld', action: 'followup', mood: a.mood('followup'), ref: d.ref };
  if (d.kind === 'handoff') return d;
  if (a.mentionsPerson && d.kind !== 'withheld' && d.kind !== 'injection' && d.kind !== 'otherAccount') {
    return { kind: 'handoff', topic: handoffTopicIn(t) ?? 'other', ref: refOf(d) };
  }
  if (a.frustrated && (d.kind === 'unknown' || d.kind === 'chat' || d.kind === 'outOfScope' || d.kind === 'no' || d.kind === 'help' || d.kind === 'show')) {
    return { kind: 'handoff', topic: 'other', ref: refOf(d) };
  }
  if (WITHHOLDING.includes(a.mood('followup')) && (d.kind === 'unknown' || d.kind === 'outOfScope')) {
    return { kind: 'withheld', action: 'followup', mood: a.mood('followup'), ref: { kind: 'none' } };
  }
  return d;
}

function parseWithMood(raw: string, today: string): Draft {
  const parsed = parseClause(raw, today);
  return applyMood(parsed.draft, analyze(raw), extract(raw).text);
}

/** "I paid it by wire", "we mailed a cheque", "we already paid it": a payment the user says they made. */
const CLAIMED_PAYMENT =
  /\b(?:i|we)(?: have| has| had| already| just| did)* (?:paid|sent|mailed|wired|transferred|made (?:a |the )?payment)\b|\b(?:payment|cheque|check|wire|transfer)s? (?:was|were|has been|have been) (?:sent|made|mailed|wired|done)\b/;
/** …and asks why it does not show ("why is it still overdue?", "my balance has not changed"). */
const NOT_SHOWN =
  /\b(?:why|how come)\b.{0,40}\b(?:still|not|yet)\b|\bstill (?:shows?|showing|says|appears?|overdue|unpaid|due|open|outstanding|not paid|the same)\b|\b(?:not|never) (?:showing|shown|show|showed|reflected|updated|applied|changed|gone down|received)\b|\b(?:has|have|did) not (?:changed?|moved|gone down|updated)\b/;

/**
 * The requests in one user message: usually one; several when clearly separate ("What's my
 * balance? Also list my payments."). A payment the user says they made that does not show yet adds
 * the answer on how such payments are applied (after what is read), unless the message already
 * asks for the team.
 */
export function parseMessage(raw: string, today: string): Draft[] {
  const drafts = parseRequests(raw, today);
  const t = extract(raw).text;
  if (!CLAIMED_PAYMENT.test(t) || !NOT_SHOWN.test(t) || drafts.some((d) => d.kind === 'handoff' || d.kind === 'withheld')) return drafts;
  const reads = drafts.filter((d) => READS.has(d.kind) && d.kind !== 'policy');
  return [...(reads.length > 0 ? reads : [{ kind: 'balance', focus: 'balance' } as const]), { kind: 'policy', topic: 'notShownYet' }];
}

function parseRequests(raw: string, today: string): Draft[] {
  const whole = parseWithMood(raw, today);
  let clauses = splitClauses(raw);
  // "don't email IN7654323 to anyone, what's it for?": a withheld action next to a read, split at the comma.
  let commaSplit = false;
  if (clauses.length < 2 && whole.kind === 'withheld') {
    clauses = raw.split(/\s*,\s*/).filter((c) => c.trim().length > 0);
    // "show me IN7654321 without emailing it": the read before "without".
    if (clauses.length < 2) clauses = raw.split(/\s+(?=without\b)/i).filter((c) => c.trim().length > 0);
    commaSplit = true;
  }
  if (clauses.length < 2) return [whole];
  // Split at a comma, only the withheld part and plain reads count ("…, we'll pay it on time" asks for nothing).
  // A clause that asks to see the invoice without naming it ("…, just tell me the amount", "…, what's
  // it for?") reads the one the withheld part names: the pronoun resolves to it.
  const drafts = clauses
    .map((c) => {
      const d = parseWithMood(c, today);
      return (commaSplit || whole.kind === 'withheld') && (d.kind === 'unknown' || d.kind === 'fragment') && READ_ONE.test(extract(c).text) ? ({ kind: 'show', ref: { kind: 'pronoun', plural: false } } as const) : d;
    })
    // "…, but pay it", "…, just pay IN…": an imperative to pay next to the refusal is asked for.
    .filter((d, i) => !commaSplit || d.kind === 'withheld' || READS.has(d.kind) || ((d.kind === 'pay' || d.kind === 'payAll') && IMPERATIVE_PAY.test(clauses[i]!.trim())));
  const substantive = drafts.filter((d) => d.kind !== 'chat' && d.kind !== 'unknown');
  const cancelledLater = drafts.findIndex((d, i) => i > 0 && (d.kind === 'no' || (d.kind === 'chat' && d.what === 'ack')) && analyze(clauses[i]!).cancellation);
  if (cancelledLater > 0) {
    // "Email IN… to ap@…. Actually, never mind.": everything before the second thought is withdrawn.
    return drafts.slice(0, cancelledLater).map((d) =>
      d.kind === 'email' ? ({ kind: 'withheld', action: 'email', mood: 'cancelled', ref: d.ref } as const) : d.kind === 'pay' || d.kind === 'payAll' ? { kind: 'withheld', action: 'pay', mood: 'cancelled', ref: 'ref' in d ? d.ref : { kind: 'none' } } : d,
    );
  }
  const withheld = substantive.some((d) => d.kind === 'withheld');
  if (substantive.length >= 2 && (withheld || substantive.every(standalone))) {
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

/** The invoice an email intent is about: a number, null when still to be asked, undefined when it is not about emailing. */
function emailedInvoice(i: Intent): string | null | undefined {
  if (i.kind === 'email' || i.kind === 'askAddress') return i.number;
  if ((i.kind === 'ask' && i.action === 'email') || i.kind === 'emailBulk') return null;
  return undefined;
}

/**
 * Several addresses in one message: its first email intent becomes one request with every address
 * and no single recipient; later email intents of the message are part of it.
 */
function severalRecipients(intents: Intent[], to: string[]): Intent[] {
  const out: Intent[] = [];
  let merged = false;
  for (const i of intents) {
    const number = emailedInvoice(i);
    if (number === undefined) {
      out.push(i.kind === 'emailUnavailable' ? { ...i, to: null } : i);
    } else if (!merged) {
      merged = true;
      out.push({ kind: 'emailSeveral', number, to, options: i.kind === 'ask' ? i.options : [] });
    }
  }
  return out;
}

/** Resolves the user's current message against the last answer's stored dialogue state. */
export function resolveMessage(text: string, today: string, canEmail: boolean, dialogue: DialogueContext | null): Intent[] {
  const note = dialogue?.note ?? null;
  const ctx: Context = { prev: (note?.request as Intent | null | undefined) ?? null, pending: note?.pending ?? null, dialogue, canEmail, address: note?.address ?? null };
  const result: Intent[] = [];
  for (const d of parseMessage(text, today)) {
    const intent = resolveDraft(d, ctx);
    result.push(intent);
    // Later requests in the same message may refer to earlier ones ("show IN7654321 and email it to ...").
    const named = intent.kind === 'show' || intent.kind === 'pay' || intent.kind === 'withheld' ? intent.numbers : intent.kind === 'email' ? [intent.number] : [];
    if (named.length > 0) {
      const refs = named.map((n) => ctx.dialogue?.focus.find((f) => f.invoiceNumber === n) ?? { invoiceNumber: n, state: null, amountDueCents: null, totalCents: null, issued: null, due: null });
      ctx.dialogue = { v: 1, focus: refs, list: ctx.dialogue?.list ?? null, proposals: [], note: null };
    }
  }
  const typed = extract(text).emails;
  return typed.length > 1 ? severalRecipients(result, typed) : result;
}
