import { h, icon, ICONS } from './dom.js';
import { t } from './i18n.js';

export interface ComposerActions {
  /** The form was submitted (Send, or Enter without Shift): the raw text of the input. */
  send(text: string): void;
  /** The Stop button was pressed. */
  stop(): void;
}

/** The message form: a growing text area, Send (Enter) and, while a reply streams, Stop. */
export class Composer {
  readonly form: HTMLFormElement;
  readonly input: HTMLTextAreaElement;
  readonly sendButton: HTMLButtonElement;
  readonly stopButton: HTMLButtonElement;

  constructor(actions: ComposerActions) {
    this.input = h('textarea', {
      attrs: { id: 'ba-input', rows: '1', placeholder: t('widget.placeholder'), autocomplete: 'off', maxlength: '4000', enterkeyhint: 'send' },
    });
    this.sendButton = h('button', { class: 'send', attrs: { type: 'submit', 'aria-label': t('widget.sendLabel') } }, icon(ICONS.send), h('span', { text: t('widget.send') }));
    this.stopButton = h('button', { class: 'stop', attrs: { type: 'button', 'aria-label': t('widget.stopLabel') } }, icon(ICONS.stop), h('span', { text: t('widget.stop') }));
    this.stopButton.hidden = true;
    this.form = h(
      'form',
      { class: 'composer', attrs: { 'aria-label': t('widget.form') } },
      h('label', { class: 'sr-only', attrs: { for: 'ba-input' }, text: t('widget.input') }),
      this.input,
      this.sendButton,
      this.stopButton,
    );
    this.stopButton.addEventListener('click', () => actions.stop());
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      actions.send(this.input.value);
    });
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        actions.send(this.input.value);
      }
    });
    this.input.addEventListener('input', () => this.#autosize());
  }

  /** Empties the input (the message is on its way). */
  clear(): void {
    this.input.value = '';
    this.#autosize();
  }

  focus(): void {
    this.input.focus();
  }

  /** While a reply streams, Stop takes the place of Send. */
  setBusy(busy: boolean): void {
    this.sendButton.hidden = busy;
    this.stopButton.hidden = !busy;
  }

  #autosize(): void {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight + 2, 120)}px`;
  }
}
