import { DEFAULT_LOCALE, localeOf } from '../../i18n/locales.js';
import { parseContext, type DialogueContext, type EngineNote } from '../context.js';
import { conversationLanguage, readMessage } from '../language/message.js';
import type { ChatMessage, ChatModel, ModelRequest, ModelResponse, ToolCall, ToolSpec } from '../types.js';
import { composeIntent, pendingOf, type ComposeOptions } from './compose.js';
import { sayIn } from './compose-common.js';
import type { CallOutcome } from './outcomes.js';
import { MAX_ENGINE_ROUNDS, step, type PlannedCall } from './plan.js';
import { resolveMessage, type Intent } from './resolve.js';
import { extract } from './text.js';

/**
 * The offline engine: a deterministic parser of the requests the product supports, answering
 * through the same tool calls as an LLM (zero cost, zero latency, no API key).
 *
 * On a user message it plans tool calls; when the last messages are tool results it either plans
 * the next round (paying all overdue invoices takes two) or composes the reply from the results.
 * It acts only on the user's words: tool results are read for figures, never for instructions.
 * Each message is read in its language (language/message.ts: French is mapped onto the engine's
 * vocabulary) and answered in that language.
 */

export const EMAIL_TOOL = 'emailInvoicePdf';

const CALL_ID = /^oc_(\d+)_(\d+)_(\d+)$/;

function callId(intent: number, round: number, k: number): string {
  return `oc_${intent}_${round}_${k}`;
}

/** Tool arguments as the tool's strict schema wants them: every property present, unknown optional ones null. */
function completeArgs(spec: ToolSpec, given: Record<string, unknown>): Record<string, unknown> {
  const props = spec.parameters['properties'];
  const out: Record<string, unknown> = {};
  if (props && typeof props === 'object') {
    for (const key of Object.keys(props)) out[key] = key in given ? given[key] : null;
  }
  for (const [k, v] of Object.entries(given)) if (!(k in out)) out[k] = v;
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

interface TurnState {
  /** The user's current message. */
  text: string;
  /** The user's earlier messages, oldest first (the conversation's language). */
  earlier: string[];
  /** The dialogue state stored with the last answer (null at the start of a conversation). */
  dialogue: DialogueContext | null;
  /** Tool rounds already run in this turn. */
  rounds: number;
  /** Outcomes by intent index, then by round. */
  outcomes: Map<number, CallOutcome[][]>;
}

function readTurn(messages: ChatMessage[]): TurnState | null {
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === 'user') {
      lastUser = i;
      break;
    }
  }
  if (lastUser < 0) return null;
  let dialogue: DialogueContext | null = null;
  for (let i = lastUser - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === 'assistant' && !(m.toolCalls && m.toolCalls.length > 0)) {
      dialogue = parseContext(m.context ?? null);
      break;
    }
  }
  const user = messages[lastUser]!;
  const text = user.role === 'user' ? user.content : '';
  const calls = new Map<string, { intent: number; round: number; name: string; args: Record<string, unknown> }>();
  let rounds = 0;
  const outcomes = new Map<number, CallOutcome[][]>();
  for (const m of messages.slice(lastUser + 1)) {
    if (m.role === 'assistant' && m.toolCalls && m.toolCalls.length > 0) {
      rounds++;
      for (const c of m.toolCalls) {
        const id = CALL_ID.exec(c.id);
        if (!id) continue;
        const args = parseJson(c.arguments);
        calls.set(c.id, { intent: Number(id[1]), round: Number(id[2]), name: c.name, args: args && typeof args === 'object' ? (args as Record<string, unknown>) : {} });
      }
    } else if (m.role === 'tool') {
      const call = calls.get(m.toolCallId);
      if (!call) continue;
      const byRound = outcomes.get(call.intent) ?? [];
      while (byRound.length <= call.round) byRound.push([]);
      byRound[call.round]!.push({ name: call.name, args: call.args, content: parseJson(m.content) });
      outcomes.set(call.intent, byRound);
    }
  }
  const earlier = messages.slice(0, lastUser).flatMap((m) => (m.role === 'user' ? [m.content] : []));
  return { text, earlier, dialogue, rounds, outcomes };
}

