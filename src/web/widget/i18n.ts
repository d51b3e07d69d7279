import type { status } from '../../i18n/catalogue/status.js';
import type { Messages } from '../../i18n/catalogue/types.js';
import type { widget } from '../../i18n/catalogue/widget.js';
import { DEFAULT_LOCALE, isLocale, type Locale } from '../../i18n/locales.js';

/**
 * The widget's tiny lookup over the catalogue (i18next is too big for the bundle). The widget
 * reads two areas, `widget` and `status`, in one locale: the server sends them
 * (GET /v1/widget/messages/:locale, src/web/widget-bundle.ts), so the bundle carries no strings
 * and a page loads only its own language. `{{name}}` interpolates; a `count` picks the plural
 * form through Intl.PluralRules (`_one`/`_other`, and `_many` in French). One locale per page.
 */

/** The areas the widget reads, in one locale. */
export interface WidgetMessages {
  widget: Messages;
  status: Messages;
}

type Areas = { widget: typeof widget; status: typeof status };
/** Every key of those areas, without plural suffixes ('widget.balance.open', 'status.paid'): checked when compiling. */
type Keys<M, P extends string> = {
  [K in keyof M & string]: M[K] extends string ? `${P}.${K extends `${infer B}_${'one' | 'many' | 'other'}` ? B : K}` : Keys<M[K], `${P}.${K}`>;
}[keyof M & string];
export type MessageKey = { [A in keyof Areas]: Keys<Areas[A]['en-CA'], A> }[keyof Areas];

let current: Locale = DEFAULT_LOCALE;
let plurals = new Intl.PluralRules(current);
let messages: WidgetMessages = { widget: {}, status: {} };

export const locale = (): Locale => current;

export function useMessages(l: Locale, m: WidgetMessages): void {
  current = l;
  plurals = new Intl.PluralRules(l);
  messages = m;
}

/**
 * The widget's locale: the page's `data-locale`, then the token's `locale` claim, then the
 * browser's first English or French language (fr* → fr-CA), then en-CA.
 */
export function pickWidgetLocale(explicit: unknown, claim: unknown, languages: readonly string[]): Locale {
  if (isLocale(explicit)) return explicit;
  if (isLocale(claim)) return claim;
  const lang = languages.find((l) => /^(en|fr)\b/i.test(l));
  return lang && /^fr/i.test(lang) ? 'fr-CA' : DEFAULT_LOCALE;
}

/**
 * The message `key` in the widget's locale (the key itself when missing); numbers are formatted
 * for the locale. A key without its area is a `widget` one (the bundle shortens them so).
 */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  const count = vars['count'];
  const path = (typeof count === 'number' ? `${key}_${plurals.select(count)}` : key).split('.');
  let m: Messages | string | undefined = messages[path[0] === 'status' || path[0] === 'widget' ? (path.shift() as keyof WidgetMessages) : 'widget'];
  for (const p of path) m = typeof m === 'object' ? m[p] : undefined;
  if (typeof m !== 'string') return key;
  return m.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const v = vars[name] ?? '';
    return typeof v === 'number' ? v.toLocaleString(current) : v;
  });
}
