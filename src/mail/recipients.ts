/**
 * Reading the recipients a person typed: every address in a chat message or a tool argument, how
 * it was written, and whether the text tries to add mail headers. One request names one recipient
 * per send, so callers compare what they are asked to send with this reading; the recipient policy
 * itself (contacts, verified domains) is in policy.ts.
 *
 * Hand-written on purpose: mail parsers (RFC 5322 address lists) accept display names, quoted
 * local parts, groups and comments as valid and "interpret" them, which is exactly what must be
 * refused here; and they do not look for addresses inside free text.
 */

/** Why a typed recipient cannot be used as it stands (null: a plain address). */
export type RecipientProblem = 'header' | 'copy' | 'quoted' | 'invalid';

export interface TypedRecipient {
  /** As typed (normalised, lower-cased): a plain address, or the whole quoted or malformed form. */
  typed: string;
  problem: RecipientProblem | null;
  /** The header or copy marker it came after ("Bcc:", "cc"), for the answer. */
  marker: string | null;
}

export interface RecipientReading {
  recipients: TypedRecipient[];
  /** The text puts a mail header (Bcc:, Cc:, Subject:…) after a line break, raw or encoded. */
  injection: boolean;
  /** The header names found after line breaks, as typed ("Bcc"). */
  headers: string[];
}

export interface ParsedAddress {
  /** Lowercased `local@domain`. */
  address: string;
  local: string;
  domain: string;
}

const LOCAL = /^[a-z0-9_+'-]+(?:\.[a-z0-9_+'-]+)*$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const TOP = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** Parses one plain email address, strictly (the policy's syntax, see policy.ts); null when it is not one. */
export function parseEmailAddress(raw: unknown): ParsedAddress | null {
  if (typeof raw !== 'string') return null;
  const s = raw.trim();
  if (s.length < 3 || s.length > 254) return null;
  // Printable ASCII only: no spaces, controls, line breaks or look-alike Unicode.
  if (!/^[\x21-\x7e]+$/.test(s)) return null;
  const at = s.indexOf('@');
  if (at < 1 || at !== s.lastIndexOf('@')) return null;
  const local = s.slice(0, at).toLowerCase();
  const domain = s.slice(at + 1).toLowerCase();
  if (local.length > 64 || !LOCAL.test(local)) return null;
  if (domain.length > 253) return null;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || !TOP.test(labels[labels.length - 1]!)) return null;
  return { address: `${local}@${domain}`, local, domain };
}

/** At most this many recipients are read from one text (the rest are counted, not checked). */
export const MAX_RECIPIENTS = 10;

