import { ApiError, backoffMs, isRetryable, sleep, type ApiClient } from './api.js';
import { unsettledInvoices, updateInvoiceCards } from './cards.js';
import { t } from './i18n.js';
import { createSseParser, toInvoiceUpdate, type InvoiceUpdate } from './sse.js';

/**
 * Live updates: invoice cards turn Paid while the conversation is open. One stream of the
 * conversation's events, reconnected with backoff, and a catch-up on the cards each time it
 * (re)connects.
 */

/** The server sends a heartbeat every 15 s: this long without a byte means a dead connection. */
const LIVE_IDLE_MS = 45_000;
/** Reconnecting the live stream backs off up to this (or waits the stream's `retry:`, sent by a replica that shuts down). */
const LIVE_BACKOFF_CAP_MS = 30_000;
/** A stream that stayed up this long was healthy: the next drop starts the backoff over. */
const LIVE_HEALTHY_MS = 30_000;
/** At most this many invoices are looked up again when the stream (re)connects. */
const CATCH_UP_MAX = 25;

interface LiveStream {
  conversationId: string;
  client: ApiClient;
  abort: AbortController;
}

export interface LiveView {
  /** Where the invoice cards are (the conversation log). */
  readonly log: ParentNode;
  /** Says an update in the status region (several at once are read as one message). */
  announceNews(text: string): void;
}

export class LiveUpdates {
  #live: LiveStream | null = null;
  /** Conversations whose stream was refused (404...), and '*' once the token itself was (401). */
  readonly #refused = new Set<string>();
  /** Counts live updates; a catch-up never overwrites an update newer than its own start. */
  #seq = 0;
  readonly #seen = new Map<string, number>();

  constructor(private readonly view: LiveView) {}

  /**
   * Holds the stream exactly when it is wanted: a client, a conversation (null while the widget
   * does not want updates: panel closed, page hidden, history not shown), and neither the token
   * nor this conversation refused. Otherwise lets it go. Safe to call any time.
   */
  sync(client: ApiClient | null, conversationId: string | null): void {
    const want = conversationId !== null && client !== null && !this.#refused.has('*') && !this.#refused.has(conversationId);
    if (this.#live && (!want || this.#live.conversationId !== conversationId)) {
      this.#live.abort.abort();
      this.#live = null;
    }
    if (want && !this.#live) {
      const live = { conversationId, client, abort: new AbortController() };
      this.#live = live;
      void this.#run(live);
    }
  }

  /** The token works again (the host page refreshed it): true when the stream may resume. */
  tokenWorks(): boolean {
    return this.#refused.delete('*');
  }

  /** Keeps a stream open, reconnecting with backoff, until aborted or refused. */
  async #run(live: LiveStream): Promise<void> {
    const signal = live.abort.signal;
    for (let attempt = 0; !signal.aborted; ) {
      const started = Date.now();
      let retryAfterMs: number | null = null;
      try {
        const res = await live.client.conversationEvents(live.conversationId, signal);
        // Updates sent while we were not listening (a drop, a closed panel, a page load) are
        // not replayed: look up the invoices on screen once the stream is listening.
        void this.#catchUp(live.client, signal);
        // A replica that shuts down says `retry:` and ends the stream: come back after that (to
        // another replica behind the proxy); the catch-up above covers what was sent meanwhile.
        retryAfterMs = await this.#read(res, signal);
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiError && !isRetryable(err)) {
          // 401 (after asking the host page for a fresh token): the session is over. 404: the
          // conversation is gone. Trying again would not change the answer.
          this.#refused.add(err.status === 401 ? '*' : live.conversationId);
          if (this.#live === live) this.#live = null;
          return;
        }
        if (err instanceof ApiError) retryAfterMs = err.retryAfterMs;
      }
      if (Date.now() - started >= LIVE_HEALTHY_MS) attempt = 0;
      try {
        await sleep(backoffMs(attempt++, retryAfterMs, LIVE_BACKOFF_CAP_MS), signal);
      } catch {
        return;
      }
    }
  }

  /** Reads the stream until it ends, fails, goes silent (no heartbeat) or is aborted; returns its last `retry:`. */
  async #read(res: Response, signal: AbortSignal): Promise<number | null> {
    let retry: number | null = null;
    if (!res.body) return retry;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = createSseParser((m) => {
      if (m.event !== 'invoice_updated') return;
      let value: unknown;
      try {
        value = JSON.parse(m.data);
      } catch {
        return;
      }
      const u = toInvoiceUpdate(value);
      if (u) {
        this.#seen.set(u.invoiceNumber, ++this.#seq);
        this.#apply(u);
      }
    }, (ms) => (retry = ms));
    let idle: ReturnType<typeof setTimeout> | undefined;
    const watch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => void reader.cancel().catch(() => undefined), LIVE_IDLE_MS);
    };
    try {
      watch();
      for (;;) {
        const { value, done } = await reader.read();
        if (done || signal.aborted) break;
        watch();
        parser.push(value);
      }
    } finally {
      clearTimeout(idle);
      reader.cancel().catch(() => undefined);
    }
    return retry;
  }

  /** Looks up the unsettled invoices on screen and brings their cards up to date. */
  async #catchUp(client: ApiClient, signal: AbortSignal): Promise<void> {
    const since = this.#seq;
    const numbers = unsettledInvoices(this.view.log);
    const updates: InvoiceUpdate[] = [];
    for (const n of [...numbers].slice(0, CATCH_UP_MAX)) {
      try {
        const u = toInvoiceUpdate(await client.invoice(n, signal));
        if (u && u.invoiceNumber === n) updates.push(u);
      } catch {
        // Aborted, or not found: the cards stay as they are.
        if (signal.aborted) return;
      }
    }
    if (signal.aborted) return;
    // A live update that arrived meanwhile is newer than what we read.
    for (const u of updates) if ((this.#seen.get(u.invoiceNumber) ?? 0) <= since) this.#apply(u);
  }

  /** Updates every card of the invoice in the log, and says so in the status region. */
  #apply(u: InvoiceUpdate): void {
    const { change, label } = updateInvoiceCards(this.view.log, u);
    const invoice = u.invoiceNumber;
    if (change === 'status') this.view.announceNews(t('widget.live.status', { invoice, status: label }));
    else if (change === 'amount') this.view.announceNews(t('widget.live.amount', { invoice, amount: u.amountDue.display }));
  }
}
