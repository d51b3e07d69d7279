import type { Language } from '../../i18n/locales.js';
import { detect, detectLanguage } from './detect.js';
import { readFrench } from './fr-read.js';

/**
 * A user message as the offline engine reads it: its language (the reply follows it) and the text
 * the intent steps read. English is read as typed; French is mapped onto the engine's concept
 * vocabulary by the French lexicon and reader (fr.ts, fr-read.ts), so every intent, negation rule
 * and date reader is written once. Email addresses, invoice numbers and references are kept as typed.
 */
export interface ReadMessage {
  language: Language;
  engineText: string;
}

const recent = new Map<string, ReadMessage>();
const RECENT_MAX = 128;

/**
 * Reads one user message. `fallback` is the conversation's language, taken by a message that does
 * not tell ("IN7654321", "ap@mycompany.com", "ok"); such a message reads the same in both.
 */
export function readMessage(text: string, fallback: Language = 'en'): ReadMessage {
  const key = `${fallback}\u0000${text}`;
  const hit = recent.get(key);
  if (hit) return hit;
  const language = detectLanguage(text, fallback);
  const read: ReadMessage = language === 'fr' ? { language, engineText: readFrench(text) } : { language, engineText: text };
  if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value!);
  recent.set(key, read);
  return read;
}

/**
 * The language of a conversation so far, for a message that does not tell: the language of the
 * latest earlier user message that does, else English. `earlier` is oldest first.
 */
export function conversationLanguage(earlier: readonly string[]): Language {
  for (let i = earlier.length - 1; i >= 0; i--) {
    const language = detect(earlier[i]!).language;
    if (language) return language;
  }
  return 'en';
}
