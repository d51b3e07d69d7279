import type { DialogueContext, EngineNote } from './context.js';

/** The agent's wire-neutral types: what the loop, the models, the tools and the chat API share. */

export interface ToolCall {
  id: string;
  name: string;
  /** Raw JSON text, as the model produced it (may be malformed). */
  arguments: string;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; toolCalls?: ToolCall[]; context?: DialogueContext | null }
  | { role: 'tool'; toolCallId: string; name: string; content: string };

import type { ToolSpec } from '../../tools/types.js';

export type { ToolSpec } from '../../tools/types.js';

export interface ModelRequest {
  messages: ChatMessage[];
  tools: ToolSpec[];
  signal?: AbortSignal;
}

export interface ModelResponse {
  content: string;
  toolCalls: ToolCall[];
  usage?: { promptTokens: number; completionTokens: number; cachedTokens?: number };
  /** The offline engine's note on what it understood and asked (stored in the dialogue state). */
  note?: EngineNote;
}

export interface ChatModel {
  /** e.g. "offline" or "openai:gpt-4o-mini". Recorded on every answer. */
  readonly id: string;
  respond(req: ModelRequest, onTextDelta?: (text: string) => void): Promise<ModelResponse>;
}

export class ModelError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    opts?: { cause?: unknown },
  ) {
    super(message, opts);
    this.name = 'ModelError';
  }
}

import type { Card } from '../../tools/cards.js';

export type { Card, CardMoney, InvoiceCardItem } from '../../tools/cards.js';

/** Events streamed to the client during a turn. */
export type TurnEvent =
  | { type: 'text_delta'; text: string }
  | { type: 'tool_started'; id: string; name: string; label: string }
  | { type: 'tool_finished'; id: string; name: string; ok: boolean; latencyMs: number }
  | { type: 'card'; card: Card }
  | { type: 'completed'; messageId: string; text: string; cards: Card[] }
  | { type: 'error'; code: string; message: string };
