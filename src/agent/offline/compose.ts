import type { EngineNote } from '../context.js';
import { askText, emailSeveralText, emailText, handoffText, payAllText, payPickText, payText, withheldText } from './compose-actions.js';
import { afterLookup, listOf, type Say } from './compose-common.js';
import { balanceText, creditsText, invoicesText, offersPayOverdue, outstandingText, paymentsText, showText } from './compose-reads.js';
import type { CallOutcome } from './outcomes.js';
import {
  capabilitiesShort,
  CHAT_KEY,
  emailUnavailable,
  greetingText,
  helpText,
  INJECTION,
  MEMO_INJECTION,
  OTHER_ACCOUNT,
  OUT_OF_SCOPE_KEY,
  policyText,
  unknownText,
} from './policy.js';
import type { Intent } from './resolve.js';

/**
 * Composition: the final reply, from the intent and this turn's tool results, in the language of
 * the user's message (`say`). It states the key figures and invoice numbers (so later follow-ups
 * can refer to them) and never writes URLs: links are on the cards the server renders from the
 * same results. A list answer is a one- or two-sentence summary (how many, the total, the numbers
 * when five or fewer): the cards carry the rows, so the text does not repeat them. The answers
 * that read the account are in compose-reads.ts, those that act or ask in compose-actions.ts.
 */

export interface ComposeOptions {
  canEmail: boolean;
}

/** "The largest one", "the oldest overdue one": after the lookup, that invoice's link or details. */
function pickText(say: Say, action: 'pay' | 'show', picked: CallOutcome[]): string {
  if (picked.length === 0) return say.t('engine.pick.none');
  return action === 'pay' ? payText(say, picked, false, null) : showText(say, picked);
}

/** The reply text for one intent, given the outcomes of its tool calls by round. */
export function composeIntent(say: Say, intent: Intent, rounds: CallOutcome[][], opts: ComposeOptions): string {
  const { canEmail } = opts;
  const first = rounds[0]?.[0];
  const next = rounds[1] ?? [];
  switch (intent.kind) {
    case 'balance':
      return afterLookup(say, first, (o) => balanceText(say, o, intent.focus));
    case 'show':
      return showText(say, rounds.flat());
    case 'outstanding':
      return afterLookup(say, first, (o) => outstandingText(say, o, intent.limit));
    case 'invoices':
      return afterLookup(say, first, (o) => invoicesText(say, o, intent.status, intent.period, intent.limit, intent.dateField));
    case 'payments':
      return afterLookup(say, first, (o) => paymentsText(say, o, intent.period, intent.limit, intent.refs ?? []));
    case 'credits':
      return afterLookup(say, first, (o) => creditsText(say, o));
    case 'pay':
      return payText(say, rounds.flat(), intent.cardNote, null);
    case 'payAll':
      return afterLookup(say, first, (o) => payAllText(say, o, next, intent.scope, intent.except ?? []));
    case 'payPick':
      return afterLookup(say, first, (o) => payPickText(say, o, next, intent.cardNote));
    case 'pick':
      return afterLookup(say, first, () => pickText(say, intent.action, next));
    case 'email':
      return emailText(say, first, intent.number, intent.to);
    case 'emailSeveral':
      return emailSeveralText(say, intent, rounds[0] ?? []);
    case 'emailUnavailable':
      return emailUnavailable(say, intent.numbers, intent.to);
    case 'emailBulk':
      if (!canEmail) return emailUnavailable(say, [], intent.to);
      return `${say.t(OUT_OF_SCOPE_KEY.bulkEmail)} ${intent.to ? say.t('engine.emailBulk.askTo', { to: intent.to }) : say.t('engine.emailBulk.ask')}`;
    case 'ask':
      return askText(say, intent);
    case 'askAddress':
      return say.t('engine.ask.address', { number: intent.number });
    case 'policy':
      return policyText(say, intent.topic);
    case 'badRef':
      return say.t('engine.badRef', { ref: intent.refs[0] ?? '' });
    case 'otherAccount':
      return say.t(OTHER_ACCOUNT);
    case 'injection':
      return intent.memo ? say.t(MEMO_INJECTION) : `${say.t(INJECTION)} ${capabilitiesShort(say, canEmail)}`;
    case 'chat':
      return intent.what === 'greeting' ? greetingText(say, canEmail) : say.t(CHAT_KEY[intent.what]);
    case 'help':
      return helpText(say, canEmail);
    case 'outOfScope':
      return `${say.t(OUT_OF_SCOPE_KEY[intent.topic])} ${capabilitiesShort(say, canEmail)}`;
    case 'unknown':
      return unknownText(say, canEmail);
    case 'withheld':
      return withheldText(say, intent);
    case 'handoff':
      return handoffText(say, intent, first);
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
