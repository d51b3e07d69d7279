import type { Card, TurnEvent } from '../../agent/types.js';
import { ApiError, createApiClient, isAbort, NetworkError, sleep, backoffMs, isRetryable, type ApiClient, type StoredMessage } from './api.js';
import { markConfirmCard, renderCard, updateInvoiceCard, type ConfirmCard, type Decision, type OnDecide } from './cards.js';
import { h, icon, ICONS } from './dom.js';
import { createSseParser, toInvoiceUpdate, toTurnEvent, type InvoiceUpdate } from './sse.js';
import { WIDGET_CSS } from './styles.js';

export interface WidgetOptions {
  /** Origin (and optional path prefix) of the Billing Assistant API, e.g. "https://billing.example". */
  apiBase: string;
  /** Returns the portal session token (a JWT). Called again once when the API answers 401. */
  getToken: () => string | Promise<string>;
  /** Open the panel right away. */
  open?: boolean;
}

/** The four commands of the product brief, offered on first use. */
export const SUGGESTIONS = [
  'What is my current account balance?',
  'Show me invoice IN7654321',
  'List my outstanding invoices',
  'Email a PDF copy of IN7654321 to accounting@mycompany.com',
];

const STORAGE_PREFIX = 'billing-assistant:v1';
const SEND_ATTEMPTS = 4;
/** The server sends a heartbeat every 15 s: this long without a byte means a dead connection. */
const LIVE_IDLE_MS = 45_000;
/** Reconnecting the live stream backs off up to this (the server suggests `retry: 5000`). */
const LIVE_BACKOFF_CAP_MS = 30_000;
/** A stream that stayed up this long was healthy: the next drop starts the backoff over. */
const LIVE_HEALTHY_MS = 30_000;
/** At most this many invoices are looked up again when the stream (re)connects. */
const CATCH_UP_MAX = 25;
const SETTLED = new Set(['paid', 'void']);

/** Who the token is for (unverified: only used to key local storage, the server verifies). */
function tokenSubject(token: string): string {
  try {
    const part = token.split('.')[1] ?? '';
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const claims = JSON.parse(json) as { acct?: unknown; sub?: unknown };
    if (typeof claims.acct === 'string') return `${claims.acct}:${typeof claims.sub === 'string' ? claims.sub : ''}`;
  } catch {
    // Not a JWT we can read: one shared key.
  }
  return 'default';
}

function storageGet(store: Storage | null, key: string): string | null {
  try {
    return store?.getItem(key) ?? null;
  } catch {
    return null;
  }
}
function storageSet(store: Storage | null, key: string, value: string | null): void {
  try {
    if (value === null) store?.removeItem(key);
    else store?.setItem(key, value);
  } catch {
    // Storage disabled (private mode, sandboxed iframe): the conversation lasts for this page.
  }
}
function safeStorage(kind: 'localStorage' | 'sessionStorage'): Storage | null {
  try {
    return window[kind];
  } catch {
    return null;
  }
}

/** One request whose reply streams into an answer: a message, or a decision on a confirm card. */
interface Exchange {
  open(conversationId: string, signal: AbortSignal): Promise<Response>;
  /** Where the stored reply is in the history (looked up when the reply was lost), or -1. */
  find(messages: StoredMessage[], baseline: number): number;
  /** Messages the server stores for it. */
  adds: number;
  /** A 404 means the stored conversation is gone: start a new one (messages only). */
  renew: boolean;
}

function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return 'Your session has expired. Please sign in to the portal again.';
    if (err.status === 413) return err.message;
    if (err.status === 429) return 'You are sending messages faster than we can answer. Please wait a moment and try again.';
    if (err.status >= 500) return 'The assistant is having trouble right now. Please try again in a moment.';
    return err.message;
  }
  if (err instanceof NetworkError) return 'We could not reach the assistant. Check your connection and try again.';
  return 'Something went wrong. Please try again.';
}

/** One assistant answer in the log: text, tool progress, cards; built as events arrive. */
class AnswerView {
  readonly el: HTMLElement;
  readonly #text: HTMLElement;
  readonly #progress: HTMLUListElement;
  readonly #cards: HTMLElement;
  readonly #notes: HTMLElement;
  readonly #steps = new Map<string, HTMLLIElement>();
  #streamed = '';
  #cardList: Card[] = [];
  completed = false;
  deltas = 0;

