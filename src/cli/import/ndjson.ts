import fs from 'node:fs';
import readline from 'node:readline';
import type { FileInfo, ReadFrom, SourceInput, SourceItem } from './types.js';

/**
 * NDJSON: one record per line, a JSON object with `type` and the fields of that record type
 * (README "Bulk import"). Read with node:readline over a read stream (its async iterator pauses the
 * stream while the importer is busy, so memory stays flat); blank lines are skipped.
 */

/** The byte length of the file's line ending, from its first line: 2 for CRLF, else 1 (readline drops either). */
export function eolLength(head: Buffer): 1 | 2 {
  const nl = head.indexOf(0x0a);
  return nl > 0 && head[nl - 1] === 0x0d ? 2 : 1;
}

/** A checkpoint's offset must fall just after a line feed: it does unless the file mixes line endings. */
async function checkLineStart(file: string, offset: number, size: number): Promise<void> {
  if (offset === 0 || offset >= size) return;
  const handle = await fs.promises.open(file, 'r');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset - 1);
    if (byte[0] !== 0x0a) throw new Error(`the checkpoint (byte ${offset}) is not at the start of a line: the file mixes line endings; run again with --restart`);
  } finally {
    await handle.close();
  }
}

/** A line's record: a JSON object, or why it is not one (without quoting the line back). */
export function parseNdjsonLine(text: string): SourceInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/, ".*" is not valid JSON$/s, '') : String(err);
    return { error: { field: 'record', reason: `not valid JSON: ${message}` } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: { field: 'record', reason: 'must be a JSON object' } };
  return { input: value as Record<string, unknown> };
}

/** The file's records from `from` on, each with the byte and the line after it. */
export async function* readNdjson(file: string, info: FileInfo, from: ReadFrom): AsyncGenerator<SourceItem> {
  await checkLineStart(file, from.offset, info.size);
  const eol = eolLength(info.head);
  const stream = fs.createReadStream(file, { start: from.offset });
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let offset = from.offset;
  let line = from.line;
  try {
    for await (const text of lines) {
      const at = line;
      // The last line may have no line ending.
      offset = Math.min(offset + Buffer.byteLength(text) + eol, info.size);
      line += 1;
      const body = at === 1 ? text.replace(/^\uFEFF/, '') : text;
      if (body.trim() === '') continue;
      yield { ...parseNdjsonLine(body), line: at, end: offset, nextLine: line };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}
