import type { Area } from './types.js';

/** The signed invoice and pay pages, the sandbox checkout and their error pages. */
export const pay = {
  'en-CA': {},
  'fr-CA': {},
} satisfies Area;
