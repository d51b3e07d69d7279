import { createParser } from 'eventsource-parser';
import type { CardMoney, TurnEvent } from '../../agent/types.js';

/** One server-sent event: its `event:` name and its (joined) `data:` lines. */
export interface SseMessage {
  event: string;
  data: string;
}

/**
 * An incremental text/event-stream parser over eventsource-parser (the WHATWG format). Feed it
 * decoded text in chunks of any size; `end()` drops an event cut off before its blank line.
 * `onRetry` gets each `retry:` (ms): the server's wait before reconnecting.
 */
export function createSseParser(onMessage: (m: SseMessage) => void, onRetry?: (ms: number) => void): { push(chunk: string): void; end(): void } {
  const parser = createParser({ onEvent: (m) => onMessage({ event: m.event ?? 'message', data: m.data }), onRetry });
  let heldCr = false;
  return {
    push(chunk: string) {
      if (chunk === '') return;
      // eventsource-parser holds a CR at the end of a chunk in case an LF follows (a split CRLF).
      heldCr = chunk.endsWith('\r');
      parser.feed(chunk);
    },
    end() {
      // The stream ended after all: a held CR ends its line, as if the LF had come.
      if (heldCr) parser.feed('\n');
      heldCr = false;
      parser.reset();
    },
  };
}

const TYPES = new Set(['text_delta', 'tool_started', 'tool_finished', 'card', 'completed', 'error']);

/** A chat turn event from an SSE message, or null when it is not one we know. */
export function toTurnEvent(m: SseMessage): TurnEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(m.data);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !TYPES.has(type)) return null;
  // The server's own serializer produced it (see src/http/routes/chat.ts); the renderer still
  // treats every field defensively (textContent only, links checked).
  return value as TurnEvent;
}

/** A live change to an invoice shown in the conversation (`invoice_updated`, or the billing API's invoice). */
export interface InvoiceUpdate {
  invoiceNumber: string;
  status: string;
  /** As the server formatted it for the widget's locale. */
  amountDue: Pick<CardMoney, 'cents' | 'display'>;
}

/** The fields of an invoice update, checked one by one; null when anything is missing or mistyped. */
export function toInvoiceUpdate(value: unknown): InvoiceUpdate | null {
  if (typeof value !== 'object' || value === null) return null;
  const { invoiceNumber, status, amountDue } = value as Record<string, unknown>;
  if (typeof invoiceNumber !== 'string' || typeof status !== 'string' || typeof amountDue !== 'object' || amountDue === null) return null;
  const { cents, display } = amountDue as Record<string, unknown>;
  return typeof cents === 'number' && typeof display === 'string' ? { invoiceNumber, status, amountDue: { cents, display } } : null;
}
