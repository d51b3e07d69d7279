import { redactCardData } from '../redaction/card-data.js';

/**
 * Card numbers removed from every string of a JSON value (keys too), before a tool sees the
 * arguments and before anything is stored or logged: what a client sends over MCP is never
 * trusted to be free of card data. `found` says whether anything was removed.
 */
export function redactJson(value: unknown): { value: unknown; found: boolean } {
  let found = false;
  const text = (s: string) => {
    const r = redactCardData(s);
    if (r.found) found = true;
    return r.text;
  };
  const walk = (v: unknown, depth: number): unknown => {
    // The body limit bounds the size; this bounds the nesting walked (deeper parts are dropped, never kept unread).
    if (depth > 32) return null;
    if (typeof v === 'string') return text(v);
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [text(k), walk(x, depth + 1)]));
  };
  const out = walk(value, 0);
  return { value: out, found };
}