/** Streams text in small word groups, as a model would. */
function stream(text: string, onTextDelta?: (t: string) => void): void {
  if (!onTextDelta) return;
  const pieces = text.split(/(?<=\s)/);
  for (let i = 0; i < pieces.length; i += 4) onTextDelta(pieces.slice(i, i + 4).join(''));
}

export interface OfflineTurn {
  intents: Intent[];
  calls: ToolCall[];
  text: string;
  note: EngineNote | null;
}

const UNANSWERED: ReadonlySet<Intent['kind']> = new Set(['unknown', 'outOfScope']);

/** The same request left unanswered three times in a row: offer a person instead. */
function goingInCircles(intents: Intent[], prev: EngineNote | null): { intents: Intent[]; unanswered: EngineNote['unanswered'] } {
  if (intents.length === 0 || !intents.every((i) => UNANSWERED.has(i.kind))) return { intents, unanswered: null };
  const key = intents.map((i) => (i.kind === 'outOfScope' ? `outOfScope:${i.topic}` : i.kind)).join('+');
  const count = prev?.unanswered?.key === key ? prev.unanswered.count + 1 : 1;
  if (count >= 3) return { intents: [{ kind: 'handoff', topic: 'other', number: null, reason: 'circles' }], unanswered: null };
  return { intents, unanswered: { key, count } };
}

/** One engine step, exposed for tests: the intents it understood, and either tool calls or the reply. */
export function offlineStep(req: Pick<ModelRequest, 'messages' | 'tools'>, today: string): OfflineTurn {
  const state = readTurn(req.messages);
  const tools = new Map(req.tools.map((t) => [t.name, t]));
  const canEmail = tools.has(EMAIL_TOOL);
  const compose: ComposeOptions = { canEmail };
  if (!state) return { intents: [{ kind: 'help' }], calls: [], text: composeIntent(sayIn(DEFAULT_LOCALE), { kind: 'help' }, [], compose), note: null };
  const message = readMessage(state.text, conversationLanguage(state.earlier));
  const say = sayIn(localeOf(message.language));
  const circles = goingInCircles(resolveMessage(message.engineText, today, canEmail, state.dialogue), state.dialogue?.note ?? null);
  const intents = circles.intents;

  if (state.rounds < MAX_ENGINE_ROUNDS) {
    const calls: ToolCall[] = [];
    intents.forEach((intent, i) => {
      const done = state.outcomes.get(i) ?? [];
      const planned: PlannedCall[] = step(intent, state.rounds, done);
      planned.forEach((p, k) => {
        const spec = tools.get(p.name);
        // A tool the registry does not offer is never faked: the reply says what is missing.
        if (!spec) return;
        calls.push({ id: callId(i, state.rounds, k), name: p.name, arguments: JSON.stringify(completeArgs(spec, p.args)) });
      });
    });
    if (calls.length > 0) return { intents, calls, text: '', note: null };
  }

  const text = intents
    .map((intent, i) => composeIntent(say, intent, state.outcomes.get(i) ?? [], compose))
    .filter((t) => t.trim().length > 0)
    .join('\n\n');
  const last = intents[intents.length - 1] ?? null;
  const pending = last ? pendingOf(last, state.outcomes.get(intents.length - 1) ?? []) : null;
  // Several addresses in one message leave none to reuse ("send it there too" is asked again).
  const typed = extract(message.engineText).emails;
  const address = typed.length > 1 ? null : (typed[0] ?? state.dialogue?.note?.address ?? null);
  return { intents, calls: [], text, note: { request: last, pending, address, unanswered: circles.unanswered } };
}

export function createOfflineModel(opts: { today: () => string }): ChatModel {
  return {
    id: 'offline',
    async respond(req: ModelRequest, onTextDelta?: (t: string) => void): Promise<ModelResponse> {
      const turn = offlineStep(req, opts.today());
      if (turn.calls.length > 0) return { content: '', toolCalls: turn.calls, usage: { promptTokens: 0, completionTokens: 0 } };
      stream(turn.text, onTextDelta);
      return { content: turn.text, toolCalls: [], usage: { promptTokens: 0, completionTokens: 0 }, ...(turn.note ? { note: turn.note } : {}) };
    },
  };
}
