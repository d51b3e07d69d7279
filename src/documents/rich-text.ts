import { html, raw, Raw } from '../format/html.js';
import { t, type Locale } from '../i18n/index.js';

/** Private-use characters around a fragment's index: no message contains them, and plain values lose them. */
const OPEN = '\uE000';
const CLOSE = '\uE001';
const MARKERS = /[\uE000\uE001]/g;
const SPLIT = /\uE000(\d+)\uE001/;

/**
 * A catalogue message with some placeholders filled by markup (a bold amount, a link). Messages
 * are plain text: the text around the markup is escaped here, plain string values with it, and a
 * `Raw` value goes in as it is. Each Raw value goes through i18next as a marker, then the
 * translated text is split on the markers.
 */
export function richT(locale: Locale, key: string, vars: Record<string, string | Raw>): Raw {
  const marked: Record<string, string> = {};
  const fragments: Raw[] = [];
  for (const [name, value] of Object.entries(vars)) {
    if (value instanceof Raw) {
      marked[name] = `${OPEN}${fragments.length}${CLOSE}`;
      fragments.push(value);
    } else marked[name] = value.replace(MARKERS, '');
  }
  const parts = t(locale, key, marked).split(SPLIT);
  return raw(parts.map((p, i) => (i % 2 === 1 ? fragments[Number(p)]!.html : html`${p}`.html)).join(''));
}