  constructor(
    private readonly base: string,
    private readonly onStatus: (s: string) => void,
    private readonly onDecide?: OnDecide,
  ) {
    this.#text = h('div', { class: 'bubble' });
    this.#progress = h('ul', { class: 'progress', attrs: { 'aria-label': 'Progress' } });
    this.#cards = h('div', { class: 'cards' });
    this.#notes = h('div');
    this.el = h(
      'div',
      { class: 'msg msg-assistant', attrs: { 'aria-busy': 'true', 'data-role': 'assistant' } },
      h('span', { class: 'sr-only', text: 'Assistant: ' }),
      this.#progress,
      this.#text,
      this.#cards,
      this.#notes,
    );
    this.#progress.hidden = true;
  }

  get text(): string {
    return this.#text.textContent ?? '';
  }

  apply(e: TurnEvent): void {
    switch (e.type) {
      case 'text_delta':
        this.deltas++;
        this.#streamed += e.text;
        this.#text.textContent = this.#streamed;
        break;
      case 'tool_started': {
        const li = h('li', { text: `${e.label}…` });
        this.#steps.set(e.id, li);
        this.#progress.append(li);
        this.#progress.hidden = false;
        this.onStatus(`${e.label}…`);
        break;
      }
      case 'tool_finished':
        this.#steps.get(e.id)?.classList.add('done');
        break;
      case 'card':
        this.#cardList.push(e.card);
        this.#appendCard(e.card);
        break;
      case 'error':
        this.el.classList.add('msg-error');
        break;
      case 'completed':
        this.complete(e.text, e.cards, 'complete');
        break;
    }
  }

  /** The authoritative answer: replaces what was streamed. */
  complete(text: string, cards: Card[], status: StoredMessage['status']): void {
    this.completed = true;
    this.#text.textContent = text;
    this.#cardList = cards;
    this.#cards.replaceChildren();
    for (const c of cards) this.#appendCard(c);
    this.#progress.replaceChildren();
    this.#progress.hidden = true;
    this.#steps.clear();
    if (status === 'error') this.el.classList.add('msg-error');
    this.el.setAttribute('aria-busy', 'false');
    this.el.setAttribute('data-state', 'complete');
  }

  stopped(): void {
    this.#progress.replaceChildren();
    this.#progress.hidden = true;
    this.#notes.replaceChildren(h('p', { class: 'note note-stopped', text: this.#streamed ? 'Stopped. The reply above is incomplete.' : 'Stopped.' }));
    this.el.setAttribute('aria-busy', 'false');
    this.el.setAttribute('data-state', 'stopped');
  }

  failed(message: string): void {
    this.#progress.replaceChildren();
    this.#progress.hidden = true;
    this.el.classList.add('msg-error');
    if (!this.#streamed && this.#cardList.length === 0) this.#text.textContent = message;
    else this.#notes.replaceChildren(h('p', { class: 'note', text: message }));
    this.el.setAttribute('aria-busy', 'false');
    this.el.setAttribute('data-state', 'error');
  }

  /** The server refused (a decided or unknown proposal): its message, as a notice. */
  notice(message: string): void {
    this.clearNote();
    this.complete(message, [], 'complete');
    this.el.classList.add('msg-notice');
    this.el.setAttribute('data-state', 'notice');
  }

  note(message: string): void {
    this.#notes.replaceChildren(h('p', { class: 'note', text: message }));
  }

  clearNote(): void {
    this.#notes.replaceChildren();
  }

  #appendCard(card: Card): void {
    const el = renderCard(card, this.base, this.onDecide);
    if (el) this.#cards.append(el);
  }
}

export class BillingAssistantElement extends HTMLElement {
  readonly #root: ShadowRoot;
  readonly #launcher: HTMLButtonElement;
  readonly #panel: HTMLElement;
  readonly #log: HTMLElement;
  readonly #input: HTMLTextAreaElement;
  readonly #send: HTMLButtonElement;
  readonly #stop: HTMLButtonElement;
  readonly #status: HTMLElement;
  readonly #banner: HTMLElement;
  readonly #suggestions: HTMLElement;

