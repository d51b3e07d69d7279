import type { StoredMessage } from './api.js';
import type { AnswerView } from './answer.js';
import { h } from './dom.js';
import { t } from './i18n.js';

/** The four commands of the product brief, offered on first use (in the widget's language). */
const SUGGESTIONS = ['widget.suggest.balance', 'widget.suggest.invoice', 'widget.suggest.open', 'widget.suggest.email'] as const;

/**
 * The conversation log (messages, suggestions, scrolling) with the panel's two other regions that
 * speak to screen readers: the status line (polite) and the banner (an alert).
 */
export class MessageList {
  readonly log: HTMLElement;
  readonly status: HTMLElement;
  readonly banner: HTMLElement;
  readonly #suggestions: HTMLElement;
  readonly #news: string[] = [];

  constructor(onSuggestion: (text: string) => void) {
    this.log = h('div', {
      class: 'log',
      attrs: { role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': t('widget.log'), tabindex: '0' },
    });
    this.#suggestions = h(
      'div',
      { class: 'suggestions', attrs: { role: 'group', 'aria-labelledby': 'ba-suggest-title' } },
      h('p', { attrs: { id: 'ba-suggest-title' }, text: t('widget.intro') }),
      ...SUGGESTIONS.map((key) => {
        const s = t(key);
        const b = h('button', { class: 'chip', attrs: { type: 'button' }, text: s });
        b.onclick = () => onSuggestion(s);
        return b;
      }),
    );
    this.status = h('p', { class: 'sr-only', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.banner = h('p', { class: 'banner', attrs: { role: 'alert' } });
    this.banner.hidden = true;
  }

  showSuggestions(): void {
    if (this.log.childElementCount === 0) this.log.append(this.#suggestions);
  }

  removeSuggestions(): void {
    this.#suggestions.remove();
  }

  /** Empties the log (a new conversation). */
  clear(): void {
    this.log.replaceChildren();
  }

  appendUser(text: string): void {
    this.append(h('div', { class: 'msg msg-user', attrs: { 'data-role': 'user' } }, h('span', { class: 'sr-only', text: `${t('widget.you')} ` }), h('div', { class: 'bubble', text })));
  }

  append(node: HTMLElement): void {
    this.log.append(node);
    this.scrollToEnd();
  }

  /** Earlier messages are not news: renders them without announcing each one. */
  renderHistory(messages: StoredMessage[], newAnswer: () => AnswerView): void {
    this.log.setAttribute('aria-live', 'off');
    for (const m of messages) {
      if (m.role === 'user') this.appendUser(m.text);
      else {
        const a = newAnswer();
        a.complete(m.text, m.cards, m.status, m.id);
        this.append(a.el);
      }
    }
    this.scrollToEnd();
    requestAnimationFrame(() => this.log.setAttribute('aria-live', 'polite'));
  }

  /** Runs a change to the log; keeps the end in view when the reader was already there. */
  follow(change: () => void): void {
    const atEnd = this.#nearEnd();
    change();
    if (atEnd) this.scrollToEnd();
  }

  #nearEnd(): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
  }

  scrollToEnd(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }

  setBusy(busy: boolean): void {
    this.log.setAttribute('aria-busy', String(busy));
  }

  announce(text: string): void {
    this.status.textContent = text;
  }

  /** Announces updates politely; several in the same moment are read as one message. */
  announceNews(text: string): void {
    if (this.#news.push(text) === 1) queueMicrotask(() => this.announce(this.#news.splice(0).join(' ')));
  }

  showBanner(text: string): void {
    this.banner.textContent = text;
    this.banner.hidden = false;
  }

  hideBanner(): void {
    this.banner.hidden = true;
    this.banner.textContent = '';
  }
}
