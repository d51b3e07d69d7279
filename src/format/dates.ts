import { DEFAULT_LOCALE, type Locale } from '../i18n/locales.js';

/**
 * Dates for people, through `Intl` (the one owner of date display; the server, the PDF, the email
 * and the widget bundle all import it). Calendar dates are ISO strings read in UTC, so no local
 * time zone shifts them. Locales are en-CA and fr-CA (src/i18n/locales.ts).
 */

export type DisplayLocale = Locale;

export { DEFAULT_LOCALE };

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})/;

const dateFormats = new Map<string, Intl.DateTimeFormat>();

function calendarFormat(locale: DisplayLocale): Intl.DateTimeFormat {
  let f = dateFormats.get(locale);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric' });
    dateFormats.set(locale, f);
  }
  return f;
}

/** "2026-11-25" (or an ISO timestamp) → "Nov 25, 2026"; '' for nothing; anything else unchanged. */
export function formatDate(iso: string | null | undefined, locale: DisplayLocale = DEFAULT_LOCALE): string {
  if (!iso) return '';
  const m = ISO_DATE.exec(iso);
  if (!m) return iso;
  return calendarFormat(locale).format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))));
}

/** An instant in a time zone with its zone name, e.g. "Nov 25, 2026, 9:30 a.m. EST". */
export function dateTimeFormatter(timeZone: string, locale: DisplayLocale = DEFAULT_LOCALE): (d: Date) => string {
  const f = new Intl.DateTimeFormat(locale, { timeZone, year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
  return (d) => f.format(d);
}
