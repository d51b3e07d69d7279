import type { EngineNote } from '../context.js';
import { askText, emailSeveralText, emailText, handoffText, payAllText, payPickText, payText, withheldText } from './compose-actions.js';
import { afterLookup, ASK, listOf } from './compose-common.js';
import { balanceText, creditsText, invoicesText, offersPayOverdue, outstandingText, paymentsText, showText } from './compose-reads.js';
import type { CallOutcome } from './outcomes.js';
import { CHAT, EMAIL_UNAVAILABLE, GREETING, HELP, INJECTION, MEMO_INJECTION, OTHER_ACCOUNT, OUT_OF_SCOPE, POLICY, UNKNOWN } from './policy.js';
import type { Intent } from './resolve.js';

/**
 * Composition: the final reply, from the intent and this turn's tool results. It states the key
 * figures and invoice numbers (so later follow-ups can refer to them) and never writes URLs:
 * links are on the cards the server renders from the same results. A list answer is a one- or
 * two-sentence summary (how many, the total, the numbers when five or fewer): the cards carry the
 * rows, so the text does not repeat them. The answers that read the
 * account are in compose-reads.ts, those that act or ask in compose-actions.ts.
 */

/** "The largest one", "the oldest overdue one": after the lookup, that invoice's link or details. */
function pickText(action: 'pay' | 'show', picked: CallOutcome[]): string {
  if (picked.length === 0) return 'You have no outstanding invoices, so there is nothing to pick from. Ask me for your invoice history to see past ones.';
  return action === 'pay' ? payText(picked, false, null) : showText(picked);
}

/** The reply text for one intent, given the outcomes of its tool calls by round. */
export function composeIntent(intent: Intent, rounds: CallOutcome[][], canEmail: boolean): string {
  const first = rounds[0]?.[0];
  const next = rounds[1] ?? [];
  switch (intent.kind) {
    case 'balance':
      return afterLookup(first, (o) => balanceText(o, intent.focus));
    case 'show':
      return showText(rounds.flat());
    case 'outstanding':
      return afterLookup(first, (o) => outstandingText(o, intent.limit));
    case 'invoices':
      return afterLookup(first, (o) => invoicesText(o, intent.status, intent.period, intent.limit, intent.dateField));
    case 'payments':
      return afterLookup(first, (o) => paymentsText(o, intent.period, intent.limit, intent.refs ?? []));
    case 'credits':
      return afterLookup(first, creditsText);
    case 'pay':
      return payText(rounds.flat(), intent.cardNote, null);
    case 'payAll':
      return afterLookup(first, (o) => payAllText(o, next, intent.scope));
    case 'payPick':
      return afterLookup(first, (o) => payPickText(o, next, intent.cardNote));
    case 'pick':
      return afterLookup(first, () => pickText(intent.action, next));
    case 'email':
      return emailText(first, intent.number, intent.to);
    case 'emailSeveral':
      return emailSeveralText(intent, rounds[0] ?? []);
    case 'emailUnavailable':
      return EMAIL_UNAVAILABLE(intent.numbers, intent.to);
    case 'emailBulk':
      return canEmail ? `${OUT_OF_SCOPE.bulkEmail} ${ASK.email}${intent.to ? ` to ${intent.to}` : ''}? Tell me its number.` : EMAIL_UNAVAILABLE([], intent.to);
    case 'ask':
      return askText(intent);
    case 'askAddress':
      return `${ASK.address} ${intent.number} to? It can go to your account's billing contacts or to an address at your verified domain.`;
    case 'policy':
      return POLICY[intent.topic];
    case 'badRef':
      return `"${intent.refs[0]}" doesn't look like an invoice number: invoice numbers are IN followed by 7 digits. Could you check it?`;
    case 'otherAccount':
      return OTHER_ACCOUNT;
    case 'injection':
      return intent.memo ? MEMO_INJECTION : `${INJECTION} ${capabilitiesShort(canEmail)}`;
    case 'chat':
      return intent.what === 'greeting' ? GREETING(canEmail) : CHAT[intent.what];
    case 'help':
      return HELP(canEmail);
    case 'outOfScope':
      return `${OUT_OF_SCOPE[intent.topic]} ${capabilitiesShort(canEmail)}`;
    case 'unknown':
      return UNKNOWN(canEmail);
    case 'withheld':
      return withheldText(intent);
    case 'handoff':
      return handoffText(intent, first);
  }
}

/** The question an answer leaves open, stored as data for the next turn. */
export function pendingOf(intent: Intent, rounds: CallOutcome[][]): EngineNote['pending'] {
  const first = rounds[0]?.[0];
  switch (intent.kind) {
    case 'ask':
      return { kind: 'which_invoice', action: intent.action, invoiceNumber: null, to: intent.to, options: intent.options };
    case 'askAddress':
      return { kind: 'address', action: 'email', invoiceNumber: intent.number, to: null, options: [] };
    case 'emailBulk':
      return { kind: 'which_invoice', action: 'email', invoiceNumber: null, to: intent.to, options: [] };
    case 'emailSeveral':
      return intent.number ? null : { kind: 'which_invoice', action: 'email', invoiceNumber: null, to: null, options: intent.options };
    case 'payPick': {
      const list = first ? listOf(first) : null;
      const open = (list?.items ?? []).filter((i) => i.amountDueCents > 0);
      return open.length > 1 ? { kind: 'which_invoice', action: 'pay', invoiceNumber: null, to: null, options: open.map((i) => i.invoiceNumber) } : null;
    }
    case 'balance':
      return offersPayOverdue(first) ? { kind: 'offer_pay_overdue', action: 'pay', invoiceNumber: null, to: null, options: [] } : null;
    default:
      return null;
  }
}

function capabilitiesShort(canEmail: boolean): string {
  return `I can check your balance, show or list your invoices, payments and credits, create secure payment links${canEmail ? ', email invoice copies' : ''}, and explain the opening fee and how payment works.`;
}
