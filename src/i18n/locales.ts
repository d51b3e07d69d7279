/**
 * The locales the product speaks, and how a request's locale is chosen. Resolution order (the
 * French issue): an explicit choice (the page's `data-locale`, the portal's language switch), then
 * the token's `locale` claim, then `Accept-Language`, then en-CA.
 */
export const LOCALES = ['en-CA', 'fr-CA'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en-CA';

/** A message's language, as the offline engine detects it (replies follow it). */
export type Language = 'en' | 'fr';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

export function languageOf(locale: Locale): Language {
  return locale === 'fr-CA' ? 'fr' : 'en';
}

export function localeOf(language: Language): Locale {
  return language === 'fr' ? 'fr-CA' : 'en-CA';
}

/** The first candidate that is one of our locales (explicit choice, token claim, header…), else en-CA. */
export function pickLocale(...candidates: ReadonlyArray<string | null | undefined>): Locale {
  for (const c of candidates) if (isLocale(c)) return c;
  return DEFAULT_LOCALE;
}
