import type { Area } from './types.js';

/** The offline engine's replies (they follow the language of the user's message). */
export const engine = {
  'en-CA': {},
  'fr-CA': {},
} satisfies Area;