  #client: ApiClient | null = null;
  #base = '';
  #key = `${STORAGE_PREFIX}:default`;
  #conversationId: string | null = null;
  #historyState: 'idle' | 'loading' | 'loaded' = 'idle';
  /** Messages the server is known to hold (a lower bound after a stopped turn). */
  #known = 0;
  #busy = false;
  #abort: AbortController | null = null;
  /** The conversation's live updates: one stream while the panel is open on a conversation. */
  #live: { conversationId: string; abort: AbortController } | null = null;
  /** Conversations whose stream was refused (404...), and '*' once the token itself was (401). */
  readonly #liveRefused = new Set<string>();
  #pageHidden = false;
  /** Counts live updates; a catch-up never overwrites an update newer than its own start. */
  #liveSeq = 0;
  readonly #liveSeen = new Map<string, number>();
  readonly #news: string[] = [];
  readonly #local = safeStorage('localStorage');
  readonly #session = safeStorage('sessionStorage');

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    this.#applyStyles();

    this.#launcher = h(
      'button',
      { class: 'launcher', attrs: { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'ba-panel', 'aria-haspopup': 'dialog' } },
      icon(ICONS.chat),
      h('span', { text: 'Billing Assistant' }),
    );
    const close = h('button', { class: 'icon-btn', attrs: { type: 'button', 'aria-label': 'Close the billing assistant' } }, icon(ICONS.close));
    const restart = h('button', { class: 'icon-btn', attrs: { type: 'button', 'aria-label': 'Start a new conversation' } }, icon(ICONS.plus));
    this.#log = h('div', {
      class: 'log',
      attrs: { role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': 'Conversation with the billing assistant', tabindex: '0' },
    });
    this.#suggestions = h(
      'div',
      { class: 'suggestions', attrs: { role: 'group', 'aria-labelledby': 'ba-suggest-title' } },
      h('p', { attrs: { id: 'ba-suggest-title' }, text: 'Ask about your invoices, payments and balance. Try:' }),
      ...SUGGESTIONS.map((s) => {
        const b = h('button', { class: 'chip', attrs: { type: 'button' }, text: s });
        b.addEventListener('click', () => void this.send(s));
        return b;
      }),
    );
    this.#input = h('textarea', {
      attrs: { id: 'ba-input', rows: '1', placeholder: 'Ask about your billing…', autocomplete: 'off', maxlength: '4000', enterkeyhint: 'send' },
    });
    this.#send = h('button', { class: 'send', attrs: { type: 'submit', 'aria-label': 'Send message' } }, icon(ICONS.send), h('span', { text: 'Send' }));
    this.#stop = h('button', { class: 'stop', attrs: { type: 'button', 'aria-label': 'Stop the reply' } }, icon(ICONS.stop), h('span', { text: 'Stop' }));
    this.#stop.hidden = true;
    const form = h(
      'form',
      { class: 'composer', attrs: { 'aria-label': 'Send a message' } },
      h('label', { class: 'sr-only', attrs: { for: 'ba-input' }, text: 'Message to the billing assistant' }),
      this.#input,
      this.#send,
      this.#stop,
    );
    this.#status = h('p', { class: 'sr-only', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.#banner = h('p', { class: 'banner', attrs: { role: 'alert' } });
    this.#banner.hidden = true;
    this.#panel = h(
      'section',
      { class: 'panel', attrs: { id: 'ba-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'ba-title' } },
      h('div', { class: 'panel-head' }, h('h2', { attrs: { id: 'ba-title' }, text: 'Billing Assistant' }), restart, close),
      this.#log,
      this.#banner,
      form,
      h('p', { class: 'footnote', text: 'Payments are made on our secure payment page. Never share card details in chat.' }),
      this.#status,
    );
    this.#panel.hidden = true;
    this.#root.append(h('div', { class: 'root' }, this.#panel, this.#launcher));

    this.#launcher.addEventListener('click', () => (this.#panel.hidden ? this.open() : this.close()));
    close.addEventListener('click', () => this.close());
    restart.addEventListener('click', () => this.#restart());
    this.#stop.addEventListener('click', () => this.stop());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.send(this.#input.value);
    });
    this.#input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        void this.send(this.#input.value);
      }
    });
    this.#input.addEventListener('input', () => this.#autosize());
    this.#panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        this.close();
      }
    });
  }

  connectedCallback(): void {
    window.addEventListener('pagehide', this.#onPageHide);
    window.addEventListener('pageshow', this.#onPageShow);
    this.#syncLive();
  }

  disconnectedCallback(): void {
    window.removeEventListener('pagehide', this.#onPageHide);
    window.removeEventListener('pageshow', this.#onPageShow);
    this.#syncLive();
  }

  // Unloading (or entering the back/forward cache): let go of the stream; back from the cache: resume.
  readonly #onPageHide = (): void => {
    this.#pageHidden = true;
    this.#syncLive();
  };
  readonly #onPageShow = (): void => {
    this.#pageHidden = false;
    this.#syncLive();
  };

  /** Connects the widget to the API. Called once by `init` (or the script tag). */
  async configure(opts: WidgetOptions): Promise<void> {
    this.#base = new URL(opts.apiBase, document.baseURI).href;
    this.#client = createApiClient({ apiBase: this.#base, getToken: opts.getToken });
    try {
      this.#key = `${STORAGE_PREFIX}:${tokenSubject(await this.#client.token())}`;
    } catch {
      this.#showBanner('The assistant could not get your session from the page.');
    }
    this.#conversationId = storageGet(this.#local, `${this.#key}:conversation`);
    if (opts.open || storageGet(this.#session, `${this.#key}:open`) === '1') this.open({ focus: false });
  }

  open(opts: { focus?: boolean } = {}): void {
    this.#panel.hidden = false;
    this.#launcher.setAttribute('aria-expanded', 'true');
    storageSet(this.#session, `${this.#key}:open`, '1');
    if (opts.focus !== false) this.#input.focus();
    if (this.#historyState === 'idle') void this.#loadHistory();
    this.#syncLive();
  }

  close(): void {
    this.#panel.hidden = true;
    this.#launcher.setAttribute('aria-expanded', 'false');
    storageSet(this.#session, `${this.#key}:open`, null);
    this.#launcher.focus();
    this.#syncLive();
  }

  /** Stops the reply being streamed. The server still finishes and stores the turn. */
  stop(): void {
    this.#abort?.abort();
  }

  /** Sends a message and streams the reply into the log. */
  async send(raw: string): Promise<void> {
    const text = raw.trim();
    if (!text || this.#busy || !this.#client) return;
    if (this.#panel.hidden) this.open();
    if (this.#historyState === 'loading') await this.#whenHistoryLoaded();
    this.#suggestions.remove();
    this.#hideBanner();
    this.#input.value = '';
    this.#autosize();
    this.#appendUser(text);
    const answer = this.#answer();
    this.#appendNode(answer.el);
    this.#setBusy(true);
    const abort = new AbortController();
    this.#abort = abort;
    try {
      await this.#exchange(
        {
          open: (id, signal) => this.#client!.sendMessageStream(id, text, signal),
          find: (messages, baseline) => {
            for (let j = messages.length - 2; j >= Math.min(baseline, messages.length - 2) && j >= 0; j--) {
              if (messages[j]!.role === 'user' && messages[j]!.text.trim() === text && messages[j + 1]!.role === 'assistant') return j + 1;
            }
            return -1;
          },
          adds: 2,
          renew: true,
        },
        answer,
        abort.signal,
      );
      // The token works again (the host page refreshed it): live updates may resume.
      if (this.#liveRefused.delete('*')) this.#syncLive();
    } catch (err) {
      if (isAbort(err, abort.signal)) {
        answer.stopped();
        this.#announce('Stopped.');
      } else {
        answer.failed(errorText(err));
        this.#announce(errorText(err));
      }
    } finally {
      this.#abort = null;
      // The Stop button disappears with the reply: keep keyboard focus in the composer.
      const focusWasOnStop = this.#root.activeElement === this.#stop;
      this.#setBusy(false);
      this.#scrollToEnd();
      if (focusWasOnStop) this.#input.focus();
    }
  }

  /**
   * Approves or declines the proposal on a confirm card. The reply (with its receipt card) arrives
   * like a message's, with the same token refresh and retries; a refusal (409 already decided or
   * expired, 404 unknown) shows the server's message and leaves the buttons disabled.
   */
  async decide(card: ConfirmCard, decision: Decision, el: HTMLElement): Promise<void> {
    if (this.#busy || !this.#client || !this.#conversationId) return;
    const hadFocus = el.contains(this.#root.activeElement);
    markConfirmCard(el, 'busy');
    this.#hideBanner();
    const answer = this.#answer();
    this.#appendNode(answer.el);
    this.#setBusy(true);
    const abort = new AbortController();
    this.#abort = abort;
    let state: Parameters<typeof markConfirmCard>[1] = 'open';
    try {
      await this.#exchange(
        {
          open: (id, signal) => this.#client!.decideStream(id, card.proposalId, decision, signal),
          // The reply directly follows the card's message (any other message drops the proposal).
          find: (messages) => {
            const i = messages.findIndex((m) => m.cards.some((c) => c.type === 'confirm' && c.proposalId === card.proposalId));
            return i >= 0 && messages[i + 1]?.role === 'assistant' ? i + 1 : -1;
          },
          adds: 1,
          renew: false,
        },
        answer,
        abort.signal,
      );
      state = decision === 'approve' ? 'approved' : 'declined';
      if (this.#liveRefused.delete('*')) this.#syncLive();
    } catch (err) {
      if (isAbort(err, abort.signal)) {
        answer.stopped();
        this.#announce('Stopped.');
      } else if (err instanceof ApiError && (err.status === 409 || err.status === 404)) {
        state = 'closed';
        answer.notice(err.message);
        this.#announce(err.message);
      } else {
        answer.failed(errorText(err));
        this.#announce(errorText(err));
      }
    } finally {
      markConfirmCard(el, state);
      this.#abort = null;
      this.#setBusy(false);
      this.#scrollToEnd();
      // The pressed button was disabled: keep keyboard focus in the widget.
      if (hadFocus && (!this.#root.activeElement || el.contains(this.#root.activeElement))) this.#input.focus();
    }
  }

  #answer(onStatus: (s: string) => void = (s) => this.#announce(s)): AnswerView {
    return new AnswerView(this.#base, onStatus, (card, decision, el) => void this.decide(card, decision, el));
  }

  async #exchange(x: Exchange, answer: AnswerView, signal: AbortSignal): Promise<void> {
    let conversationId = await this.#ensureConversation(signal);
    const baseline = this.#known;
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
          this.#setConversation(null);
          conversationId = await this.#ensureConversation(signal);
          continue;
        }
        // Refused after an attempt whose answer was lost: that attempt may have been the one.
        if (err instanceof ApiError && err.status === 409 && lost && (await this.#recover(conversationId, x, baseline, answer, signal, 1))) return;
        if (err instanceof NetworkError) {
          // No answer: the request may have reached the server. Look before sending it again.
          lost = true;
          answer.note('Connection problem. Checking…');
          if (await this.#recover(conversationId, x, baseline, answer, signal, 2)) return;
        }
        if (!isRetryable(err) || attempt >= SEND_ATTEMPTS - 1) throw err;
        const limited = err instanceof ApiError && err.status === 429;
        const wait = backoffMs(attempt, err instanceof ApiError ? err.retryAfterMs : null);
        // Rate limited for long: say so rather than wait silently.
        if (limited && wait > 15_000) throw err;
        answer.note(limited ? `Busy right now. Retrying in ${Math.ceil(wait / 1000)} s…` : 'Connection problem. Retrying…');
        await sleep(wait, signal);
        answer.clearNote();
        continue;
      }
      if (await this.#read(res, answer, signal)) {
        this.#known = Math.max(this.#known, baseline) + x.adds;
        return;
      }
      // The stream dropped: the server finishes and stores the turn anyway, so fetch it rather
      // than sending the message again.
      lost = true;
      answer.note('The connection dropped. Fetching the answer…');
      if (await this.#recover(conversationId, x, baseline, answer, signal, 6)) return;
      throw new NetworkError(new Error('stream dropped'));
    }
  }

  /** Reads an SSE reply into the answer. True when the turn completed. */
  async #read(res: Response, answer: AnswerView, signal: AbortSignal): Promise<boolean> {
    if (!res.body) return false;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = createSseParser((m) => {
      const e = toTurnEvent(m);
      if (!e) return;
      const atEnd = this.#nearEnd();
      answer.apply(e);
      if (atEnd) this.#scrollToEnd();
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

  /** Polls the history for the stored answer of the exchange begun after message `baseline`. */
  async #recover(conversationId: string, x: Exchange, baseline: number, answer: AnswerView, signal: AbortSignal, polls: number): Promise<boolean> {
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
        this.#known = messages.length;
        return true;
      }
    }
    return false;
  }

  async #ensureConversation(signal: AbortSignal): Promise<string> {
    if (this.#conversationId) return this.#conversationId;
    const { id } = await this.#client!.createConversation(signal);
    this.#setConversation(id);
    this.#known = 0;
    return id;
  }

  #setConversation(id: string | null): void {
    this.#conversationId = id;
    storageSet(this.#local, `${this.#key}:conversation`, id);
    this.#syncLive();
  }

  // ---- live updates: invoice cards turn Paid while the conversation is open ------------------

  /**
   * Holds the live stream exactly when it is wanted: configured, on the page, panel open (never
   * for a panel that has not been opened), history shown, a conversation exists, and neither the
   * token nor this conversation was refused. Otherwise lets it go. Safe to call any time.
   */
  #syncLive(): void {
    const id = this.#conversationId;
    const want =
      id !== null &&
      this.#client !== null &&
      this.isConnected &&
      !this.#pageHidden &&
      !this.#panel.hidden &&
      this.#historyState === 'loaded' &&
      !this.#liveRefused.has('*') &&
      !this.#liveRefused.has(id);
    if (this.#live && (!want || this.#live.conversationId !== id)) {
      this.#live.abort.abort();
      this.#live = null;
    }
    if (want && !this.#live) {
      const live = { conversationId: id, abort: new AbortController() };
      this.#live = live;
      void this.#runLive(live);
    }
  }

  /** Keeps a stream open, reconnecting with backoff, until aborted or refused. */
  async #runLive(live: { conversationId: string; abort: AbortController }): Promise<void> {
    const signal = live.abort.signal;
    for (let attempt = 0; !signal.aborted; ) {
      const started = Date.now();
      let retryAfterMs: number | null = null;
      try {
        const res = await this.#client!.conversationEvents(live.conversationId, signal);
        // Updates sent while we were not listening (a drop, a closed panel, a page load) are
        // not replayed: look up the invoices on screen once the stream is listening.
        void this.#catchUp(signal);
        await this.#readLive(res, signal);
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiError && !isRetryable(err)) {
          // 401 (after asking the host page for a fresh token): the session is over. 404: the
          // conversation is gone. Trying again would not change the answer.
          this.#liveRefused.add(err.status === 401 ? '*' : live.conversationId);
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

  /** Reads the stream until it ends, fails, goes silent (no heartbeat) or is aborted. */
  async #readLive(res: Response, signal: AbortSignal): Promise<void> {
    if (!res.body) return;
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
        this.#liveSeen.set(u.invoiceNumber, ++this.#liveSeq);
        this.#applyInvoiceUpdate(u);
      }
    });
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
  }

  /** Looks up the unsettled invoices on screen and brings their cards up to date. */
  async #catchUp(signal: AbortSignal): Promise<void> {
    const since = this.#liveSeq;
    const numbers = new Set<string>();
    for (const card of this.#log.querySelectorAll<HTMLElement>('article[data-invoice]')) {
      const n = card.dataset['invoice'];
      if (n && !SETTLED.has(card.dataset['status'] ?? '')) numbers.add(n);
    }
    const updates: InvoiceUpdate[] = [];
    for (const n of [...numbers].slice(0, CATCH_UP_MAX)) {
      try {
        const u = toInvoiceUpdate(await this.#client!.invoice(n, signal));
        if (u && u.invoiceNumber === n) updates.push(u);
      } catch {
        // Aborted, or not found: the cards stay as they are.
        if (signal.aborted) return;
      }
    }
    if (signal.aborted) return;
    // A live update that arrived meanwhile is newer than what we read.
    for (const u of updates) if ((this.#liveSeen.get(u.invoiceNumber) ?? 0) <= since) this.#applyInvoiceUpdate(u);
  }

  /** Updates every card of the invoice in the log, and says so in the status region. */
  #applyInvoiceUpdate(u: InvoiceUpdate): void {
    let change: 'status' | 'amount' | null = null;
    for (const card of this.#log.querySelectorAll<HTMLElement>('article[data-invoice]')) {
      if (card.dataset['invoice'] !== u.invoiceNumber) continue;
      const c = updateInvoiceCard(card, u);
      if (c === 'status' || (c === 'amount' && change === null)) change = c;
    }
    if (change === 'status') this.#announceNews(`Invoice ${u.invoiceNumber} is now ${u.statusLabel}.`);
    else if (change === 'amount') this.#announceNews(`Invoice ${u.invoiceNumber} now has ${u.amountDue.display} due.`);
  }

  /** Announces updates politely; several in the same moment are read as one message. */
  #announceNews(text: string): void {
    if (this.#news.push(text) === 1) queueMicrotask(() => this.#announce(this.#news.splice(0).join(' ')));
  }

  #historyWaiters: Array<() => void> = [];
  #whenHistoryLoaded(): Promise<void> {
    return new Promise((resolve) => this.#historyWaiters.push(resolve));
  }

  async #loadHistory(): Promise<void> {
    if (!this.#client) return;
    this.#historyState = 'loading';
    try {
      if (!this.#conversationId) {
        this.#showSuggestions();
        return;
      }
      let messages: StoredMessage[] = [];
      try {
        messages = await this.#client.history(this.#conversationId);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) this.#setConversation(null);
        else this.#showBanner(`${errorText(err)} Your earlier messages could not be loaded.`);
      }
      this.#known = messages.length;
      if (messages.length === 0) {
        this.#showSuggestions();
        return;
      }
      // Earlier messages are not news: render them without announcing each one.
      this.#log.setAttribute('aria-live', 'off');
      for (const m of messages) {
        if (m.role === 'user') this.#appendUser(m.text);
        else {
          const a = this.#answer(() => undefined);
          a.complete(m.text, m.cards, m.status);
          this.#appendNode(a.el);
        }
      }
      this.#scrollToEnd();
      requestAnimationFrame(() => this.#log.setAttribute('aria-live', 'polite'));
    } finally {
      this.#historyState = 'loaded';
      for (const w of this.#historyWaiters.splice(0)) w();
      this.#syncLive();
    }
  }

  #restart(): void {
    this.stop();
    this.#setConversation(null);
    this.#known = 0;
    this.#log.replaceChildren();
    this.#hideBanner();
    this.#showSuggestions();
    this.#announce('Started a new conversation.');
    this.#input.focus();
  }

  #showSuggestions(): void {
    if (this.#log.childElementCount === 0) this.#log.append(this.#suggestions);
  }

  #appendUser(text: string): void {
    this.#appendNode(h('div', { class: 'msg msg-user', attrs: { 'data-role': 'user' } }, h('span', { class: 'sr-only', text: 'You: ' }), h('div', { class: 'bubble', text })));
  }

  #appendNode(node: HTMLElement): void {
    this.#log.append(node);
    this.#scrollToEnd();
  }

  #nearEnd(): boolean {
    return this.#log.scrollHeight - this.#log.scrollTop - this.#log.clientHeight < 80;
  }

  #scrollToEnd(): void {
    this.#log.scrollTop = this.#log.scrollHeight;
  }

  #setBusy(busy: boolean): void {
    this.#busy = busy;
    this.#send.hidden = busy;
    this.#stop.hidden = !busy;
    this.#log.setAttribute('aria-busy', busy ? 'true' : 'false');
    if (busy && this.#root.activeElement === this.#send) this.#stop.focus();
  }

  #announce(text: string): void {
    this.#status.textContent = text;
  }

  #showBanner(text: string): void {
    this.#banner.textContent = text;
    this.#banner.hidden = false;
  }

  #hideBanner(): void {
    this.#banner.hidden = true;
    this.#banner.textContent = '';
  }

  #autosize(): void {
    this.#input.style.height = 'auto';
    this.#input.style.height = `${Math.min(this.#input.scrollHeight + 2, 120)}px`;
  }

  #applyStyles(): void {
    // Constructable stylesheets: no <style> element, so host pages need no style-src 'unsafe-inline'.
    if ('adoptedStyleSheets' in this.#root && typeof CSSStyleSheet !== 'undefined' && 'replaceSync' in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(WIDGET_CSS);
      this.#root.adoptedStyleSheets = [sheet];
    } else {
      this.#root.append(h('style', { text: WIDGET_CSS }));
    }
  }
}
