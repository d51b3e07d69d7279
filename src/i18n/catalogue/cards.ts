import type { Area } from './types.js';

/** Card titles and summaries, tool progress labels and the REST API's display strings. */
export const cards = {
  'en-CA': {},
  'fr-CA': {},
} satisfies Area;
