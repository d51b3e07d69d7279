import type { Locale } from '../locales.js';
import { cards } from './cards.js';
import { chat } from './chat.js';
import { documents } from './documents.js';
import { engine } from './engine.js';
import { mcp } from './mcp.js';
import { pay } from './pay.js';
import { portal } from './portal.js';
import { status } from './status.js';
import { widget } from './widget.js';
import type { Area, Messages } from './types.js';

/**
 * The one message catalogue: every user-facing string, by area, in en-CA and fr-CA. A key is
 * `area.path` (for example `status.overdue`). tests/unit/i18n-catalogue.test.ts fails when a key
 * is missing in a language, lacks a plural form the language needs, or is used nowhere.
 */
export const AREAS = { cards, chat, documents, engine, mcp, pay, portal, status, widget } satisfies Record<string, Area>;

/** The catalogue of one locale, as i18next resources (`{ area: { key: text } }`). */
export function messagesFor(locale: Locale): Messages {
  const out: Messages = {};
  for (const [name, area] of Object.entries(AREAS) as Array<[string, Area]>) out[name] = area[locale];
  return out;
}
