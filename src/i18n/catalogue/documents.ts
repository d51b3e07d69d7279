import type { Area } from './types.js';

/** The invoice PDF and the invoice email (subject and body). */
export const documents = {
  'en-CA': {},
  'fr-CA': {},
} satisfies Area;
