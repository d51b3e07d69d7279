import type { Card, TurnEvent } from '../../agent/types.js';
import { ApiError, backoffMs, createApiClient, isAbort, isRetryable, NetworkError, sleep, type ApiClient, type StoredMessage } from './api.js';
import type { ConfirmCard, Decision } from './cards.js';
import { t } from './i18n.js';
import { createSseParser, toTurnEvent } from './sse.js';
import type { WidgetStore } from './storage.js';

/**
 * The conversation with the API: which conversation, how many messages the server holds, and
 * the exchanges (a message or a decision) whose replies stream back as server-sent events, with
 * retries, and recovery of a reply whose stream was lost.
 */

const SEND_ATTEMPTS = 4;

/** One request whose reply streams into an answer: a message, or a decision on a confirm card. */
export interface Exchange {
  open(conversationId: string, signal: AbortSignal): Promise<Response>;
  /** Where the stored reply is in the history (looked up when the reply was lost), or -1. */
  find(messages: StoredMessage[], baseline: number): number;
  /** Messages the server stores for it. */
  adds: number;
  /** A 404 means the stored conversation is gone: start a new one (messages only). */
  renew: boolean;
}

/** The answer an exchange fills in (AnswerView): its notes, and the stored answer once found. */
export interface AnswerSink {
  readonly completed: boolean;
  complete(text: string, cards: Card[], status: StoredMessage['status']): void;
  note(message: string): void;
  clearNote(): void;
}

/** Sending a message; a lost reply is the assistant message right after the same text. */
export function messageExchange(client: ApiClient, text: string): Exchange {
  return {
    open: (id, signal) => client.sendMessageStream(id, text, signal),
    find: (messages, baseline) => {
      for (let j = messages.length - 2; j >= Math.min(baseline, messages.length - 2) && j >= 0; j--) {
        if (messages[j]!.role === 'user' && messages[j]!.text.trim() === text && messages[j + 1]!.role === 'assistant') return j + 1;
      }
      return -1;
    },
    adds: 2,
    renew: true,
  };
}

/** Approving or declining a confirm card's proposal. */
export function decisionExchange(client: ApiClient, card: ConfirmCard, decision: Decision): Exchange {
  return {
    open: (id, signal) => client.decideStream(id, card.proposalId, decision, signal),
    // The reply directly follows the card's message (any other message drops the proposal).
    find: (messages) => {
      const i = messages.findIndex((m) => m.cards.some((c) => c.type === 'confirm' && c.proposalId === card.proposalId));
      return i >= 0 && messages[i + 1]?.role === 'assistant' ? i + 1 : -1;
    },
    adds: 1,
    renew: false,
  };
}

/** What to tell the user about a failed request. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return t('widget.error.expired');
    if (err.status === 429) return t('widget.error.tooFast');
    if (err.status >= 500) return t('widget.error.server');
    return err.message;
  }
  return t(err instanceof NetworkError ? 'widget.error.network' : 'widget.error.generic');
}

/** Reads an SSE reply, handing each turn event to `onEvent`. True when the turn completed. */
async function readTurn(res: Response, answer: AnswerSink, signal: AbortSignal, onEvent: (e: TurnEvent) => void): Promise<boolean> {
  if (!res.body) return false;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = createSseParser((m) => {
    const e = toTurnEvent(m);
    if (e) onEvent(e);
  });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.push(value);
      if (answer.completed) break;
    }
    parser.end();
  } catch (err) {
    if (isAbort(err, signal)) throw err;
    return answer.completed;
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return answer.completed;
}

export class Connection {
  #client: ApiClient | null = null;
  #base = '';
  #conversationId: string | null = null;
  /** Messages the server is known to hold (a lower bound after a stopped turn). */
  known = 0;

  /** `onConversation` runs whenever the conversation changes (stored, new, or forgotten). */
  constructor(
    private readonly store: WidgetStore,
    private readonly onConversation: () => void,
  ) {}

  get client(): ApiClient | null {
    return this.#client;
  }

  /** The API base, resolved against the page (cards resolve their links against it). */
  get base(): string {
    return this.#base;
  }

  get conversationId(): string | null {
    return this.#conversationId;
  }

