import { randomUUID } from 'node:crypto';
import type { Session } from '../../identity/session.js';
import { oneCardPerInvoice } from '../card-set.js';
import { deriveContext } from '../context.js';
import { t } from '../../i18n/index.js';
import { localeOf } from '../../i18n/locales.js';
import { analyze } from '../language/analyze.js';
import { conversationLanguage, readMessage } from '../language/message.js';
import { runTurn, type TurnResult } from '../loop.js';
import { buildUserRequest } from '../request.js';
import type { ChatMessage, TurnEvent } from '../types.js';
import { cardPolicyAnswer, guardCardData } from './card-policy.js';
import { lastContext, ownedHistory } from './conversations.js';
import { pendingProposals, settleProposals, supersedePending } from './proposals.js';
import { deliverAnswer } from './reply.js';
import { executedCalls, failedTurnText, storeAfterFailure, turnLedger, type RanCall } from './side-effects.js';
import { storeTurn } from './store.js';
import { toolContext } from './tool-context.js';
import type { AssistantReply, ChatDeps, PastMessage, Settled } from './types.js';

type OnEvent = ((e: TurnEvent) => void) | undefined;

/** One user message, the ids of its turn's two messages, and the history before it. */
interface Turn {
  session: Session;
  conversationId: string;
  userText: string;
  userMessageId: string;
  assistantId: string;
  past: PastMessage[];
}


/**
 * A model turn that failed (`err`) after its tools had side effects: the user's message, the calls
 * that ran (audit and cards) and an answer saying what was done are stored, and that answer is the
 * reply. Without a side effect, `err` is thrown as before (nothing happened that must be recorded).
 */
async function failedModelTurn(deps: ChatDeps, turn: Turn, ran: readonly RanCall[], err: unknown, onEvent: OnEvent): Promise<AssistantReply> {
  const { session, conversationId, assistantId } = turn;
  const text = failedTurnText(ran);
  const cards = oneCardPerInvoice(ran.flatMap((r) => r.cards), session.locale ?? undefined);
  const context = deriveContext(lastContext(turn.past), executedCalls(ran), [], null);
  await storeAfterFailure(
    deps,
    {
      conversationId,
      session,
      messages: [
        { id: turn.userMessageId, role: 'user', text: turn.userText, cards: [] },
        { id: assistantId, role: 'assistant', text, cards, promptVersion: deps.prompt.version, model: deps.model.id, status: 'error', context },
      ],
      audit: ran.map((r) => r.record),
      messageId: assistantId,
    },
    err,
  );
  onEvent?.({ type: 'error', code: 'internal', message: text });
  onEvent?.({ type: 'completed', messageId: assistantId, text, cards });
  return { id: assistantId, text, cards, promptVersion: deps.prompt.version, model: deps.model.id, toolCalls: ran.map((r) => r.record) };
}

