import type { Area } from './types.js';

/** The chat widget's chrome and its cards (read by the widget's tiny lookup, src/web/widget/i18n.ts). */
export const widget = {
  'en-CA': {},
  'fr-CA': {},
} satisfies Area;
