import type { Mood } from '../language/analyze.js';
import type { Ref, StatusFilter } from '../references.js';
import type { Period } from './dates.js';

/** The shapes of intent parsing: what one clause of a user message asks for (see intent.ts). */

export type PolicyTopic = 'fee' | OtherFeeTopic | 'howToPay' | 'cardPayment' | 'otherMethods' | 'statuses' | 'whenPaid' | 'security' | 'portal' | 'cardData' | 'pdf' | 'trouble' | 'notShownYet';

/** A fee or charge other than the opening fee, which the brief does not describe: the answer says so. */
export type OtherFeeTopic = 'feeLate' | 'feeInterest' | 'feePenalty' | 'feeCard' | 'feeReturned' | 'feeOther';

export type OutOfScopeTopic = 'orders' | 'refund' | 'dispute' | 'applyCredit' | 'autopay' | 'profile' | 'general' | 'bulkEmail' | 'cancel';

export type BalanceFocus = 'balance' | 'overdue' | 'outstanding' | 'nextDue';

/** What one clause asks for, before the conversation's context resolves "that one" or "the first one". */
export type Draft =
  | { kind: 'balance'; focus: BalanceFocus }
  | { kind: 'show'; ref: Ref }
  | { kind: 'outstanding'; limit: number | null }
  | { kind: 'invoices'; status: StatusFilter | null; period: Period | null; limit: number | null; dateField: 'due' | null; amount?: AmountRange | null }
  /** `refs`: payments the message names by number ("what did PAY-300205 pay for?"): the answer describes them. */
  | { kind: 'payments'; period: Period | null; limit: number | null; refs?: string[] }
  | { kind: 'credits' }
  | { kind: 'pay'; ref: Ref; cardNote: boolean }
  /** `except`: invoices the user left out ("all overdue except IN…"). */
  | { kind: 'payAll'; scope: 'overdue' | 'outstanding'; except?: readonly string[] }
  | { kind: 'email'; ref: Ref; to: string | null; bulk: boolean; sameAddress: boolean }
  | { kind: 'policy'; topic: PolicyTopic }
  | { kind: 'badRef'; refs: string[] }
  | { kind: 'otherAccount' }
  | { kind: 'injection'; memo: boolean }
  | { kind: 'chat'; what: 'greeting' | 'thanks' | 'bye' | 'ack' }
  | { kind: 'yes' }
  | { kind: 'no' }
  | { kind: 'help' }
  | { kind: 'outOfScope'; topic: OutOfScopeTopic }
  | { kind: 'fragment'; ref: Ref; status: StatusFilter | null; period: Period | null; to: string | null; dateField: 'due' | null }
  | { kind: 'handoff'; topic: 'dispute' | 'extension' | 'refund' | 'other'; ref: Ref }
  | { kind: 'withheld'; action: 'email' | 'pay' | 'followup'; mood: Mood; ref: Ref }
  | { kind: 'unknown' };

/** A bound on the invoice total ("over $500", "under $300"), in cents. */
export interface AmountRange {
  overCents: number | null;
  underCents: number | null;
}

export interface ParsedMessage {
  draft: Draft;
  /** Invoice numbers the message names (for follow-up context). */
  invoiceNumbers: string[];
}
