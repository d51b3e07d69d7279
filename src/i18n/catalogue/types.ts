import type { Locale } from '../locales.js';

/** Plain-text messages (never HTML: callers escape), nested by topic. `{{name}}` interpolates; `_one`/`_many`/`_other` suffixes are plural forms. */
export interface Messages {
  [key: string]: string | Messages;
}

/** One area of the catalogue (a page, the PDF, the engine's replies…) in every locale, side by side for translators. */
export type Area = Record<Locale, Messages>;
