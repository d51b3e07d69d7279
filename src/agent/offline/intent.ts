import { readClause, type Clause, type Step } from './intent-clause.js';
import type { Draft, ParsedMessage } from './intent-draft.js';
import {
  cardDetails,
  emailCopy,
  handoff,
  howPayingWorks,
  howThingsWork,
  leftOrPaidQuestion,
  notOffered,
  openingFee,
  otherAccount,
  otherFees,
  otherDocumentNumbers,
  paymentTrouble,
  payOutsidePortal,
  payRequest,
  rulesChange,
} from './intent-actions.js';
import {
  balance,
  dueInPeriod,
  followUpFragment,
  helpOrAnswer,
  invoiceList,
  invoicesByNumber,
  lastResort,
  leftOnOneInvoice,
  paymentsMade,
  smallTalk,
  standingOrCredits,
} from './intent-reads.js';

/**
 * Intent parsing: one user message (or clause) → a draft of what the user wants, before the
 * conversation's context resolves references like "that one" or "the first one".
 * Only the user's own words are parsed here; tool data never reaches this module.
 * The shapes live in intent-draft.ts, the words in intent-words.ts, the reading of a clause in
 * intent-clause.ts and the steps in intent-actions.ts and intent-reads.ts.
 */

export type { AmountRange, BalanceFocus, Draft, OutOfScopeTopic, ParsedMessage, PolicyTopic } from './intent-draft.js';
export { amountRangeIn, handoffTopicIn } from './intent-words.js';

/**
 * The steps in order of precedence: the first that recognises a clause gives its draft. The order
 * is the meaning (card details offered beat a request to pay, a request to pay beats the word
 * "fee"), so a new step goes where its precedence says.
 */
const STEPS: readonly Step[] = [
  rulesChange,
  otherAccount,
  cardDetails,
  otherDocumentNumbers,
  paymentTrouble,
  emailCopy,
  otherFees,
  howPayingWorks,
  handoff,
  leftOrPaidQuestion,
  payOutsidePortal,
  payRequest,
  openingFee,
  howThingsWork,
  notOffered,
  invoicesByNumber,
  helpOrAnswer,
  leftOnOneInvoice,
  standingOrCredits,
  paymentsMade,
  balance,
  invoiceList,
  dueInPeriod,
  smallTalk,
  followUpFragment,
];

/** Parses one clause of a user message. `today` anchors relative dates. */
export function parseClause(raw: string, today: string): ParsedMessage {
  const clause = readClause(raw, today);
  return { draft: clause.whole.length === 0 ? { kind: 'help' } : draftOf(clause), invoiceNumbers: clause.x.invoiceNumbers };
}

/** The draft of a non-empty clause: the first step that recognises it, else the last resort. */
function draftOf(clause: Clause): Draft {
  for (const step of STEPS) {
    const draft = step(clause);
    if (draft) return draft;
  }
  return lastResort(clause);
}

/** A draft that does something (tool use or a substantive answer), as opposed to small talk. */
export function isSubstantive(d: Draft): boolean {
  return d.kind !== 'chat' && d.kind !== 'unknown' && d.kind !== 'yes' && d.kind !== 'no';
}
