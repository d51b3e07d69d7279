import type { Area } from './types.js';

/** The portal's Billing pages, its header and language switch, the development sign-in and outbox. */
export const portal = {
  'en-CA': {},
  'fr-CA': {},
} satisfies Area;
