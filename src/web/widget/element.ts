import type { TurnEvent } from '../../agent/types.js';
import { ApiError, fetchMessages, isAbort, type StoredMessage } from './api.js';
import { AnswerView } from './answer.js';
import { markConfirmCard, type ConfirmCard, type Decision } from './cards.js';
import { Composer } from './composer.js';
import { Connection, decisionExchange, errorText, messageExchange, type Exchange } from './connection.js';
import { h, icon, ICONS } from './dom.js';
import { locale, pickWidgetLocale, t, useMessages } from './i18n.js';
import { LiveUpdates } from './live.js';
import { MessageList } from './message-list.js';
import { tokenClaims, WidgetStore } from './storage.js';
import WIDGET_CSS from './styles.css';

/**
 * The widget's shell: the <billing-assistant> element, its launcher and panel (open, close, a new
 * conversation), and the turns it runs. The parts: the composer (composer.ts), the message list
 * and its answers (message-list.ts, answer.ts), the cards (cards.ts), and the connection to the
 * API (connection.ts for a turn's reply stream, live.ts for the live updates).
 */

export interface WidgetOptions {
  /** Origin (and optional path prefix) of the Billing Assistant API, e.g. "https://billing.example". */
  apiBase: string;
  /** Returns the portal session token (a JWT). Called again once when the API answers 401. */
  getToken: () => string | Promise<string>;
  /** Open the panel right away. */
  open?: boolean;
  /** The page's language (en-CA or fr-CA); otherwise the token's `locale` claim, then the browser's languages. */
  locale?: string | undefined;
}

/** Constructable stylesheets (every target browser has them): no <style> element, so host pages need no style-src 'unsafe-inline'. */
function applyStyles(root: ShadowRoot): void {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(WIDGET_CSS);
  root.adoptedStyleSheets = [sheet];
}

/**
 * Keeps the root on what is on screen: the visual viewport's offset and size as CSS variables
 * (it shrinks above an on-screen keyboard, and is narrower than the layout viewport on a page
 * wider than the phone). Returns the function that stops following it.
 */
function followVisualViewport(root: HTMLElement): () => void {
  const vv = window.visualViewport;
  if (!vv) return () => undefined;
  // CSSOM (not a style attribute), so the host page's style-src needs no 'unsafe-inline'.
  const sync = (): void => {
    root.style.cssText = `--ba-vx:${vv.offsetLeft}px;--ba-vy:${vv.offsetTop}px;--ba-vw:${vv.width}px;--ba-vh:${vv.height}px`;
  };
  const stop = new AbortController();
  sync();
  vv.addEventListener('resize', sync, { signal: stop.signal });
  vv.addEventListener('scroll', sync, { signal: stop.signal });
  return () => stop.abort();
}

const iconButton = (label: string, path: string): HTMLButtonElement => h('button', { class: 'icon-btn', attrs: { type: 'button', 'aria-label': label } }, icon(path));

export class BillingAssistantElement extends HTMLElement {
  readonly #root: ShadowRoot;
  readonly #shell = h('div', { class: 'root' });
  // Built by configure once the language is known (it may take the token) and its messages are
  // in: open() before then waits for them, and everything else needs the API client, made after.
  #launcher!: HTMLButtonElement;
  #panel!: HTMLElement;
  #list!: MessageList;
  #composer!: Composer;
  #live!: LiveUpdates;
  #openWhenBuilt = false;
  readonly #store = new WidgetStore();
  readonly #conn = new Connection(this.#store, () => this.#syncLive());

