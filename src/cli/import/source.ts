import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { readCsv } from './csv.js';
import { readNdjson } from './ndjson.js';
import type { FileInfo, ImportFormat, ReadFrom, SourceItem } from './types.js';

/** The import file: its fingerprint, its format, its records from a given point on. */

/** The bytes the fingerprint covers: enough to tell files apart, cheap to read again on every run. */
const FINGERPRINT_BYTES = 64 * 1024;

export async function inspectFile(file: string): Promise<FileInfo> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, FINGERPRINT_BYTES));
    await handle.read(head, 0, head.length, 0);
    const fingerprint = createHash('sha256').update(head).update(`:${size}`).digest('hex');
    return { size, fingerprint, head };
  } finally {
    await handle.close();
  }
}

/** The format named by the file's extension (.ndjson, .jsonl, .csv), or null. */
export function formatOfPath(file: string): ImportFormat | null {
  if (/\.(ndjson|jsonl)$/i.test(file)) return 'ndjson';
  if (/\.csv$/i.test(file)) return 'csv';
  return null;
}

/** The file's records from `from` on. Throws when the file cannot be read as its format (a CSV quote left open). */
export function readRecords(file: string, format: ImportFormat, info: FileInfo, from: ReadFrom): AsyncIterable<SourceItem> {
  return format === 'csv' ? readCsv(file, info, from) : readNdjson(file, info, from);
}
