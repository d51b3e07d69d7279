import fs from 'node:fs/promises';
import { scrubCardNumbers } from '../../redaction/card-data.js';

/**
 * The reject report: one entry per record not applied, with its line, type, id, the field and the
 * reason (README "Bulk import"). NDJSON, or CSV when its name ends in .csv. Each batch's entries are
 * written before the batch commits and the report's length is kept in the checkpoint, so a resumed
 * run cuts off what an interrupted batch wrote and appends: each reject is reported once.
 */

export interface Reject {
  line: number;
  type: string | null;
  id: string | null;
  field: string;
  reason: string;
}

export interface RejectReport {
  path: string;
  /** Its length now. */
  bytes(): number;
  write(rejects: readonly Reject[]): Promise<void>;
  /** Back to an earlier length (a batch that did not commit). */
  truncate(bytes: number): Promise<void>;
  close(): Promise<void>;
}

const CSV_COLUMNS = ['line', 'type', 'id', 'field', 'reason'] as const;

// A CSV cell by hand (the standard's quoting is three rules); a leading = + - @ is quoted with ' so a spreadsheet never runs it as a formula.
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  const s = typeof value === 'number' ? String(value) : /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One entry as written; ids and reasons go through card detection (a card number typed into an id column stays out of the report). */
function entryText(r: Reject, csv: boolean): string {
  const e = { line: r.line, type: r.type, id: r.id === null ? null : scrubCardNumbers(r.id), field: r.field, reason: scrubCardNumbers(r.reason) };
  return csv ? `${CSV_COLUMNS.map((c) => csvCell(e[c])).join(',')}\n` : `${JSON.stringify(e)}\n`;
}

/** Opens the report, keeping its first `keepBytes` (a resumed run) or starting it afresh. */
export async function openRejectReport(path: string, keepBytes: number): Promise<RejectReport> {
  const csv = /\.csv$/i.test(path);
  const handle = await fs.open(path, 'a');
  let length = (await handle.stat()).size;
  const truncate = async (bytes: number) => {
    await handle.truncate(bytes);
    length = bytes;
  };
  const append = async (text: string) => {
    const buf = Buffer.from(text);
    await handle.write(buf);
    length += buf.length;
  };
  await truncate(length >= keepBytes ? keepBytes : 0);
  if (length === 0 && csv) await append(`${CSV_COLUMNS.join(',')}\n`);
  return {
    path,
    bytes: () => length,
    write: async (rejects) => {
      if (rejects.length > 0) await append(rejects.map((r) => entryText(r, csv)).join(''));
    },
    truncate,
    close: () => handle.close(),
  };
}
