import type { Normalised } from './normalise.js';

/**
 * Text being redacted, with the origin of every UTF-16 unit: an index into the normalised text,
 * or -1 for text a redaction inserted. After the passes, the replaced stretches are turned into
 * edits of the ORIGINAL text, so the text as typed is kept everywhere else, and a replaced
 * stretch takes with it every original character behind it (invisible ones included).
 */
export interface Mapped {
  text: string;
  src: number[];
}

/** An edit of the original text: [start, end) replaced by `text`. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

export function mappedText(text: string): Mapped {
  return { text, src: Array.from({ length: text.length }, (_, i) => i) };
}

function commonPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

function commonSuffix(a: string, b: string, limit: number): number {
  let n = 0;
  while (n < limit && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

/**
 * Replaces every match of a global regex. The part of a replacement that equals the start or the
 * end of its match keeps its origin (it is the text as typed); the rest is inserted text.
 */
export function replaceAll(m: Mapped, re: RegExp, replacer: (match: RegExpExecArray) => string): Mapped {
  let text = '';
  const src: number[] = [];
  let at = 0;
  for (const match of m.text.matchAll(re) as IterableIterator<RegExpExecArray>) {
    const from = match.index;
    const found = match[0];
    const by = replacer(match);
    text += m.text.slice(at, from);
    src.push(...m.src.slice(at, from));
    if (by === found) {
      text += found;
      src.push(...m.src.slice(from, from + found.length));
    } else {
      const p = commonPrefix(found, by);
      const q = commonSuffix(found, by, Math.min(found.length, by.length) - p);
      text += by;
      src.push(...m.src.slice(from, from + p));
      for (let k = p; k < by.length - q; k++) src.push(-1);
      src.push(...m.src.slice(from + found.length - q, from + found.length));
    }
    at = from + found.length;
  }
  if (at === 0) return m;
  text += m.text.slice(at);
  src.push(...m.src.slice(at));
  return { text, src };
}

/** Whether the unit at `i` is kept along with every other unit its original code point became, in order. */
function keptWhole(m: Mapped, norm: Normalised, i: number): boolean {
  const s = m.src[i]!;
  if (s < 0) return false;
  const { start } = norm;
  let first = s;
  while (first > 0 && start[first - 1] === start[s]) first--;
  let last = s;
  while (last + 1 < start.length && start[last + 1] === start[s]) last++;
  for (let k = first; k <= last; k++) if (m.src[i - s + k] !== k) return false;
  return true;
}

/**
 * The edits of the original text that the passes made: each stretch of inserted (or partly
 * replaced) text replaces everything of the original between the kept characters around it.
 */
export function editsOf(original: string, norm: Normalised, m: Mapped): Edit[] {
  const edits: Edit[] = [];
  let pending = '';
  let consumed = 0;
  let lastSrc = -1;
  const flush = (upTo: number) => {
    edits.push({ start: consumed, end: upTo, text: pending });
    pending = '';
  };
  for (let i = 0; i < m.text.length; i++) {
    if (!keptWhole(m, norm, i)) {
      pending += m.text[i];
      continue;
    }
    const s = m.src[i]!;
    const a = norm.start[s]!;
    if (a < consumed) {
      // Another unit of a code point already written.
      lastSrc = s;
      continue;
    }
    // Inserted text, or normalised characters dropped by a pass: the original between is replaced.
    if (pending !== '' || s !== lastSrc + 1) flush(a);
    consumed = norm.end[s]!;
    lastSrc = s;
  }
  if (pending !== '' || lastSrc !== norm.text.length - 1) flush(original.length);
  return edits.filter((e) => e.start !== e.end || e.text !== '');
}

export function applyEdits(original: string, edits: readonly Edit[]): string {
  let out = '';
  let at = 0;
  for (const e of edits) {
    out += original.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + original.slice(at);
}
