import fs from 'node:fs';
import { pipeline } from 'node:stream';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { ALLOCATION_COLUMNS, LINE_COLUMNS, MULTI_ROW_TYPES, NUMERIC_COLUMNS, RECORD_COLUMNS, recordIdOf } from './records.js';
import type { FileInfo, ReadFrom, SourceItem } from './types.js';

/**
 * CSV (README "Bulk import"): a header row naming the columns (any of RECORD_COLUMNS, LINE_COLUMNS,
 * ALLOCATION_COLUMNS, in any order; `type` required), then one row per record, or per invoice line
 * or payment allocation: rows of the same record (type and id) that follow each other are one
 * record, each adding its `line.*` or `allocation.*` cells. An empty cell is an absent field.
 * Parsed by csv-parse, streamed; its byte count gives the checkpoint's offset.
 */

interface Header {
  columns: string[];
  /** The byte after the header row, and the line after it. */
  end: number;
  nextLine: number;
}

interface CsvRow {
  record: string[];
  info: { lines: number; bytes: number };
}

const KNOWN = new Set([...RECORD_COLUMNS, ...LINE_COLUMNS, ...ALLOCATION_COLUMNS]);

/** The header row (it must fit in the file's first 64 KiB), its columns checked: an unknown or repeated column stops the import before anything is written. */
export function readCsvHeader(info: FileInfo): Header {
  const rows = parseSync(info.head, { bom: true, to: 1, info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as CsvRow[];
  const first = rows[0];
  if (!first || (first.info.bytes >= info.head.length && info.head.length < info.size)) throw new Error('CSV: no header row in the first 64 KiB of the file');
  const columns = first.record.map((c) => c.trim());
  const unknown = columns.filter((c) => !KNOWN.has(c));
  if (unknown.length > 0) throw new Error(`CSV header: unknown column ${unknown.map((c) => JSON.stringify(c)).join(', ')}; the columns are ${[...KNOWN].join(', ')}`);
  const repeated = columns.filter((c, i) => columns.indexOf(c) !== i);
  if (repeated.length > 0) throw new Error(`CSV header: column ${JSON.stringify(repeated[0])} appears twice`);
  if (!columns.includes('type')) throw new Error('CSV header: the column "type" is required');
  return { columns, end: first.info.bytes, nextLine: first.info.lines + 1 };
}

type Values = Record<string, string | number>;

/** A row's filled cells by column, integers of the numeric columns as numbers. */
function rowValues(columns: readonly string[], cells: readonly string[]): Values {
  const values: Values = {};
  columns.forEach((column, i) => {
    const cell = cells[i] ?? '';
    if (cell === '') return;
    values[column] = NUMERIC_COLUMNS.has(column) && /^-?[0-9]{1,16}$/.test(cell) ? Number(cell) : cell;
  });
  return values;
}

/** The cells of the columns starting with `prefix`, without it; null when none is filled. */
function part(values: Values, prefix: string): Record<string, string | number> | null {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(values)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return Object.keys(out).length > 0 ? out : null;
}

/** A record being read: its first row's cells, the lines and allocations of all its rows. */
interface Pending {
  line: number;
  end: number;
  nextLine: number;
  key: string | null;
  values: Values;
  lines: Array<Record<string, string | number>>;
  allocations: Array<Record<string, string | number>>;
  error: { field: string; reason: string } | null;
}

function startRecord(values: Values, line: number, end: number): Pending {
  const id = recordIdOf(values);
  const type = String(values['type'] ?? '');
  const p: Pending = { line, end, nextLine: line + 1, key: id !== null && MULTI_ROW_TYPES.has(type) ? `${type}\u0000${id}` : null, values, lines: [], allocations: [], error: null };
  addParts(p, values, line);
  return p;
}

function addParts(p: Pending, values: Values, line: number): void {
  const l = part(values, 'line.');
  const a = part(values, 'allocation.');
  if (l) p.lines.push(l);
  if (a) p.allocations.push(a);
  p.nextLine = line + 1;
}

/** A row continues the record before it when it names the same multi-row record; its other filled cells must repeat the first row's. */
function continueRecord(p: Pending, values: Values, line: number, end: number): boolean {
  if (p.key === null || p.key !== `${String(values['type'] ?? '')}\u0000${recordIdOf(values) ?? ''}`) return false;
  for (const [column, v] of Object.entries(values)) {
    if (column.includes('.') && !column.startsWith('openingInvoice.')) continue;
    if (p.values[column] !== v && !p.error) p.error = { field: column, reason: `line ${line} says ${JSON.stringify(v)}; the record's first row (line ${p.line}) says ${JSON.stringify(p.values[column] ?? '')}` };
  }
  addParts(p, values, line);
  p.end = end;
  return true;
}

/** The record as the schemas read it: `openingInvoice.*` nested, the rows' lines and allocations as lists. */
function finishRecord(p: Pending): SourceItem {
  const input: Record<string, unknown> = {};
  const opening: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p.values)) {
    if (k.startsWith('openingInvoice.')) opening[k.slice('openingInvoice.'.length)] = v;
    else if (!k.includes('.')) input[k] = v;
  }
  const type = input['type'];
  if (type === 'account' && (p.lines.length > 0 || Object.keys(opening).length > 0)) input['openingInvoice'] = { ...opening, ...(p.lines.length > 0 ? { lines: p.lines } : {}) };
  else if (Object.keys(opening).length > 0) input['openingInvoice'] = opening;
  if (type !== 'account' && p.lines.length > 0) input['lines'] = p.lines;
  if (p.allocations.length > 0) input['allocations'] = p.allocations;
  const at = { line: p.line, end: p.end, nextLine: p.nextLine };
  return p.error ? { error: p.error, input, ...at } : { input, ...at };
}

/** The file's records from `from` on (after the header when `from` is the file's start). */
export async function* readCsv(file: string, info: FileInfo, from: ReadFrom): AsyncGenerator<SourceItem> {
  const header = readCsvHeader(info);
  const start = from.offset === 0 ? header.end : from.offset;
  const firstLine = from.offset === 0 ? header.nextLine : from.line;
  const stream = fs.createReadStream(file, { start });
  const parser = parse({ info: true, relax_column_count: true, skip_empty_lines: true });
  // A read error ends the parser with it, and so the loop below.
  pipeline(stream, parser, () => undefined);
  let pending: Pending | null = null;
  try {
    for await (const { record: cells, info: at } of parser as AsyncIterable<CsvRow>) {
      const line = firstLine - 1 + at.lines;
      const end = start + at.bytes;
      if (cells.every((c) => c === '')) continue;
      if (cells.length !== header.columns.length) {
        if (pending) yield finishRecord(pending);
        pending = null;
        yield { error: { field: 'record', reason: `the row has ${cells.length} cells; the header has ${header.columns.length}` }, line, end, nextLine: line + 1 };
        continue;
      }
      const values = rowValues(header.columns, cells);
      if (pending && continueRecord(pending, values, line, end)) continue;
      if (pending) yield finishRecord(pending);
      pending = startRecord(values, line, end);
    }
    if (pending) yield finishRecord(pending);
  } finally {
    parser.destroy();
    stream.destroy();
  }
}
