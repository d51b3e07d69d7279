import Negotiator from 'negotiator';
import type { Locale } from './locales.js';

/**
 * The best of our locales for an `Accept-Language` header (negotiator parses q-values and ranges),
 * or null when it names none of our languages. Any French (fr, fr-FR, fr-BE) gets fr-CA and any
 * English gets en-CA: we have one variety of each.
 */
export function localeFromAcceptLanguage(header: string | string[] | undefined | null): Locale | null {
  if (!header) return null;
  const ranked = new Negotiator({ headers: { 'accept-language': Array.isArray(header) ? header.join(',') : header } }).languages();
  for (const tag of ranked) {
    const lang = tag.toLowerCase().split('-')[0];
    if (lang === 'fr') return 'fr-CA';
    if (lang === 'en') return 'en-CA';
  }
  return null;
}
