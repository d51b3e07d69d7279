import type { CardMoney, TurnEvent } from '../../agent/types.js';

/** One server-sent event: its `event:` name and its (joined) `data:` lines. */
export interface SseMessage {
  event: string;
  data: string;
}

/**
 * An incremental text/event-stream parser (the WHATWG format: lines ending in LF, CRLF or CR;
 * a blank line dispatches; `:` starts a comment). Feed it decoded text in chunks of any size.
 */
export function createSseParser(onMessage: (m: SseMessage) => void): { push(chunk: string): void; end(): void } {
  let buf = '';
  let event = '';
  let data: string[] = [];

  const dispatch = () => {
    if (data.length > 0) onMessage({ event: event || 'message', data: data.join('\n') });
    event = '';
    data = [];
  };

  const line = (l: string) => {
    if (l === '') return dispatch();
    if (l.startsWith(':')) return;
    const i = l.indexOf(':');
    const field = i < 0 ? l : l.slice(0, i);
    let value = i < 0 ? '' : l.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  };

  return {
    push(chunk: string) {
      buf += chunk;
      for (;;) {
        const m = /\r\n|\r|\n/.exec(buf);
        if (!m) break;
        // A lone CR at the very end may be the first half of a CRLF split across chunks.
        if (m[0] === '\r' && m.index === buf.length - 1) break;
        line(buf.slice(0, m.index));
        buf = buf.slice(m.index + m[0].length);
      }
    },
    end() {
      // A CR held back in case an LF followed ends its line after all; a line with no end is dropped.
      if (buf.endsWith('\r')) line(buf.slice(0, -1));
      buf = '';
      // An event without its terminating blank line is incomplete: dropped, as the spec says.
      event = '';
      data = [];
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
  statusLabel: string;
  amountDue: CardMoney;
}

/** The fields of an invoice update, checked one by one; null when anything is missing or mistyped. */
export function toInvoiceUpdate(value: unknown): InvoiceUpdate | null {
  if (typeof value !== 'object' || value === null) return null;
  const o = value as Record<string, unknown>;
  const due = o['amountDue'] as Record<string, unknown> | null | undefined;
  const { invoiceNumber, status, statusLabel } = o;
  if (typeof invoiceNumber !== 'string' || typeof status !== 'string' || typeof statusLabel !== 'string') return null;
  if (typeof due !== 'object' || due === null || typeof due['display'] !== 'string' || typeof due['cents'] !== 'number') return null;
  return {
    invoiceNumber,
    status,
    statusLabel,
    amountDue: {
      amount: typeof due['amount'] === 'string' ? due['amount'] : '',
      cents: due['cents'],
      currency: typeof due['currency'] === 'string' ? due['currency'] : '',
      display: due['display'],
    },
  };
}
