import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationError } from '../errors.js';

/**
 * Text the app refuses at the door, on every route, before any handler (or side effect) runs:
 * - control characters other than tab, line feed and carriage return (C0, DEL, C1): NUL cannot be
 *   stored in PostgreSQL text at all, and the others have no place in a message, a name, an email
 *   address or a parameter;
 * - half of a UTF-16 surrogate pair without the other half: not a character, it cannot be encoded
 *   as UTF-8, so it would be stored altered or not at all.
 * Invisible format characters (zero-width space, soft hyphen, ...) are text: they pass, and the card
 * guard removes them where it matters.
 *
 * The 400 names the field and the kind of character (its code point), never the value.
 */

/** One character that is not storable text (a surrogate matches only when unpaired, thanks to the `u` flag). */
const NOT_STORABLE = /(?![\t\n\r])[\p{Cc}\p{Cs}]/u;

/** What is wrong with a string, in words; null when it is storable text. */
export function textProblem(s: string): string | null {
  const m = NOT_STORABLE.exec(s);
  if (!m) return null;
  const code = m[0].codePointAt(0)!;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  if (code === 0) return `contains a NUL character (${hex}), which cannot be stored`;
  if (code >= 0xd800 && code <= 0xdfff) return `contains an unpaired surrogate character (${hex}): half of a UTF-16 pair, not text`;
  return `contains a control character (${hex}); only tab, line feed and carriage return are accepted`;
}

/** The first string in a parsed value (object keys included) that is not storable text. */
export function findBadText(root: unknown, where: string): { field: string; message: string } | null {
  // An explicit stack: a 64 KiB JSON body can nest deeper than the call stack allows.
  const stack: Array<[unknown, string]> = [[root, where]];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return { field: path, message: problem };
    } else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
      const children = Object.entries(value);
      for (const [k] of children) {
        const keyProblem = textProblem(k);
        // The key itself is never shown: it is the input.
        if (keyProblem) return { field: path, message: `a field name ${keyProblem}` };
      }
      // Reversed onto the stack, so fields are checked in order.
      for (let i = children.length - 1; i >= 0; i--) stack.push([children[i]![1], `${path}.${children[i]![0]}`]);
    }
  }
  return null;
}

/** Throws the 400 for the first non-storable string among a request's parameters, query and body. */
export function checkRequestText(req: FastifyRequest): void {
  for (const [value, where] of [
    [req.params, 'params'],
    [req.query, 'querystring'],
    [req.body, 'body'],
  ] as const) {
    const bad = findBadText(value, where);
    if (bad) throw new ValidationError(`${bad.field}: ${bad.message}`, { issues: [bad] });
  }
}

/**
 * One hook for every route (registered on the root before any route): after parsing, before the
 * schema and the handler. The webhook's raw body (a Buffer) is bytes, not text, and is skipped.
 */
export function registerInputChecks(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => checkRequestText(req));
}
