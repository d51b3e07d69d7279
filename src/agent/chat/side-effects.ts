import { randomUUID } from 'node:crypto';
import type { AnyTool, ToolRegistry } from '../../../tools/registry.js';
import type { ExecutedCall } from '../context.js';
import type { ToolCallRecord } from '../loop.js';
import type { Card, TurnEvent } from '../types.js';
import { storeTurn, type StoredTurn } from './store.js';
import type { ChatDeps } from './types.js';

/**
 * A side effect and its transcript are recorded together. The tools a turn runs are recorded as
 * they finish (outside the loop, which keeps its results to itself until the turn ends), so when
 * a later step fails (the model's next round, storing the turn) the turn can still be stored with
 * what was done: the user's message, the calls with their audit rows and cards, and an answer
 * with status 'error' that says what happened.
 */

/** A tool call that ran during the turn. */
export interface RanCall {
  record: ToolCallRecord;
  cards: Card[];
  result: unknown;
  sideEffect: boolean;
}

export interface TurnLedger {
  /** The registry the loop runs: every tool's execute is recorded. */
  registry: ToolRegistry;
  ran: RanCall[];
  /** Give it the loop's events: a call's tool_started comes right before its execute, which names it. */
  observe(e: TurnEvent): void;
}

const since = (started: number) => Math.round((performance.now() - started) * 100) / 100;

export function turnLedger(registry: ToolRegistry): TurnLedger {
  const ran: RanCall[] = [];
  let started: string | undefined;
  const wrap = (tool: AnyTool): AnyTool => ({
    ...tool,
    async execute(ctx, args) {
      const id = started ?? `call_${randomUUID()}`;
      const t0 = performance.now();
      const sideEffect = tool.effect === 'side-effecting';
      try {
        const out = await tool.execute(ctx, args);
        ran.push({ record: { id, name: tool.name, arguments: args, outcome: 'ok', error: null, latencyMs: since(t0) }, cards: out.cards ?? [], result: out.result, sideEffect });
        return out;
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        ran.push({ record: { id, name: tool.name, arguments: args, outcome: 'error', error, latencyMs: since(t0) }, cards: [], result: null, sideEffect });
        throw err;
      }
    },
  });
  const tools = registry.tools.map(wrap);
  const byName = new Map(tools.map((t) => [t.name, t]));
  return {
    registry: { tools, get: (name) => byName.get(name), specs: registry.specs },
    ran,
    observe: (e) => {
      if (e.type === 'tool_started') started = e.id;
    },
  };
}

export const FAILED_AFTER_SIDE_EFFECT = "Something went wrong on our side before I could finish answering, but this was already done:";

/** The answer to a turn that failed after its side effects: what each call that ran reported. */
export function failedTurnText(ran: readonly RanCall[]): string {
  const done = ran
    .filter((r) => r.sideEffect && r.record.outcome === 'ok')
    .map((r) => {
      const message = (r.result as { message?: unknown } | null)?.message;
      return typeof message === 'string' ? message : `${r.record.name} completed.`;
    });
  return [FAILED_AFTER_SIDE_EFFECT, ...done].join('\n\n');
}

/** The calls that ran, for the dialogue state. */
export const executedCalls = (ran: readonly RanCall[]): ExecutedCall[] => ran.map((r) => ({ name: r.record.name, ok: r.record.outcome === 'ok', result: r.result }));

/** Whether any audited call had an effect (a side-effecting tool that ran and succeeded). */
function sideEffectRan(deps: ChatDeps, audit: readonly ToolCallRecord[] | undefined): boolean {
  return (audit ?? []).some((a) => a.outcome === 'ok' && deps.registry.get(a.name)?.effect === 'side-effecting');
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text PostgreSQL can store: NUL removed, lone surrogates replaced (String#toWellFormed is newer than ES2022). */
export function storableText(text: string): string {
  return text.split('\u0000').join('').replace(LONE_SURROGATE, '\ufffd');
}

/**
 * Stores a turn whose side effects ran although something failed (`err`): its texts made storable,
 * its answer marked 'error'. Without a side effect there is nothing that must be recorded, and
 * `err` is thrown as it was; if even this cannot be stored, `err` is thrown too.
 */
export async function storeAfterFailure(deps: ChatDeps, turn: StoredTurn, err: unknown): Promise<void> {
  if (!sideEffectRan(deps, turn.audit)) throw err;
  deps.logger?.error?.({ conversationId: turn.conversationId, err: err instanceof Error ? err.message : String(err) }, 'chat turn failed after a side effect; storing what was done');
  const messages = turn.messages.map((m) => ({ ...m, text: storableText(m.text), ...(m.role === 'assistant' ? { status: 'error' as const } : {}) }));
  try {
    await storeTurn(deps.db, { ...turn, messages });
  } catch {
    throw err;
  }
}

/** Stores a turn; when that fails after a side effect, stores what was done instead (see storeAfterFailure). */
export async function storeTurnRecordingEffects(deps: ChatDeps, turn: StoredTurn): Promise<void> {
  try {
    await storeTurn(deps.db, turn);
  } catch (err) {
    await storeAfterFailure(deps, turn, err);
  }
}
