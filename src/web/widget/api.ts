import type { StoredMessage as ServerMessage } from '../../agent/chat-service.js';
import type { Locale } from '../../i18n/locales.js';
import { locale, t, type WidgetMessages } from './i18n.js';

/** The widget's client for the chat API: bearer token from the host page, retries with backoff. */

/** A message as the chat API returns it (the server's type, less what the widget never reads). */
export type StoredMessage = Omit<ServerMessage, 'promptVersion' | 'model'>;

/** The server answered with an error status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** No answer at all (offline, connection reset, DNS): the request may or may not have arrived. */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super('network error', { cause });
    this.name = 'NetworkError';
  }
}

export const isAbort = (err: unknown, signal?: AbortSignal): boolean =>
  signal?.aborted === true || (err instanceof DOMException && err.name === 'AbortError');

/** Sleeps, or rejects with the signal's reason (an AbortError unless the caller gave one) as soon as it fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff with jitter: ~0.5 s, 1 s, 2 s, 4 s... capped at 8 s (or `capMs`); Retry-After wins when given. */
export function backoffMs(attempt: number, retryAfterMs: number | null = null, capMs = 8000): number {
  if (retryAfterMs !== null) return Math.min(retryAfterMs, 30_000);
  const base = Math.min(capMs, 500 * 2 ** attempt);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/** Errors worth another try: no answer, 429, and 5xx. */
export const isRetryable = (err: unknown): boolean =>
  err instanceof NetworkError || (err instanceof ApiError && (err.status === 429 || err.status >= 500));

export interface ApiClientOptions {
  apiBase: string;
  getToken: () => string | Promise<string>;
  /** A token already fetched (used until the API refuses it). */
  token?: string | null;
}

export interface ApiClient {
  createConversation(signal?: AbortSignal): Promise<{ id: string }>;
  history(conversationId: string, signal?: AbortSignal): Promise<StoredMessage[]>;
  /** Opens the reply stream of a new message; resolves once the response headers are in. */
  sendMessageStream(conversationId: string, text: string, signal: AbortSignal): Promise<Response>;
  /** Approves or declines a proposal (a confirm card); the reply streams like a message's. */
  decideStream(conversationId: string, proposalId: string, decision: 'approve' | 'decline', signal: AbortSignal): Promise<Response>;
  /** Opens the conversation's live updates (invoice_updated, heartbeat); resolves once the headers are in. */
  conversationEvents(conversationId: string, signal: AbortSignal): Promise<Response>;
  /** One invoice as the billing API has it now (status, statusLabel, amountDue...). */
  invoice(invoiceNumber: string, signal?: AbortSignal): Promise<unknown>;
  /** A thumbs-down on an answer, with an optional comment (again: replaces the comment). */
  feedback(conversationId: string, messageId: string, comment?: string): Promise<unknown>;
  token(): Promise<string>;
}

function retryAfter(res: Response): number | null {
  const h = res.headers.get('retry-after');
  if (!h) return null;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const d = Date.parse(h);
  return Number.isNaN(d) ? null : Math.max(0, d - Date.now());
}

async function toApiError(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = t('widget.error.request', { status: res.status });
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // Not our JSON error body (a proxy's page): the status says enough.
  }
  return new ApiError(res.status, code, message, retryAfter(res));
}

/** Retries idempotent-enough calls (reads; creating an empty conversation) with backoff. */
// Kept over p-retry: its delay cannot follow a 429's Retry-After, and its ~3.8 KiB would push the bundle past its 40 KiB budget.
async function withRetry<T>(fn: () => Promise<T>, signal?: AbortSignal, attempts = 4): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (isAbort(err, signal) || !isRetryable(err) || attempt >= attempts - 1) throw err;
      await sleep(backoffMs(attempt, err instanceof ApiError ? err.retryAfterMs : null), signal);
    }
  }
}

/** The widget's messages in one locale (public and cacheable: no token), retried like the reads. */
export const fetchMessages = (apiBase: string, l: Locale): Promise<WidgetMessages> =>
  withRetry(async () => {
    let res: Response;
    try {
      res = await fetch(`${apiBase.replace(/\/+$/, '')}/v1/widget/messages/${l}`, { credentials: 'omit', mode: 'cors' });
    } catch (err) {
      throw new NetworkError(err);
    }
    if (!res.ok) throw await toApiError(res);
    return (await res.json()) as WidgetMessages;
  });

const conversation = (id: string, rest: string): string => `/v1/chat/conversations/${encodeURIComponent(id)}${rest}`;

export function createApiClient(opts: ApiClientOptions): ApiClient {
  const base = opts.apiBase.replace(/\/+$/, '');
  let cached = opts.token ?? null;

  async function token(refresh = false): Promise<string> {
    if (!cached || refresh) cached = await opts.getToken();
    return cached;
  }

  /** One request; a 401 asks the host page for a fresh token once and tries again. */
  async function request(method: string, path: string, init: { body?: unknown; accept?: string; signal?: AbortSignal | undefined } = {}): Promise<Response> {
    for (let refreshed = false; ; refreshed = true) {
      // Accept-Language: the REST API's display strings (amounts) follow it.
      const headers: Record<string, string> = { authorization: `Bearer ${await token(refreshed)}`, accept: init.accept ?? 'application/json', 'accept-language': locale() };
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers,
          body: init.body === undefined ? null : JSON.stringify(init.body),
          signal: init.signal ?? null,
          // Bearer tokens only: never send or receive the host page's cookies.
          credentials: 'omit',
          mode: 'cors',
          cache: 'no-store',
        });
      } catch (err) {
        if (isAbort(err, init.signal)) throw err;
        throw new NetworkError(err);
      }
      if (res.status === 401 && !refreshed) continue;
      if (!res.ok) throw await toApiError(res);
      return res;
    }
  }

  return {
    token: () => token(),
    createConversation: (signal) =>
      withRetry(async () => {
        const res = await request('POST', '/v1/chat/conversations', { body: {}, signal });
        return (await res.json()) as { id: string };
      }, signal),
    history: (conversationId, signal) =>
      withRetry(async () => {
        const res = await request('GET', conversation(conversationId, '/messages'), { signal });
        return ((await res.json()) as { messages: StoredMessage[] }).messages;
      }, signal),
    sendMessageStream: (conversationId, text, signal) =>
      request('POST', conversation(conversationId, '/messages'), { body: { text, locale: locale() }, accept: 'text/event-stream', signal }),
    decideStream: (conversationId, proposalId, decision, signal) =>
      request('POST', conversation(conversationId, `/proposals/${encodeURIComponent(proposalId)}/${decision}?locale=${locale()}`), { accept: 'text/event-stream', signal }),
    conversationEvents: (conversationId, signal) =>
      request('GET', conversation(conversationId, `/events?locale=${locale()}`), { accept: 'text/event-stream', signal }),
    // Setting the same feedback twice changes nothing: safe to retry.
    feedback: (conversationId, messageId, comment) =>
      withRetry(() => request('POST', conversation(conversationId, `/messages/${encodeURIComponent(messageId)}/feedback`), { body: { comment } })),
    invoice: async (invoiceNumber, signal) => {
      const res = await request('GET', `/v1/billing/invoices/${encodeURIComponent(invoiceNumber)}`, { signal });
      return (await res.json()) as unknown;
    },
  };
}
