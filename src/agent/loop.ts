import type { ToolRegistry } from '../../tools/registry.js';
import { ToolFailure, type ToolContext } from '../../tools/types.js';
import { AppError } from '../errors.js';
import type { LinkSigner } from '../payments/links.js';
import { ModelError, type Card, type ChatMessage, type ChatModel, type ToolCall, type TurnEvent } from './types.js';

/** One tool call as the audit table records it. */
export interface ToolCallRecord {
  id: string;
  name: string;
  arguments: unknown;
  outcome: 'ok' | 'error' | 'invalid_arguments' | 'unknown_tool' | 'timeout' | 'repeated';
  error: string | null;
  latencyMs: number;
}

export interface TurnResult {
  text: string;
  cards: Card[];
  toolCalls: ToolCallRecord[];
  rounds: number;
  stopReason: 'answered' | 'round_limit' | 'repeated_calls' | 'model_error';
  usage: { promptTokens: number; completionTokens: number };
}

export interface TurnOptions {
  model: ChatModel;
  registry: ToolRegistry;
  ctx: ToolContext;
  links: LinkSigner;
  systemPrompt: string;
  history: ChatMessage[];
  userText: string;
  maxRounds: number;
  toolTimeoutMs: number;
  onEvent?: (e: TurnEvent) => void;
  signal?: AbortSignal;
}

export const ROUND_LIMIT_TEXT =
  "I couldn't finish that request in the steps I'm allowed. Please try asking for one thing at a time.";
export const MODEL_ERROR_TEXT =
  "Sorry, the assistant is temporarily unavailable, so I couldn't answer that. Please try again in a moment; your balance and invoices are always on the Billing pages.";

const URL_RE = /\bhttps?:\/\/[^\s<>"')\]]+/gi;

/** Removes URLs the server did not mint from model text (links only ever come from cards). */
export function scrubUnmintedUrls(text: string, links: LinkSigner): string {
  return text.replace(URL_RE, (url) => {
    const trimmed = url.replace(/[.,;:!?]+$/, '');
    const tail = url.slice(trimmed.length);
    return links.isMinted(trimmed) ? url : `[link removed]${tail}`;
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new ToolTimeout(ms)), ms);
    }),
  ]);
}
class ToolTimeout extends Error {
  constructor(ms: number) {
    super(`tool timed out after ${ms} ms`);
  }
}

interface ExecOutcome {
  record: ToolCallRecord;
  content: string;
  cards: Card[];
}

