import { randomUUID } from 'node:crypto';
import type { ToolRegistry } from '../../tools/registry.js';
import { ToolFailure, type ProposalView, type ToolContext } from '../../tools/types.js';
import { createCardStream, oneCardPerInvoice } from './card-set.js';
import { DEFAULT_LOCALE } from '../i18n/locales.js';
import type { EngineNote, ExecutedCall } from './context.js';
import { AppError } from '../errors.js';
import type { LinkSigner } from '../links/signer.js';
import { traceModelCall, traceToolCall, traceTurn } from '../telemetry/genai.js';
import { ModelError, type Card, type ChatMessage, type ChatModel, type ToolCall, type TurnEvent } from './types.js';

/** One tool call as the audit table records it. */
export interface ToolCallRecord {
  id: string;
  name: string;
  arguments: unknown;
  /** needs_approval: proposed to the user, not run; not_requested: a side effect the user's message withheld, not run. */
  outcome: 'ok' | 'error' | 'invalid_arguments' | 'unknown_tool' | 'timeout' | 'repeated' | 'needs_approval' | 'not_requested' | 'approved' | 'declined' | 'expired';
  error: string | null;
  latencyMs: number;
}

/** A side-effecting call the loop did not run because the current message did not ask for it explicitly. */
export interface Proposal {
  id: string;
  tool: string;
  arguments: Record<string, unknown>;
  view: ProposalView;
  expiresAt: Date;
}

/** Whether a tool call ran (its effects happened). */
export function executed(r: ToolCallRecord): boolean {
  return r.outcome !== 'needs_approval' && r.outcome !== 'not_requested' && r.outcome !== 'approved' && r.outcome !== 'declined' && r.outcome !== 'expired';
}

export interface TurnResult {
  text: string;
  cards: Card[];
  toolCalls: ToolCallRecord[];
  /** Calls that ran, with their results, for the dialogue state. */
  executedCalls: ExecutedCall[];
  proposals: Proposal[];
  /** The model's own note on the turn (offline engine). */
  note: EngineNote | null;
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
  /** How long a proposal stays valid, and the clock it is measured on. */
  proposalTtlMs: number;
  now: () => Date;
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
  result: unknown;
  proposal?: Proposal;
  /** A side effect the approval policy refused before proposing it: its message. */
  refusal?: string;
}

/**
 * Appends the refusals the text does not already state. When the user's message names several
 * recipients, a model may relay one refusal or none, so the server states each one itself.
 */
function withRefusals(text: string, refusals: readonly string[]): string {
  const missing = refusals.filter((r) => !text.includes(r));
  return [text, ...missing].filter((t) => t.length > 0).join('\n\n');
}

const ACTION_OF: Record<ProposalView['action'], 'email' | 'followup'> = { email_invoice: 'email', follow_up: 'followup' };

async function executeCall(opts: TurnOptions, call: ToolCall, seen: Set<string>): Promise<ExecOutcome> {
  const started = performance.now();
  let announced = false;
  const start = (label: string) => {
    announced = true;
    opts.onEvent?.({ type: 'tool_started', id: call.id, name: call.name, label });
  };
  const done = (outcome: ToolCallRecord['outcome'], args: unknown, content: object, error: string | null, cards: Card[] = [], proposal?: Proposal): ExecOutcome => {
    // Every finished event has a started event before it, whatever the outcome.
    if (!announced) start(call.name);
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    opts.onEvent?.({ type: 'tool_finished', id: call.id, name: call.name, ok: outcome === 'ok', latencyMs });
    return {
      record: { id: call.id, name: call.name, arguments: args, outcome, error, latencyMs },
      content: JSON.stringify(content),
      cards,
      result: content,
      ...(proposal ? { proposal } : {}),
    };
  };
  const failure = (err: unknown, args: unknown): ExecOutcome => {
    if (err instanceof ToolTimeout) {
      return done('timeout', args, { error: { code: 'timeout', message: 'The lookup took too long. Suggest trying again.' } }, err.message);
    }
    if (err instanceof ToolFailure || err instanceof AppError) {
      return done('error', args, { error: { code: err.code, message: err.message } }, err.message);
    }
    // An unexpected failure: the model gets a generic message, the audit keeps the detail.
    return done('error', args, { error: { code: 'internal', message: 'That lookup failed on our side. Suggest trying again later.' } }, String(err instanceof Error ? err.message : err));
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
    label = tool.label(parsed.data, opts.ctx.locale ?? DEFAULT_LOCALE);
  } catch {
    label = tool.name;
  }
  start(label);
  // Side effects run only on an explicit request in the current message, whatever the model says.
  const approval = tool.effect === 'side-effecting' ? tool.approval : undefined;
  if (tool.effect === 'side-effecting' && (!approval || !opts.ctx.request || !approval.explicit(parsed.data, opts.ctx.request))) {
    if (!approval) return done('not_requested', parsed.data, { error: { code: 'not_allowed', message: 'This action is not available.' } }, 'no approval policy');
    const view = approval.describe(parsed.data, opts.ctx.locale ?? DEFAULT_LOCALE);
    if (opts.ctx.request?.withholds(ACTION_OF[view.action])) {
      const message = 'Not done: the user did not ask for this (their message declines, cancels or only asks about it). Do not do it; acknowledge instead.';
      return done('not_requested', parsed.data, { status: 'not_requested', message }, 'withheld by the user message');
    }
    try {
      // What the policy would refuse is answered now, never proposed.
      await withTimeout(approval.preflight?.(opts.ctx, parsed.data) ?? Promise.resolve(), opts.toolTimeoutMs);
    } catch (err) {
      return err instanceof ToolFailure ? { ...failure(err, parsed.data), refusal: err.message } : failure(err, parsed.data);
    }
    const proposal: Proposal = {
      id: randomUUID(),
      tool: tool.name,
      arguments: parsed.data as Record<string, unknown>,
      view,
      expiresAt: new Date(opts.now().getTime() + opts.proposalTtlMs),
    };
    const card: Card = { type: 'confirm', proposalId: proposal.id, tool: tool.name, ...view, expiresAt: proposal.expiresAt.toISOString() };
    const message = `Not done yet: the user sees a confirm card ("${view.summary}") with Approve and Decline buttons; it happens only if they approve.`;
    return done('needs_approval', parsed.data, { status: 'needs_approval', proposalId: proposal.id, message }, null, [card], proposal);
  }
  try {
    const out = await withTimeout(tool.execute(opts.ctx, parsed.data), opts.toolTimeoutMs);
    return done('ok', parsed.data, out.result, null, out.cards ?? []);
  } catch (err) {
    return failure(err, parsed.data);
  }
}

