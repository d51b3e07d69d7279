import { BillingAssistantElement, type WidgetOptions } from './element.js';

/**
 * The Billing Assistant widget. Either one tag:
 *
 *   <script src="https://billing.example/widget.js" data-token="<portal JWT>" defer></script>
 *
 * (data-api-base defaults to the script's own origin; data-locale="fr-CA" or "en-CA" sets the
 * language, otherwise the token's `locale` claim or the browser's languages do), or, to hand over
 * the token from code (`locale` likewise):
 *
 *   <script src="https://billing.example/widget.js" defer></script>
 *   BillingAssistant.init({ apiBase: 'https://billing.example', getToken: async () => token });
 */

export interface WidgetHandle {
  element: BillingAssistantElement;
  open(): void;
  close(): void;
  destroy(): void;
}

export interface InitOptions extends WidgetOptions {
  /** Where to mount the widget; document.body by default. */
  container?: HTMLElement;
}

const TAG = 'billing-assistant';
const VERSION = '1';

declare global {
  interface Window {
    BillingAssistant?: { version: string; init(opts: InitOptions): WidgetHandle };
  }
}

function whenBodyReady(): Promise<void> {
  if (document.body) return Promise.resolve();
  return new Promise((resolve) => document.addEventListener('DOMContentLoaded', () => resolve(), { once: true }));
}

function init(opts: InitOptions): WidgetHandle {
  if (!opts || typeof opts.getToken !== 'function' || typeof opts.apiBase !== 'string') {
    throw new TypeError('BillingAssistant.init: apiBase (string) and getToken (function) are required');
  }
  if (!customElements.get(TAG)) customElements.define(TAG, BillingAssistantElement);
  const el = document.createElement(TAG) as BillingAssistantElement;
  void whenBodyReady().then(() => {
    (opts.container ?? document.body).append(el);
    return el.configure(opts);
  });
  return { element: el, open: () => el.open(), close: () => el.close(), destroy: () => el.remove() };
}

if (!window.BillingAssistant) {
  window.BillingAssistant = { version: VERSION, init };
  // Configured by its own tag: data-token (and optionally data-api-base, data-locale, data-open).
  const script = document.currentScript;
  if (script instanceof HTMLScriptElement && script.dataset['token'] !== undefined) {
    const token = script.dataset['token'];
    const apiBase = script.dataset['apiBase'] || new URL(script.src, document.baseURI).origin;
    init({ apiBase, getToken: () => token, open: script.dataset['open'] === 'true', locale: script.dataset['locale'] });
  }
}
