import { randomUUID } from 'node:crypto';
import { invoiceNumbersIn, typedInvoiceNumbersIn } from '../../billing/invoice-number.js';
import { t } from '../../i18n/index.js';
import { localeOf, type Language } from '../../i18n/locales.js';
import type { Session } from '../../identity/session.js';
import { redactCardData } from '../../redaction/card-data.js';
import { redactSplitCard } from '../../redaction/split.js';
import type { ToolCallRecord } from '../loop.js';
import type { Card } from '../types.js';
import { toolContext } from './tool-context.js';
import type { ChatDeps, PastMessage, Rewrite } from './types.js';

/** The card-data policy answer, in the language of the user's message. */
export const cardPolicyText = (language: Language) => t(localeOf(language), 'chat.cardPolicy.text');
/** The English policy answer (tests compare replies with it). */
export const CARD_POLICY_TEXT = cardPolicyText('en');

/** How many earlier user messages a card number typed in parts may span. */
const SPLIT_WINDOW = 3;

/** The user's message with its card data removed, and the earlier messages to store again redacted. */
export interface GuardedMessage {
  text: string;
  /** A card number was found (here, or split across this and the messages before). */
  found: boolean;
  rewrites: Rewrite[];
  /** The history with the rewritten messages' new text. */
  past: PastMessage[];
}

/**
 * Card data never goes further than this: the message is redacted; a message that completes a card
 * number begun in the user's previous messages (each mostly digits) redacts those too.
 */
export function guardCardData(rawText: string, past: PastMessage[]): GuardedMessage {
  const guard = redactCardData(rawText);
  if (guard.found) return { ...guard, rewrites: [], past };
  const earlier = past.filter((m) => m.role === 'user').slice(-SPLIT_WINDOW);
  const split = redactSplitCard([...earlier.map((m) => m.text), rawText]);
  if (!split) return { ...guard, rewrites: [], past };
  const rewrites = earlier.slice(split.from).map((m, i) => ({ id: m.id, text: split.texts[i]! }));
  const byId = new Map(rewrites.map((r) => [r.id, r.text]));
  return { text: split.texts.at(-1)!, found: true, rewrites, past: past.map((m) => (byId.has(m.id) ? { ...m, text: byId.get(m.id)! } : m)) };
}

/** The invoice the conversation is about: named in this message, else on the last single-invoice answer. */
export function invoiceInContext(text: string, past: Array<{ role: string; text: string; cards: Card[] }>): string | null {
  const inText = typedInvoiceNumbersIn(text);
  if (inText.length === 1) return inText[0]!;
  for (let i = past.length - 1; i >= 0; i--) {
    const m = past[i]!;
    const invoiceCards = m.cards.filter((c) => c.type === 'invoice');
    if (invoiceCards.length === 1 && invoiceCards[0]!.type === 'invoice') return invoiceCards[0]!.invoiceNumber;
    const named = invoiceNumbersIn(m.text);
    if (m.role === 'user' && new Set(named).size === 1) return named[0]!;
    if (m.role === 'assistant') return null;
  }
  return null;
}

/**
 * The answer to a message that held card data (already redacted): the policy text, and the pay
 * button for the invoice in context when there is one (the server mints that link, audited).
 */
export async function cardPolicyAnswer(
  deps: ChatDeps,
  session: Session,
  conversationId: string,
  userText: string,
  past: PastMessage[],
  language: Language,
): Promise<{ text: string; cards: Card[]; audit: ToolCallRecord[] }> {
  const replyLocale = localeOf(language);
  const ctx = toolContext(deps, session, conversationId);
  const cards: Card[] = [];
  let text = cardPolicyText(language);
  const audit: ToolCallRecord[] = [];
  const invoice = invoiceInContext(userText, past);
  const tool = deps.registry.get('createPaymentLink');
  if (invoice && tool) {
    const args = { invoiceNumber: invoice };
    const started = performance.now();
    const record = (outcome: ToolCallRecord['outcome'], error: string | null) =>
      audit.push({ id: `policy_${randomUUID()}`, name: tool.name, arguments: args, outcome, error, latencyMs: Math.round((performance.now() - started) * 100) / 100 });
    try {
      const out = await tool.execute(ctx, args);
      record('ok', null);
      const card = out.cards?.find((c) => c.type === 'invoice');
      if (card && card.type === 'invoice' && card.payUrl) {
        cards.push(card);
        text += ` ${t(replyLocale, 'chat.cardPolicy.payThis', { number: invoice })}`;
      }
    } catch (err) {
      // No payable invoice in context: the policy text alone answers.
      record('error', err instanceof Error ? err.message : String(err));
    }
  }
  if (cards.length === 0) text += ` ${t(replyLocale, 'chat.cardPolicy.askLink')}`;
  return { text, cards, audit };
}