/**
 * One assistant turn: model → tool calls (validated, deduplicated, run in parallel with a timeout)
 * → model, bounded by `maxRounds`. Tool failures go back to the model as results. Cards come from
 * tool results only, each invoice shown once (card-set.ts); URLs the model typed that the server
 * did not mint are removed.
 */
export function runTurn(opts: TurnOptions): Promise<TurnResult> {
  // A span per turn, model call and tool call (GenAI semantic conventions), and the turn metrics.
  return traceTurn({ modelId: opts.model.id, conversationId: opts.ctx.conversationId, userText: opts.userText }, () => loop(opts));
}

async function loop(opts: TurnOptions): Promise<TurnResult> {
  const messages: ChatMessage[] = [{ role: 'system', content: opts.systemPrompt }, ...opts.history, { role: 'user', content: opts.userText }];
  const records: ToolCallRecord[] = [];
  const executedCalls: ExecutedCall[] = [];
  const proposals: Proposal[] = [];
  let note: EngineNote | null = null;
  const cards: Card[] = [];
  // Each invoice is shown once, as it streams and in the answer (card-set.ts).
  const streamCard = createCardStream(opts.ctx.locale);
  const answerCards = () => oneCardPerInvoice(cards, opts.ctx.locale);
  const seen = new Set<string>();
  const usage = { promptTokens: 0, completionTokens: 0 };
  const severalNamed = (opts.ctx.request?.addresses.length ?? 0) > 1;
  const refusals: string[] = [];
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
  // The server's own statement of refusals the text leaves out, streamed after it.
  const stated = (text: string) => {
    const out = withRefusals(text, refusals);
    if (out.length > text.length) emit(out.slice(text.length));
    return out;
  };

  for (let round = 1; round <= opts.maxRounds; round++) {
    let resp;
    roundText = '';
    try {
      resp = await traceModelCall(
        opts.model.id,
        () => messages,
        () => opts.model.respond({ messages, tools: [...opts.registry.specs], ...(opts.signal ? { signal: opts.signal } : {}) }, push),
      );
      flush();
    } catch (err) {
      flush();
      if (err instanceof ModelError || (err instanceof Error && err.name === 'AbortError')) {
        return { text: MODEL_ERROR_TEXT, cards: answerCards(), toolCalls: records, executedCalls, proposals, note, rounds: round, stopReason: 'model_error', usage };
      }
      throw err;
    }
    usage.promptTokens += resp.usage?.promptTokens ?? 0;
    usage.completionTokens += resp.usage?.completionTokens ?? 0;
    note = resp.note ?? note;

    if (resp.toolCalls.length === 0) {
      const text = stated(scrubUnmintedUrls(resp.content.trim(), opts.links));
      return { text, cards: answerCards(), toolCalls: records, executedCalls, proposals, note, rounds: round, stopReason: 'answered', usage };
    }

    messages.push({ role: 'assistant', content: resp.content || null, toolCalls: resp.toolCalls });
    const outcomes = await Promise.all(resp.toolCalls.map((c) => traceToolCall(c, opts.registry.get(c.name) !== undefined, () => executeCall(opts, c, seen))));
    for (const [i, o] of outcomes.entries()) {
      records.push(o.record);
      if (severalNamed && o.refusal && !refusals.includes(o.refusal)) refusals.push(o.refusal);
      if (o.proposal) proposals.push(o.proposal);
      if (executed(o.record)) executedCalls.push({ name: o.record.name, ok: o.record.outcome === 'ok', result: o.result });
      for (const card of o.cards) {
        cards.push(card);
        const shown = streamCard(card);
        if (shown) opts.onEvent?.({ type: 'card', card: shown });
      }
      messages.push({ role: 'tool', toolCallId: resp.toolCalls[i]!.id, name: resp.toolCalls[i]!.name, content: o.content });
    }
    if (outcomes.every((o) => o.record.outcome === 'repeated')) {
      // Only this round's text answers (earlier rounds' text preceded tool calls).
      const text = stated((resp.content || roundText).trim() ? scrubUnmintedUrls((resp.content || roundText).trim(), opts.links) : 'Here is what I found.');
      return { text, cards: answerCards(), toolCalls: records, executedCalls, proposals, note, rounds: round, stopReason: 'repeated_calls', usage };
    }
  }
  return { text: stated(ROUND_LIMIT_TEXT), cards: answerCards(), toolCalls: records, executedCalls, proposals, note, rounds: opts.maxRounds, stopReason: 'round_limit', usage };
}