/** The model's turn: the loop with the tools, then the transcript, proposals and audit stored together. */
async function modelTurn(deps: ChatDeps, turn: Turn, analysis: ReturnType<typeof analyze>, onEvent: OnEvent): Promise<AssistantReply> {
  const { session, conversationId, userText, assistantId, past } = turn;
  const previous = lastContext(past);
  const request = buildUserRequest(userText, previous, analysis);
  const modelHistory: ChatMessage[] = past.map((m) => (m.role === 'user' ? { role: 'user', content: m.text } : { role: 'assistant', content: m.text, context: m.context }));
  // What the tools did is recorded as they finish: a failure after a side effect (the model's next
  // round, storing the turn) still stores what was done (failedModelTurn).
  const ledger = turnLedger(deps.registry);
  let result: TurnResult;
  try {
    result = await runTurn({
      model: deps.model,
      registry: ledger.registry,
      ctx: toolContext(deps, session, conversationId, userText, request),
      proposalTtlMs: deps.proposalTtlMs,
      now: deps.now,
      links: deps.links,
      systemPrompt: deps.prompt.text,
      history: modelHistory,
      userText,
      maxRounds: deps.maxRounds,
      toolTimeoutMs: deps.toolTimeoutMs,
      onEvent: (e) => {
        ledger.observe(e);
        onEvent?.(e);
      },
    });
  } catch (err) {
    return failedModelTurn(deps, turn, ledger.ran, err, onEvent);
  }
  try {
    await storeTurn(deps.db, {
      conversationId,
      session,
      messages: [
        { id: turn.userMessageId, role: 'user', text: userText, cards: [] },
        {
          id: assistantId,
          role: 'assistant',
          text: result.text,
          cards: result.cards,
          promptVersion: deps.prompt.version,
          model: deps.model.id,
          status: result.stopReason === 'model_error' ? 'error' : 'complete',
          context: deriveContext(previous, result.executedCalls, result.proposals.map((p) => p.id), result.note),
        },
      ],
      audit: result.toolCalls,
      messageId: assistantId,
      proposals: result.proposals,
    });
  } catch (err) {
    return failedModelTurn(deps, turn, ledger.ran, err, onEvent);
  }
  deps.logger?.info(
    {
      conversationId,
      model: deps.model.id,
      rounds: result.rounds,
      stop: result.stopReason,
      tools: result.toolCalls.map((t) => `${t.name}:${t.outcome}`),
      usage: result.usage,
    },
    'chat turn',
  );
  if (result.stopReason === 'model_error') onEvent?.({ type: 'error', code: 'model_unavailable', message: result.text });
  onEvent?.({ type: 'completed', messageId: assistantId, text: result.text, cards: result.cards });
  return { id: assistantId, text: result.text, cards: result.cards, promptVersion: deps.prompt.version, model: deps.model.id, toolCalls: result.toolCalls };
}

/**
 * Runs one turn. The turn always completes and is stored, even if the client goes away
 * (events are simply not delivered then).
 */
export async function sendMessage(deps: ChatDeps, session: Session, conversationId: string, rawText: string, onEvent?: (e: TurnEvent) => void): Promise<AssistantReply> {
  const userMessageId = randomUUID();
  const assistantId = randomUUID();
  // Card data never goes further than this line (a number split over messages included).
  const guard = guardCardData(rawText, await ownedHistory(deps.db, session, conversationId));
  const { text: userText, past } = guard;
  if (deps.logPrompts) deps.logger?.debug({ conversationId, userText }, 'chat message');

  // Answers written here follow the language of the user's message (cards follow the user's locale).
  // What the server answers itself follows the message's language; a message with no words of
  // either language ("ok", "IN7654321") keeps the conversation's. Model turns detect it themselves.
  const replyLanguage = () => readMessage(userText, conversationLanguage(past.filter((m) => m.role === 'user').map((m) => m.text))).language;
  if (guard.found) {
    const out = await cardPolicyAnswer(deps, session, conversationId, userText, past, replyLanguage());
    const userMessage = { id: userMessageId, role: 'user' as const, text: userText, cards: [], redacted: true };
    return deliverAnswer(deps, session, conversationId, { userMessage, assistantId, model: 'policy', rewrites: guard.rewrites, ...out }, onEvent);
  }

  // A pending proposal is answered by this message: yes approves it, no declines it, anything else drops it.
  const analysis = analyze(userText);
  // Proposals are only made by an answer and dropped by the next message, so only the last answer's can be pending.
  const proposed = (lastContext(past)?.proposals.length ?? 0) > 0;
  const pending = proposed ? await pendingProposals(deps.db, conversationId) : [];
  if (proposed && (analysis.affirmation || analysis.refusal)) {
    const replyLocale = localeOf(replyLanguage());
    // A yes/no to the last answer's confirm card: decided here; if it was already decided or expired, say so.
    const out: Settled =
      pending.length > 0
        ? await settleProposals(deps, session, conversationId, pending, analysis.affirmation ? 'approve' : 'decline', past, replyLocale)
        : { text: t(replyLocale, 'chat.approval.noLongerPending'), cards: [], audit: [], context: { ...lastContext(past)!, proposals: [] } };
    const userMessage = { id: userMessageId, role: 'user' as const, text: userText, cards: [] };
    return deliverAnswer(deps, session, conversationId, { userMessage, assistantId, model: 'approval', ...out }, onEvent);
  } else if (pending.length > 0) {
    await supersedePending(deps.db, conversationId, deps.now());
  }
  return modelTurn(deps, { session, conversationId, userText, userMessageId, assistantId, past }, analysis, onEvent);
}
