import type { Config } from '../../config.js';
import type { TurnEvent } from '../../agent/types.js';
// The widget's wrapper of eventsource-parser: one SSE reader for every client of the chat API.
import { createSseParser, toTurnEvent } from '../../web/widget/sse.js';
import { ChatCliError, type ChatAnswer, type ChatTransport, type HistoryEntry } from './transport.js';

/** Where a server started with this configuration answers: HOST:PORT, with a wildcard host read as loopback. */
export function apiBaseUrl(config: Pick<Config, 'HOST' | 'PORT'>): string {
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST === '::' ? '::1' : config.HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.PORT}`;
}

/** True when our server answers GET /healthz at `base` within `timeoutMs`. */
export async function probeServer(base: string, timeoutMs = 800): Promise<boolean> {
  try {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return false;
    const body = (await res.json()) as { status?: unknown };
    return body.status === 'ok';
  } catch {
    return false;
  }
}

/** The API's error body as one line: "404 not_found: Conversation not found". */
async function httpError(res: Response): Promise<ChatCliError> {
  let detail = res.statusText;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.message) detail = `${body.error.code ?? 'error'}: ${body.error.message}`;
  } catch {
    // Not our JSON error body: the status line says enough.
  }
  return new ChatCliError(`the server answered ${res.status} ${detail}`);
}

/** Reads a chat turn's server-sent events: each is handed on; the `completed` one is the answer. */
async function readTurnStream(res: Response, onEvent: (e: TurnEvent) => void): Promise<ChatAnswer> {
  let answer: ChatAnswer | null = null;
  let failure: string | null = null;
  const parser = createSseParser((m) => {
    const event = toTurnEvent(m);
    if (!event) return;
    if (event.type === 'completed') answer = { id: event.messageId, text: event.text, cards: event.cards };
    if (event.type === 'error') failure = event.message;
    onEvent(event);
  });
  const decoder = new TextDecoder();
  if (res.body) {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.push(decoder.decode(chunk, { stream: true }));
  }
  parser.push(decoder.decode());
  parser.end();
  if (answer) return answer;
  throw new ChatCliError(failure ?? 'the answer stream ended before the answer was complete');
}

/** The chat through a running server's HTTP API, as the portal widget uses it. */
export function createApiTransport(base: string, token: () => Promise<string>): ChatTransport {
  const request = async (method: string, path: string, init: { body?: unknown; accept?: string } = {}): Promise<Response> => {
    const headers: Record<string, string> = { authorization: `Bearer ${await token()}`, accept: init.accept ?? 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { method, headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
    } catch (err) {
      throw new ChatCliError(`the server at ${base} did not answer (${err instanceof Error ? err.message : String(err)})`);
    }
    if (!res.ok) throw await httpError(res);
    return res;
  };
  const conversation = (id: string) => `/v1/chat/conversations/${encodeURIComponent(id)}`;
  return {
    description: `through the server at ${base}`,
    async createConversation() {
      const res = await request('POST', '/v1/chat/conversations');
      return ((await res.json()) as { id: string }).id;
    },
    async sendMessage(conversationId, text, onEvent) {
      const res = await request('POST', `${conversation(conversationId)}/messages`, { body: { text }, accept: 'text/event-stream' });
      return readTurnStream(res, onEvent);
    },
    async decideProposal(conversationId, proposalId, decision, onEvent) {
      const res = await request('POST', `${conversation(conversationId)}/proposals/${encodeURIComponent(proposalId)}/${decision}`, { accept: 'text/event-stream' });
      return readTurnStream(res, onEvent);
    },
    async listMessages(conversationId): Promise<HistoryEntry[]> {
      const res = await request('GET', `${conversation(conversationId)}/messages`);
      return ((await res.json()) as { messages: HistoryEntry[] }).messages;
    },
    close: () => Promise.resolve(),
  };
}
