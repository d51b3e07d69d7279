import { cardDataEdits } from './card-data.js';
import { applyEdits, type Edit } from './mapped.js';
import { CARD_REDACTION } from './markers.js';
import { normaliseText } from './normalise.js';

/**
 * A card number typed over several consecutive messages ("5105 1051", then "0510 5100"): each
 * message is mostly digits, none holds a card alone, and together (joined by a space, as one
 * text) they do. Both are redacted: the earlier ones as they must now be stored.
 */

/** How many earlier messages a split number may span. */
const MAX_EARLIER = 3;

/** At least 60% of the visible characters are digits (any script): a part of a number, not a sentence. */
export function mostlyDigits(text: string): boolean {
  const visible = normaliseText(text).replace(/\s+/gu, '');
  const digits = visible.replace(/\D/g, '').length;
  return digits >= 2 && digits * 10 >= visible.length * 6;
}

/** The edits of the joined text that fall in [from, to), shifted to the part; a card that began in an earlier part is named again. */
function partEdits(edits: readonly Edit[], from: number, to: number): Edit[] {
  const out: Edit[] = [];
  for (const e of edits) {
    const start = Math.max(e.start, from);
    const end = Math.min(e.end, to);
    if (start >= end) continue;
    out.push({ start: start - from, end: end - from, text: e.start >= from ? e.text : CARD_REDACTION });
  }
  return out;
}

/**
 * `messages`: the consecutive user messages, oldest first, the current one last. When the current
 * one ends a card number that started in the ones before it, returns every message redacted (the
 * shortest run of messages that holds the card); otherwise null.
 */
export function redactSplitCard(messages: readonly string[]): { texts: string[]; from: number } | null {
  const current = messages.at(-1);
  if (current === undefined || !mostlyDigits(current)) return null;
  for (let k = 1; k <= Math.min(MAX_EARLIER, messages.length - 1); k++) {
    const parts = messages.slice(messages.length - 1 - k);
    if (!mostlyDigits(parts[0]!)) return null;
    const joined = parts.join(' ');
    const { edits, found } = cardDataEdits(joined);
    if (!found) continue;
    let at = 0;
    const texts = parts.map((p) => {
      const text = applyEdits(p, partEdits(edits, at, at + p.length));
      at += p.length + 1;
      return text;
    });
    return { texts, from: messages.length - 1 - k };
  }
  return null;
}
