import type { Normalised } from './normalise.js';

/**
 * Text being redacted, with the origin of every UTF-16 unit: an index into the normalised text,
 * or -1 for text a redaction inserted. After the passes, the replaced stretches are turned into
 * edits of the ORIGINAL text, so the text as typed is kept everywhere else, and a replaced
 * stretch takes with it every original character behind it (invisible ones included).
 */
export interface Mapped {
  text: string;
  /** Absent while nothing was replaced: every unit is the normalised text's own. */
  src?: number[];
}

/** An edit of the original text: [start, end) replaced by `text`. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

export function mappedText(text: string): Mapped {
  return { text };
}

/** Appends the origins of units [from, to) of `m` to `out`. */
function appendSrc(out: number[], m: Mapped, from: number, to: number): void {
  for (let k = from; k < to; k++) out.push(m.src ? m.src[k]! : k);
}

const srcAt = (m: Mapped, i: number) => (m.src ? m.src[i]! : i);

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
    const found = match[0];
    const by = replacer(match);
    if (by === found) continue;
    const from = match.index;
    text += m.text.slice(at, from) + by;
    appendSrc(src, m, at, from);
    const p = commonPrefix(found, by);
    const q = commonSuffix(found, by, Math.min(found.length, by.length) - p);
    appendSrc(src, m, from, from + p);
    for (let k = p; k < by.length - q; k++) src.push(-1);
    appendSrc(src, m, from + found.length - q, from + found.length);
    at = from + found.length;
  }
  // Nothing replaced: the same text, the same origins.
  if (at === 0) return m;
  text += m.text.slice(at);
  appendSrc(src, m, at, m.text.length);
  return { text, src };
}

/** Whether the unit at `i` is kept along with every other unit its original code point became, in order. */
function keptWhole(m: Mapped, norm: Normalised, i: number): boolean {
  const s = srcAt(m, i);
  if (s < 0) return false;
  const { start } = norm;
  if (!start) return true;
  let first = s;
  while (first > 0 && start[first - 1] === start[s]) first--;
  let last = s;
  while (last + 1 < start.length && start[last + 1] === start[s]) last++;
  for (let k = first; k <= last; k++) if (i - s + k >= m.text.length || srcAt(m, i - s + k) !== k) return false;
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
    const s = srcAt(m, i);
    const a = norm.start ? norm.start[s]! : s;
    if (a < consumed) {
      // Another unit of a code point already written.
      lastSrc = s;
      continue;
    }
    // Inserted text, or normalised characters dropped by a pass: the original between is replaced.
    if (pending !== '' || s !== lastSrc + 1) flush(a);
    consumed = norm.end ? norm.end[s]! : s + 1;
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