  /** Connects to the API (once, `base` resolved against the page), with the token the caller already has, if any. */
  connect(base: string, getToken: () => string | Promise<string>, token: string | null): ApiClient {
    this.#base = base;
    this.#client = createApiClient({ apiBase: this.#base, getToken, token });
    return this.#client;
  }

  /** Takes up the conversation stored for this user, if any. */
  resume(): void {
    this.#conversationId = this.store.conversation;
  }

  setConversation(id: string | null): void {
    this.#conversationId = id;
    this.store.conversation = id;
    this.onConversation();
  }

  async #ensureConversation(signal: AbortSignal): Promise<string> {
    if (this.#conversationId) return this.#conversationId;
    const { id } = await this.#client!.createConversation(signal);
    this.setConversation(id);
    this.known = 0;
    return id;
  }

  /**
   * Runs an exchange: streams its reply into the answer (each event through `onEvent`), retrying
   * what is worth retrying, and fetching the stored reply when the stream was lost.
   */
  async exchange(x: Exchange, answer: AnswerSink, signal: AbortSignal, onEvent: (e: TurnEvent) => void): Promise<void> {
    let conversationId = await this.#ensureConversation(signal);
    const baseline = this.known;
    let renew = x.renew;
    let lost = false;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await x.open(conversationId, signal);
      } catch (err) {
        if (isAbort(err, signal)) throw err;
        if (err instanceof ApiError && err.status === 404 && renew) {
          // The stored conversation is gone (or belongs to another user): start a new one.
          renew = false;
          this.setConversation(null);
          conversationId = await this.#ensureConversation(signal);
          continue;
        }
        // Refused after an attempt whose answer was lost: that attempt may have been the one.
        if (err instanceof ApiError && err.status === 409 && lost && (await this.#recover(conversationId, x, baseline, answer, signal, 1))) return;
        if (err instanceof NetworkError) {
          // No answer: the request may have reached the server. Look before sending it again.
          lost = true;
          answer.note(t('widget.net.checking'));
          if (await this.#recover(conversationId, x, baseline, answer, signal, 2)) return;
        }
        await this.#beforeRetry(err, attempt, answer, signal);
        continue;
      }
      if (await readTurn(res, answer, signal, onEvent)) {
        this.known = Math.max(this.known, baseline) + x.adds;
        return;
      }
      // The stream dropped: the server finishes and stores the turn anyway, so fetch it rather
      // than sending the message again.
      lost = true;
      answer.note(t('widget.net.dropped'));
      if (await this.#recover(conversationId, x, baseline, answer, signal, 6)) return;
      throw new NetworkError(new Error('stream dropped'));
    }
  }

  /** Waits before the next attempt (saying so on the answer), or throws `err` when it is final. */
  async #beforeRetry(err: unknown, attempt: number, answer: AnswerSink, signal: AbortSignal): Promise<void> {
    if (!isRetryable(err) || attempt >= SEND_ATTEMPTS - 1) throw err;
    const limited = err instanceof ApiError && err.status === 429;
    const wait = backoffMs(attempt, err instanceof ApiError ? err.retryAfterMs : null);
    // Rate limited for long: say so rather than wait silently.
    if (limited && wait > 15_000) throw err;
    answer.note(limited ? t('widget.net.busy', { seconds: Math.ceil(wait / 1000) }) : t('widget.net.retrying'));
    await sleep(wait, signal);
    answer.clearNote();
  }

  /** Polls the history for the stored answer of the exchange begun after message `baseline`. */
  async #recover(conversationId: string, x: Exchange, baseline: number, answer: AnswerSink, signal: AbortSignal, polls: number): Promise<boolean> {
    for (let i = 0; i < polls; i++) {
      await sleep(backoffMs(i), signal);
      let messages: StoredMessage[];
      try {
        messages = await this.#client!.history(conversationId, signal);
      } catch (err) {
        if (isAbort(err, signal)) throw err;
        continue;
      }
      const a = messages[x.find(messages, baseline)];
      if (a) {
        answer.clearNote();
        answer.complete(a.text, a.cards, a.status);
        this.known = messages.length;
        return true;
      }
    }
    return false;
  }
}
