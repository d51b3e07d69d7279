import type { Card, TurnEvent } from '../../agent/types.js';
import type { StoredMessage } from './api.js';
import { renderCard, type OnDecide } from './cards.js';
import { errorText } from './connection.js';
import { h, icon } from './dom.js';
import { t } from './i18n.js';
import { renderMarkdown } from './markdown.js';

/** A thumbs-down (the hand, then the cuff). */
const THUMB_DOWN = 'M15 3H6L2 12v2c0 1 1 2 2 2h6l-1 5 1 1 7-7V3zm4 0v12h4V3z';

/** Sends a thumbs-down on the stored answer `id`, with the user's comment when there is one. */
export type OnFlag = (id: string, comment?: string) => Promise<unknown>;

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

  // Private fields rather than parameter properties: the bundle has a size budget, and private names minify.
  readonly #base: string;
  readonly #onStatus: (s: string) => void;
  readonly #onDecide: OnDecide | undefined;
  readonly #onFlag: OnFlag | undefined;

  constructor(base: string, onStatus: (s: string) => void, onDecide?: OnDecide, onFlag?: OnFlag) {
    this.#base = base;
    this.#onStatus = onStatus;
    this.#onDecide = onDecide;
    this.#onFlag = onFlag;
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
        this.#onStatus(`${e.label}…`);
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
        this.complete(e.text, e.cards, 'complete', e.messageId);
        break;
    }
  }

  /** The authoritative answer: replaces what was streamed. With its stored `id`, it can be flagged. */
  complete(text: string, cards: Card[], status: StoredMessage['status'], id?: string): void {
    this.completed = true;
    this.#text.replaceChildren(...renderMarkdown(text));
    this.#cardList = cards;
    this.#cards.replaceChildren();
    for (const c of cards) this.#appendCard(c);
    this.#steps.clear();
    if (status === 'error') this.el.classList.add('msg-error');
    this.#settle('complete');
    if (id && this.#onFlag) this.el.append(this.#feedback(id, this.#onFlag));
  }

  /**
   * The thumbs-down, one form in two steps: the thumb (its first submit) flags the answer at once;
   * then a comment box appears, and sending it flags the answer again with the comment.
   */
  #feedback(id: string, flag: OnFlag): HTMLElement {
    const say = h('p', { class: 'note', attrs: { role: 'status' } });
    // No maxlength: the server's 400 names the limit (2000), and the bundle has a size budget.
    const input = h('textarea', { attrs: { 'aria-label': t('widget.feedback.comment') } });
    const send = h('button', { class: 'chip', text: t('widget.feedback.send') });
    const thumb = h('button', { class: 'icon-btn', attrs: { 'aria-label': t('widget.feedback.flag'), 'aria-pressed': 'false' } }, icon(THUMB_DOWN));
    const form = h('form', { class: 'fb' }, thumb, say);
    form.onsubmit = async (e) => {
      e.preventDefault();
      const comment = thumb.disabled ? input.value.trim() : undefined;
      if (comment === '') return;
      thumb.disabled = true;
      try {
        await flag(id, comment);
        thumb.setAttribute('aria-pressed', 'true');
        say.textContent = t(comment ? 'widget.feedback.thanks' : 'widget.feedback.flagged');
        if (comment) {
          input.remove();
          send.remove();
        } else {
          say.before(input, send);
          input.focus();
        }
      } catch (err) {
        say.textContent = errorText(err);
        thumb.disabled = comment !== undefined;
      }
    };
    return form;
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
    const el = renderCard(card, this.#base, this.#onDecide);
    if (el) this.#cards.append(el);
  }
}