  #historyState: 'idle' | 'loading' | 'loaded' = 'idle';
  #historyWaiters: Array<() => void> = [];
  #busy = false;
  #abort: AbortController | null = null;
  #pageHidden = false;
  #unfollow = (): void => undefined;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    applyStyles(this.#root);
    this.#root.append(this.#shell);
  }

  /** The launcher and the panel, in the widget's language. */
  #build(): void {
    this.#list = new MessageList((text) => void this.send(text));
    this.#live = new LiveUpdates(this.#list);
    this.#composer = new Composer({ send: (text) => void this.send(text), stop: () => this.stop() });
    const title = t('widget.title');
    this.#launcher = h(
      'button',
      { class: 'launcher', attrs: { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'ba-panel', 'aria-haspopup': 'dialog' } },
      icon(ICONS.chat),
      h('span', { text: title }),
    );
    const close = iconButton(t('widget.close'), ICONS.close);
    const restart = iconButton(t('widget.restart'), ICONS.plus);
    this.#panel = h(
      'section',
      { class: 'panel', attrs: { id: 'ba-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'ba-title', tabindex: '-1' } },
      h('div', { class: 'panel-head' }, h('h2', { attrs: { id: 'ba-title' }, text: title }), restart, close),
      this.#list.log,
      this.#list.banner,
      this.#composer.form,
      h('p', { class: 'footnote', text: t('widget.footnote') }),
      this.#list.status,
    );
    this.#panel.hidden = true;
    this.#shell.lang = locale();
    this.#shell.replaceChildren(this.#panel, this.#launcher);

    // Handler properties, not addEventListener: the widget's own elements have one handler each, and the bundle has a size budget.
    this.#launcher.onclick = () => (this.#panel.hidden ? this.open() : this.close());
    close.onclick = () => this.close();
    restart.onclick = () => this.#restart();
    this.#panel.onkeydown = (e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        this.close();
      }
    };
  }

  connectedCallback(): void {
    window.addEventListener('pagehide', this.#onPageHide);
    window.addEventListener('pageshow', this.#onPageShow);
    this.#unfollow = followVisualViewport(this.#shell);
    this.#syncLive();
  }

  disconnectedCallback(): void {
    window.removeEventListener('pagehide', this.#onPageHide);
    window.removeEventListener('pageshow', this.#onPageShow);
    this.#unfollow();
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

  /**
   * Picks the language (data-locale, the token's claim, the browser's), loads its messages, builds
   * the launcher and the panel and connects them to the API. Called once by `init` (or the script tag).
   */
  async configure(opts: WidgetOptions): Promise<void> {
    const base = new URL(opts.apiBase, document.baseURI).href;
    let token: string | null = null;
    try {
      token = await opts.getToken();
    } catch {
      // Said on the panel below; the client asks again with each request.
    }
    const l = pickWidgetLocale(opts.locale, token === null ? null : tokenClaims(token)['locale'], navigator.languages);
    try {
      useMessages(l, await fetchMessages(base, l));
    } catch (err) {
      // Without its words the widget shows nothing (nor could it reach the API to chat): say why.
      // eslint-disable-next-line no-console -- for the host page's developer
      console.warn('Billing Assistant: could not load its messages', err);
      return;
    }
    this.#build();
    this.#conn.connect(base, opts.getToken, token);
    if (token === null) this.#list.showBanner(t('widget.error.session'));
    else this.#store.useToken(token);
    this.#conn.resume();
    if (opts.open || this.#store.open || this.#openWhenBuilt) this.open({ focus: false });
  }

  open(opts: { focus?: boolean } = {}): void {
    if (!this.#panel) {
      this.#openWhenBuilt = true;
      return;
    }
    this.#panel.hidden = false;
    this.#shell.classList.add('open');
    this.#launcher.setAttribute('aria-expanded', 'true');
    this.#store.open = true;
    // On a touch screen, focusing the input would raise the keyboard over the sheet: focus the dialog.
    if (opts.focus !== false) (matchMedia('(pointer: coarse)').matches ? this.#panel : this.#composer).focus();
    if (this.#historyState === 'idle') void this.#loadHistory();
    this.#syncLive();
  }

  close(): void {
    this.#openWhenBuilt = false;
    if (!this.#panel) return;
    this.#panel.hidden = true;
    this.#shell.classList.remove('open');
    this.#launcher.setAttribute('aria-expanded', 'false');
    this.#store.open = false;
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
    const client = this.#conn.client;
    if (!text || this.#busy || !client) return;
    if (this.#panel.hidden) this.open();
    if (this.#historyState === 'loading') await this.#whenHistoryLoaded();
    this.#list.removeSuggestions();
    this.#list.hideBanner();
    this.#composer.clear();
    this.#list.appendUser(text);
    const answer = this.#answer();
    this.#list.append(answer.el);
    this.#setBusy(true);
    try {
      await this.#runExchange(messageExchange(client, text), answer);
    } finally {
      // The Stop button disappears with the reply: keep keyboard focus in the composer.
      const focusWasOnStop = this.#root.activeElement === this.#composer.stopButton;
      this.#setBusy(false);
      this.#list.scrollToEnd();
      if (focusWasOnStop) this.#composer.focus();
    }
  }

  /**
   * Approves or declines the proposal on a confirm card. The reply (with its receipt card) arrives
   * like a message's, with the same token refresh and retries; a refusal (409 already decided or
   * expired, 404 unknown) shows the server's message and leaves the buttons disabled.
   */
  async decide(card: ConfirmCard, decision: Decision, el: HTMLElement): Promise<void> {
    const client = this.#conn.client;
    if (this.#busy || !client || !this.#conn.conversationId) return;
    const hadFocus = el.contains(this.#root.activeElement);
    markConfirmCard(el, 'busy');
    this.#list.hideBanner();
    const answer = this.#answer();
    this.#list.append(answer.el);
    this.#setBusy(true);
    let state: Parameters<typeof markConfirmCard>[1] = 'open';
    try {
      const refused = (err: unknown): boolean => {
        if (!(err instanceof ApiError && (err.status === 409 || err.status === 404))) return false;
        state = 'closed';
        answer.notice(err.message);
        this.#list.announce(err.message);
        return true;
      };
      if (await this.#runExchange(decisionExchange(client, card, decision), answer, refused)) state = decision === 'approve' ? 'approved' : 'declined';
    } finally {
      markConfirmCard(el, state);
      this.#setBusy(false);
      this.#list.scrollToEnd();
      // The pressed button was disabled: keep keyboard focus in the widget.
      if (hadFocus && (!this.#root.activeElement || el.contains(this.#root.activeElement))) this.#composer.focus();
    }
  }

  /**
   * Runs one exchange into the answer, stoppable with Stop. True when the reply completed; a stop
   * or a failure is shown on the answer (`refused` may claim a failure and show it its own way).
   */
  async #runExchange(x: Exchange, answer: AnswerView, refused?: (err: unknown) => boolean): Promise<boolean> {
    const abort = new AbortController();
    this.#abort = abort;
    try {
      const onEvent = (e: TurnEvent) => this.#list.follow(() => answer.apply(e));
      await this.#conn.exchange(x, answer, abort.signal, onEvent);
      // The token works again (the host page refreshed it): live updates may resume.
      if (this.#live.tokenWorks()) this.#syncLive();
      return true;
    } catch (err) {
      if (isAbort(err, abort.signal)) {
        answer.stopped();
        this.#list.announce(t('widget.stopped'));
      } else if (!refused?.(err)) {
        answer.failed(errorText(err));
        this.#list.announce(errorText(err));
      }
      return false;
    } finally {
      this.#abort = null;
    }
  }

  #answer(onStatus: (s: string) => void = (s) => this.#list.announce(s)): AnswerView {
    return new AnswerView(
      this.#conn.base,
      onStatus,
      (card, decision, el) => void this.decide(card, decision, el),
      // Answers on screen are the current conversation's (a new conversation clears them).
      (id, comment) => this.#conn.client!.feedback(this.#conn.conversationId!, id, comment),
    );
  }

  /**
   * Holds the live stream (invoice cards turn Paid) exactly when it is wanted: on the page, panel
   * open (never for a panel that has not been opened), history shown, a conversation exists.
   */
  #syncLive(): void {
    if (!this.#live) return; // not built yet
    const ready = this.isConnected && !this.#pageHidden && !this.#panel.hidden && this.#historyState === 'loaded';
    this.#live.sync(this.#conn.client, ready ? this.#conn.conversationId : null);
  }

  #whenHistoryLoaded(): Promise<void> {
    return new Promise((resolve) => this.#historyWaiters.push(resolve));
  }

  async #loadHistory(): Promise<void> {
    const client = this.#conn.client;
    const conversationId = this.#conn.conversationId;
    if (!client) return;
    this.#historyState = 'loading';
    try {
      if (!conversationId) {
        this.#list.showSuggestions();
        return;
      }
      let messages: StoredMessage[] = [];
      try {
        messages = await client.history(conversationId);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) this.#conn.setConversation(null);
        else this.#list.showBanner(t('widget.error.history', { error: errorText(err) }));
      }
      this.#conn.known = messages.length;
      if (messages.length === 0) {
        this.#list.showSuggestions();
        return;
      }
      this.#list.renderHistory(messages, () => this.#answer(() => undefined));
    } finally {
      this.#historyState = 'loaded';
      for (const w of this.#historyWaiters.splice(0)) w();
      this.#syncLive();
    }
  }

  #restart(): void {
    this.stop();
    this.#conn.setConversation(null);
    this.#conn.known = 0;
    this.#list.clear();
    this.#list.hideBanner();
    this.#list.showSuggestions();
    this.#list.announce(t('widget.restarted'));
    this.#composer.focus();
  }

  #setBusy(busy: boolean): void {
    this.#busy = busy;
    this.#composer.setBusy(busy);
    this.#list.setBusy(busy);
    if (busy && this.#root.activeElement === this.#composer.sendButton) this.#composer.stopButton.focus();
  }
}
