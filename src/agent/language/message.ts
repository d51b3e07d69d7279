import type { Language } from '../../i18n/locales.js';

/**
 * A user message as the offline engine reads it: its language (the reply follows it) and the text
 * the intent steps read. English is read as typed; French is mapped onto the engine's concept
 * vocabulary by the French lexicon (fr.ts), so every intent, negation rule and date reader is
 * written once.
 */
export interface ReadMessage {
  language: Language;
  engineText: string;
}

export function readMessage(text: string): ReadMessage {
  return { language: 'en', engineText: text };
}
