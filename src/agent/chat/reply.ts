import type { Session } from '../../identity/session.js';
import { oneCardPerInvoice } from '../card-set.js';
import type { DialogueContext } from '../context.js';
import type { ToolCallRecord } from '../loop.js';
import type { Card, TurnEvent } from '../types.js';
import { storeTurnRecordingEffects } from './side-effects.js';
import type { AssistantReply, ChatDeps, NewMessage, Rewrite } from './types.js';

/** An answer the server composed without the model (the card policy, an approval). */
export interface ComposedAnswer {
  /** The user's message it answers; none when it answers a button. */
  userMessage?: NewMessage;
  assistantId: string;
  text: string;
  cards: Card[];
  model: 'policy' | 'approval';
  context?: DialogueContext;
  audit: ToolCallRecord[];
  /** Earlier user messages stored again, redacted, with this answer. */
  rewrites?: Rewrite[];
}

/** Sends the answer's cards, stores the turn with its audit (what an approval did, even if its message cannot be stored as typed), then reports it completed. */
export async function deliverAnswer(deps: ChatDeps, session: Session, conversationId: string, answer: ComposedAnswer, onEvent?: (e: TurnEvent) => void): Promise<AssistantReply> {
  const { assistantId, text, model } = answer;
  const cards = oneCardPerInvoice(answer.cards, session.locale ?? undefined);
  for (const c of cards) onEvent?.({ type: 'card', card: c });
  const assistant: NewMessage = { id: assistantId, role: 'assistant', text, cards, promptVersion: deps.prompt.version, model, ...(answer.context ? { context: answer.context } : {}) };
  await storeTurnRecordingEffects(deps, {
    conversationId,
    session,
    messages: answer.userMessage ? [answer.userMessage, assistant] : [assistant],
    audit: answer.audit,
    messageId: assistantId,
    ...(answer.rewrites ? { rewrites: answer.rewrites } : {}),
  });
  onEvent?.({ type: 'completed', messageId: assistantId, text, cards });
  return { id: assistantId, text, cards, promptVersion: deps.prompt.version, model, toolCalls: answer.audit };
}
