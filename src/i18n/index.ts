import i18next, { type i18n } from 'i18next';
import { messagesFor } from './catalogue/index.js';
import { DEFAULT_LOCALE, LOCALES, type Locale } from './locales.js';
import { statusLabelKey } from './status-keys.js';

/**
 * Server-side translation through i18next (plural rules from Intl.PluralRules, interpolation,
 * one instance for the process). Messages are plain text: whoever writes them into HTML escapes
 * them, so interpolation does not escape. The widget reads the same catalogue through its own
 * tiny lookup (src/web/widget/i18n.ts) to keep its size budget.
 */
export * from './locales.js';
export { localeFromAcceptLanguage } from './accept-language.js';

export type Vars = Record<string, string | number | bigint | boolean | null | undefined>;
export type Translate = (key: string, vars?: Vars) => string;

let instance: i18n | null = null;

function i18n(): i18n {
  if (instance) return instance;
  const inst = i18next.createInstance();
  void inst.init({
    resources: Object.fromEntries(LOCALES.map((l) => [l, { translation: messagesFor(l) }])),
    lng: DEFAULT_LOCALE,
    supportedLngs: [...LOCALES],
    fallbackLng: false,
    initAsync: false,
    returnNull: false,
    returnEmptyString: false,
    interpolation: { escapeValue: false },
    showSupportNotice: false,
  } as Parameters<i18n['init']>[0]);
  instance = inst;
  return inst;
}

/** The message `key` in `locale`. A missing key throws in tests (the catalogue test keeps both languages complete). */
export function t(locale: Locale, key: string, vars?: Vars): string {
  const out = i18n().t(key, { lng: locale, ...(vars as Record<string, unknown>) });
  return typeof out === 'string' ? out : key;
}

/** `t` bound to one locale. */
export function translator(locale: Locale): Translate {
  return (key, vars) => t(locale, key, vars);
}


/** An invoice status as people read it in `locale` ("Overdue (partially paid)", "En retard (partiellement payée)"). */
export function statusLabel(locale: Locale, status: string, partiallyPaid = false): string {
  return t(locale, statusLabelKey(status, partiallyPaid));
}