// An apostrophe joins two parts of a local part (o'brien@…): reading only the tail would send to
// somebody else. It never starts or ends one, so quotes around an address stay quotes.
const EMAIL_RE = /\b[a-z0-9._%+-]+(?:'[a-z0-9._%+-]+)*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b/gi;
/** A quoted local part: "anything"@domain (the quotes may hold commas, @ or line breaks). */
const QUOTED_RE = /"[^"]{0,200}"@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b/gi;
/** Characters that glue a source route or query to an address (`x!y@…`, `a?b@…`, `c/d@…`). */
const GLUE = /[!/\\?&=#^`{|}~*$]/;
const LOCAL_CHAR = /[a-z0-9._%+\-!/\\?&=#^`{|}~*$]/i;
/** Line breaks as typed, percent-encoded, escaped or as HTML entities. */
const LINE_BREAK = /\r\n?|[\n\v\f\u0085\u2028\u2029]|%0d%0a|%0d|%0a|\\r\\n|\\r|\\n|&#(?:x0*d|x0*a|0*13|0*10);/gi;
const ENCODED_BREAK = /%0d|%0a|\\r|\\n|&#(?:x0*d|x0*a|0*13|0*10);/i;
const HAS_BREAK = new RegExp(LINE_BREAK.source, 'i');
/** Header names that add recipients or change the message ("To:" on its own line is how people write a list). */
const HEADER_LINE = /^[\s>]*(b?cc|from|reply-to|sender|subject|return-path|content-[a-z-]+|mime-version|x-[a-z0-9-]+)\s*(?::|%3a)/i;
/** "cc", "bcc:", "blind copy to", "copy in", right before an address or a list of them. */
const COPY_BEFORE = /\b(b?cc|blind copy|carbon copy|copy in)\b\s*:?\s*(?:to\s+)?$/i;
const LIST_GAP = /^\s*(?:[,;&/]|\band\b|\bor\b|\bplus\b)?\s*$/i;

/** Encoded line breaks and colons (`%0A`, `\\n`, `&#10;`, `%3A`) read as what they encode, at the same length so positions hold. */
function decodeBreaks(s: string): string {
  return s.replace(/%0d|%0a|\\r|\\n|&#(?:x0*d|x0*a|0*13|0*10);|%3a/gi, (m) => (m.toLowerCase() === '%3a' ? ':' : '\n').padEnd(m.length, ' '));
}

/** The normalisation every reader of typed text shares (the offline engine's extract() too). */
export function normalizeTyped(raw: string): string {
  return raw
    .normalize('NFKC')
    .replace(/[\u200b-\u200d\u2060\ufeff\u00ad]/g, '')
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
    .replace(/[\u201c\u201d\u201e\u00ab\u00bb]/g, '"');
}

interface Line {
  start: number;
  end: number;
  header: string | null;
}

/** Splits at line breaks of every spelling; a line that starts with a header name is a header line. */
function linesOf(s: string): Line[] {
  const lines: Line[] = [];
  let from = 0;
  for (const m of s.matchAll(LINE_BREAK)) {
    lines.push({ start: from, end: m.index, header: null });
    from = m.index + m[0].length;
  }
  lines.push({ start: from, end: s.length, header: null });
  // The first line is the request itself; a header only counts after a break.
  for (const line of lines.slice(1)) line.header = HEADER_LINE.exec(s.slice(line.start, line.end))?.[1] ?? null;
  return lines;
}

/** Quoted local parts, then plain addresses outside them; a plain address glued to a source route is malformed. */
export function recipientSpans(typed: string): Array<{ start: number; end: number; quoted: boolean; glued: boolean }> {
  const s = decodeBreaks(typed);
  const spans: Array<{ start: number; end: number; quoted: boolean; glued: boolean }> = [];
  for (const m of s.matchAll(QUOTED_RE)) spans.push({ start: m.index, end: m.index + m[0].length, quoted: true, glued: false });
  const inside = (i: number) => spans.some((q) => q.quoted && i >= q.start && i < q.end);
  for (const m of s.matchAll(EMAIL_RE)) {
    if (inside(m.index)) continue;
    // A glued prefix never reaches back into the address before it.
    const floor = Math.max(0, ...spans.filter((x) => x.end <= m.index).map((x) => x.end));
    let start = m.index;
    if (start > floor && GLUE.test(s[start - 1]!)) while (start > floor && LOCAL_CHAR.test(s[start - 1]!)) start--;
    spans.push({ start, end: m.index + m[0].length, quoted: false, glued: start < m.index });
  }
  return spans.sort((a, b) => a.start - b.start);
}

/** Reads every recipient typed in `raw` (a chat message or a tool argument). */
export function readRecipients(raw: string): RecipientReading {
  return readNormalized(normalizeTyped(raw));
}

/** The same, over text already passed through normalizeTyped. */
export function readNormalized(normalized: string): RecipientReading {
  const s = decodeBreaks(normalized);
  const lines = linesOf(s);
  const headers = lines.filter((l) => l.header !== null).map((l) => l.header!);
  const injection = headers.length > 0 || ENCODED_BREAK.test(normalized);
  const recipients: TypedRecipient[] = [];
  const seen = new Set<string>();
  let prevEnd = 0;
  let prevCopy: string | null = null;
  for (const span of recipientSpans(s)) {
    const typed = s.slice(span.start, span.end).toLowerCase();
    const line = lines.find((l) => span.start >= l.start && span.start <= l.end) ?? null;
    const before = s.slice(Math.max(line?.start ?? 0, prevEnd), span.start);
    const copy: string | null = COPY_BEFORE.exec(before)?.[1] ?? (prevCopy !== null && LIST_GAP.test(s.slice(prevEnd, span.start)) ? prevCopy : null);
    const header = line?.header ?? null;
    const problem: RecipientProblem | null = header ? 'header' : copy ? 'copy' : span.quoted ? 'quoted' : span.glued || !parseEmailAddress(typed) ? 'invalid' : null;
    prevEnd = span.end;
    prevCopy = copy;
    if (seen.has(typed)) continue;
    seen.add(typed);
    recipients.push({ typed, problem, marker: header ? `${header}:` : copy });
  }
  return { recipients, injection, headers };
}

/** A short reason a typed form cannot be used as it stands (no policy look-up needed). */
export function formProblem(r: Pick<TypedRecipient, 'problem' | 'marker'>): string | null {
  switch (r.problem) {
    case 'header':
      return `it comes after a ${headerLabel(r.marker ?? 'mail')} header on a new line (header injection), and headers are never added to an email`;
    case 'copy':
      return `it was asked as a copy (${r.marker ?? 'cc'}), and invoices are never copied or blind-copied to anyone`;
    case 'quoted':
      return 'it has a quoted local part ("…"@), which is not accepted';
    case 'invalid':
      return 'it is not a plain email address';
    default:
      return null;
  }
}

/** "bcc" or "BCC:" as "Bcc:". */
export function headerLabel(name: string): string {
  const n = name.replace(/:$/, '');
  return `${n.charAt(0).toUpperCase()}${n.slice(1).toLowerCase()}:`;
}

/** Why a `to` value that is not one plain address is refused, in words (for the invalid-recipient message). */
export function whyNotPlain(raw: string): string {
  const s = normalizeTyped(raw);
  const reading = readNormalized(s);
  if (reading.injection || HAS_BREAK.test(s)) {
    const named = reading.headers.length > 0 ? ` and a mail header (${[...new Set(reading.headers.map(headerLabel))].join(', ')})` : '';
    return `it contains a line break${named}, and header injection is refused`;
  }
  if (reading.recipients.length > 1) return `it names ${reading.recipients.length} addresses, and an invoice is emailed to one recipient per request`;
  if (/[<>]/.test(s)) return 'it has a display name or angle brackets; give the plain address only';
  const problem = reading.recipients[0] ? formProblem(reading.recipients[0]) : null;
  return problem ?? 'it is not a valid email address';
}
