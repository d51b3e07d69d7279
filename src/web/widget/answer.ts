import type { Card, TurnEvent } from '../../agent/types.js';
import type { StoredMessage } from './api.js';
import { renderCard, type OnDecide } from './cards.js';
import { h } from './dom.js';
import { t } from './i18n.js';
import { renderMarkdown } from './markdown.js';

/** One assistant answer in the log: text, tool progress, cards; built as events arrive. */
export class AnswerView {
  readonly el: HTMLElement;
  readonly #text: HTMLElement;
  readonly #progress: HTMLUListElement;
  readonly #cards: HTMLElement;
  readonly #notes: HTMLElement;
  readonly #steps = new Map<string, HTMLLIElement>();
  #streamed = '';
  #cardList: Card[] = [];
  completed = false;

  constructor(
    private readonly base: string,
    private readonly onStatus: (s: string) => void,
    private readonly onDecide?: OnDecide,
  ) {
    this.#text = h('div', { class: 'bubble md' });
    this.#progress = h('ul', { class: 'progress', attrs: { 'aria-label': t('widget.progress') } });
    this.#cards = h('div', { class: 'cards' });
    this.#notes = h('div');
    this.el = h(
      'div',
      { class: 'msg msg-assistant', attrs: { 'aria-busy': 'true', 'data-role': 'assistant' } },
      h('span', { class: 'sr-only', text: `${t('widget.assistant')} ` }),
      this.#progress,
      this.#text,
      this.#cards,
      this.#notes,
    );
    this.#progress.hidden = true;
  }

  apply(e: TurnEvent): void {
    switch (e.type) {
      case 'text_delta':
        this.#streamed += e.text;
        this.#text.replaceChildren(...renderMarkdown(this.#streamed));
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
    this.#text.replaceChildren(...renderMarkdown(text));
    this.#cardList = cards;
    this.#cards.replaceChildren();
    for (const c of cards) this.#appendCard(c);
    this.#steps.clear();
    if (status === 'error') this.el.classList.add('msg-error');
    this.#settle('complete');
  }

  stopped(): void {
    this.#notes.replaceChildren(h('p', { class: 'note note-stopped', text: t(this.#streamed ? 'widget.incomplete' : 'widget.stopped') }));
    this.#settle('stopped');
  }

  failed(message: string): void {
    this.el.classList.add('msg-error');
    if (!this.#streamed && this.#cardList.length === 0) this.#text.textContent = message;
    else this.note(message);
    this.#settle('error');
  }

  /** The server refused (a decided or unknown proposal): its message, as a notice. */
  notice(message: string): void {
    this.clearNote();
    this.complete(message, [], 'complete');
    this.el.classList.add('msg-notice');
    this.#settle('notice');
  }

  /** The answer is over (`state`): no more progress, no longer busy. */
  #settle(state: string): void {
    this.#progress.replaceChildren();
    this.#progress.hidden = true;
    this.el.setAttribute('aria-busy', 'false');
    this.el.setAttribute('data-state', state);
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
