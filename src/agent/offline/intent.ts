import type { Draft, ParsedMessage } from './intent-draft.js';
import { draftOf, readClause } from './intent-steps.js';

/**
 * Intent parsing: one user message (or clause) → a draft of what the user wants, before the
 * conversation's context resolves references like "that one" or "the first one".
 * Only the user's own words are parsed here; tool data never reaches this module.
 * The shapes live in intent-draft.ts, the words in intent-words.ts, the ordered steps in intent-steps.ts.
 */

export type { AmountRange, BalanceFocus, Draft, OutOfScopeTopic, ParsedMessage, PolicyTopic } from './intent-draft.js';
export { amountRangeIn, handoffTopicIn } from './intent-words.js';

/** Parses one clause of a user message. `today` anchors relative dates. */
export function parseClause(raw: string, today: string): ParsedMessage {
  const clause = readClause(raw, today);
  const draft: Draft = clause.whole.length === 0 ? { kind: 'help' } : draftOf(clause);
  return { draft, invoiceNumbers: clause.x.invoiceNumbers };
}

/** A draft that does something (tool use or a substantive answer), as opposed to small talk. */
export function isSubstantive(d: Draft): boolean {
  return d.kind !== 'chat' && d.kind !== 'unknown' && d.kind !== 'yes' && d.kind !== 'no';
}