async function executeCall(opts: TurnOptions, call: ToolCall, seen: Set<string>): Promise<ExecOutcome> {
  const started = performance.now();
  let announced = false;
  const start = (label: string) => {
    announced = true;
    opts.onEvent?.({ type: 'tool_started', id: call.id, name: call.name, label });
  };
  const done = (outcome: ToolCallRecord['outcome'], args: unknown, content: object, error: string | null, cards: Card[] = []): ExecOutcome => {
    // Every finished event has a started event before it, whatever the outcome.
    if (!announced) start(call.name);
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    opts.onEvent?.({ type: 'tool_finished', id: call.id, name: call.name, ok: outcome === 'ok', latencyMs });
    return { record: { id: call.id, name: call.name, arguments: args, outcome, error, latencyMs }, content: JSON.stringify(content), cards };
  };
  const tool = opts.registry.get(call.name);
  let raw: unknown;
  let jsonOk = true;
  try {
    raw = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch {
    raw = call.arguments;
    jsonOk = false;
  }
  if (!tool) {
    return done('unknown_tool', raw, { error: { code: 'unknown_tool', message: `There is no tool named ${call.name}.` } }, `unknown tool ${call.name}`);
  }
  if (!jsonOk) {
    const message = 'arguments are not valid JSON';
    return done('invalid_arguments', raw, { error: { code: 'invalid_arguments', message } }, message);
  }
  const parsed = tool.parameters.safeParse(raw);
  if (!parsed.success) {
    const issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> = parsed.error.issues;
    const message = issues.map((i) => `${i.path.map(String).join('.') || 'arguments'}: ${i.message}`).join('; ');
    return done('invalid_arguments', raw, { error: { code: 'invalid_arguments', message } }, message);
  }
  const key = `${call.name}:${JSON.stringify(parsed.data)}`;
  if (seen.has(key)) {
    return done('repeated', parsed.data, { error: { code: 'repeated_call', message: 'Same call already made in this turn; use its result.' } }, 'repeated');
  }
  seen.add(key);
  let label: string;
  try {
    label = tool.label(parsed.data);
  } catch {
    label = tool.name;
  }
  start(label);
  try {
    const out = await withTimeout(tool.execute(opts.ctx, parsed.data), opts.toolTimeoutMs);
    return done('ok', parsed.data, out.result, null, out.cards ?? []);
  } catch (err) {
    if (err instanceof ToolTimeout) {
      return done('timeout', parsed.data, { error: { code: 'timeout', message: 'The lookup took too long. Suggest trying again.' } }, err.message);
    }
    if (err instanceof ToolFailure || err instanceof AppError) {
      return done('error', parsed.data, { error: { code: err.code, message: err.message } }, err.message);
    }
    // An unexpected failure: the model gets a generic message, the audit keeps the detail.
    return done('error', parsed.data, { error: { code: 'internal', message: 'That lookup failed on our side. Suggest trying again later.' } }, String(err instanceof Error ? err.message : err));
  }
}

/**
 * One assistant turn: model → tool calls (validated, deduplicated, run in parallel with a timeout)
 * → model, bounded by `maxRounds`. Tool failures go back to the model as results. Cards come from
 * tool results only; URLs the model typed that the server did not mint are removed.
 */
export async function runTurn(opts: TurnOptions): Promise<TurnResult> {
  const messages: ChatMessage[] = [{ role: 'system', content: opts.systemPrompt }, ...opts.history, { role: 'user', content: opts.userText }];
  const records: ToolCallRecord[] = [];
  const cards: Card[] = [];
  const seen = new Set<string>();
  const usage = { promptTokens: 0, completionTokens: 0 };
  // Streamed text is released up to the last whitespace and scrubbed of unminted URLs on the way
  // (a URL never spans whitespace, so this equals scrubbing the whole text).
  let pending = '';
  let roundText = '';
  const emit = (text: string) => {
    if (text) opts.onEvent?.({ type: 'text_delta', text: scrubUnmintedUrls(text, opts.links) });
  };
  const push = (t: string) => {
    roundText += t;
    pending += t;
    const cut = Math.max(pending.lastIndexOf(' '), pending.lastIndexOf('\n'), pending.lastIndexOf('\t'));
    if (cut >= 0) {
      emit(pending.slice(0, cut + 1));
      pending = pending.slice(cut + 1);
    }
  };
  const flush = () => {
    emit(pending);
    pending = '';
  };

  for (let round = 1; round <= opts.maxRounds; round++) {
    let resp;
    roundText = '';
    try {
      resp = await opts.model.respond({ messages, tools: [...opts.registry.specs], ...(opts.signal ? { signal: opts.signal } : {}) }, push);
      flush();
    } catch (err) {
      flush();
      if (err instanceof ModelError || (err instanceof Error && err.name === 'AbortError')) {
        return { text: MODEL_ERROR_TEXT, cards, toolCalls: records, rounds: round, stopReason: 'model_error', usage };
      }
      throw err;
    }
    usage.promptTokens += resp.usage?.promptTokens ?? 0;
    usage.completionTokens += resp.usage?.completionTokens ?? 0;

    if (resp.toolCalls.length === 0) {
      const text = scrubUnmintedUrls(resp.content.trim(), opts.links);
      return { text, cards, toolCalls: records, rounds: round, stopReason: 'answered', usage };
    }

    messages.push({ role: 'assistant', content: resp.content || null, toolCalls: resp.toolCalls });
    const outcomes = await Promise.all(resp.toolCalls.map((c) => executeCall(opts, c, seen)));
    for (const [i, o] of outcomes.entries()) {
      records.push(o.record);
      for (const card of o.cards) {
        cards.push(card);
        opts.onEvent?.({ type: 'card', card });
      }
      messages.push({ role: 'tool', toolCallId: resp.toolCalls[i]!.id, name: resp.toolCalls[i]!.name, content: o.content });
    }
    if (outcomes.every((o) => o.record.outcome === 'repeated')) {
      // Only this round's text answers (earlier rounds' text preceded tool calls).
      const text = (resp.content || roundText).trim() ? scrubUnmintedUrls((resp.content || roundText).trim(), opts.links) : 'Here is what I found.';
      return { text, cards, toolCalls: records, rounds: round, stopReason: 'repeated_calls', usage };
    }
  }
  return { text: ROUND_LIMIT_TEXT, cards, toolCalls: records, rounds: opts.maxRounds, stopReason: 'round_limit', usage };
}
