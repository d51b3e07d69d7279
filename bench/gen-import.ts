/**
 * `tsx bench/gen-import.ts --records N --out FILE [--errors-every K] [--first-account N] [--first-invoice N]`:
 * writes N invoice records and the accounts they need (one per 1,000 invoices, first in the file)
 * for `npm run billing:import`, as NDJSON, or as CSV (one row per invoice line) when FILE ends in
 * .csv. Deterministic. With --errors-every K, every K-th invoice carries one planted error, in turn
 * each of PLANTED (a line that is not JSON, a schema error, a ledger rule): the reject report names
 * each one's line and field. Used by bench/import.ts.
 */
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { csvCell } from '../src/cli/import/rejects.js';

export interface GenOptions {
  records: number;
  /** 0: none. */
  errorsEvery?: number;
  /** Accounts are R<first-account + i>; invoices IN<first-invoice + k> (7 digits); opening invoices IN<first-invoice - accounts + i>. */
  firstAccount?: number;
  firstInvoice?: number;
}

export interface GenResult {
  file: string;
  accounts: number;
  invoices: number;
  planted: number;
  bytes: number;
}

type Line = { position: number; kind: string; description: string; reference: string | null; quantity: number; unitCents: number };
type Rec = Record<string, unknown> & { type: string };

const INVOICES_PER_ACCOUNT = 1000;
const DAY = 86_400_000;
const ISSUE_START = Date.UTC(2025, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** A deterministic "random" integer in [0, n) from k and a salt (a multiplicative hash; its quality does not matter here). */
const rnd = (k: number, salt: number, n: number) => (Math.imul((k + 1) ^ Math.imul(salt, 0x9e3779b1), 2654435761) >>> 0) % n;

function accountRecord(i: number, o: Required<GenOptions>, accounts: number): Rec {
  const id = `R${o.firstAccount + i}`;
  return {
    type: 'account',
    accountId: id,
    name: `Import Bench Reseller ${i + 1}`,
    currency: 'CAD',
    openedOn: '2024-12-01',
    openingInvoice: { number: `IN${o.firstInvoice - accounts + i}`, dueOn: '2024-12-31' },
    sourceVersion: 1,
  };
}

function invoiceRecord(k: number, o: Required<GenOptions>, accounts: number): Rec {
  const issued = ISSUE_START + rnd(k, 1, 690) * DAY;
  const lines: Line[] = Array.from({ length: 1 + rnd(k, 2, 3) }, (_, p) => ({
    position: p + 1,
    kind: p === 0 ? 'order' : 'service',
    description: p === 0 ? `Order SO-${10000 + rnd(k, 3, 89999)}: rack servers, installation` : `Managed backup, ${1 + rnd(k, 20 + p, 40)} seats`,
    reference: p === 0 ? `SO-${10000 + rnd(k, 3, 89999)}` : null,
    quantity: 1 + rnd(k, 5 + p, 12),
    unitCents: 500 + rnd(k, 9 + p, 150_000),
  }));
  return {
    type: 'invoice',
    number: `IN${o.firstInvoice + k}`,
    accountId: `R${o.firstAccount + (k % accounts)}`,
    issuedOn: iso(issued),
    dueOn: iso(issued + 30 * DAY),
    currency: 'CAD',
    memo: k % 7 === 0 ? `PO ${4000 + (k % 997)}` : null,
    lines,
    sourceVersion: 1,
  };
}

/** The planted errors, in turn: what each breaks. `null` from a planter means "write the line cut in half". */
export const PLANTED: ReadonlyArray<{ what: string; plant: (r: Rec) => Rec | null }> = [
  { what: 'a line that is not JSON (cut in half)', plant: () => null },
  { what: 'lines[0].quantity 0 (schema)', plant: (r) => ({ ...r, lines: (r['lines'] as Line[]).map((l, i) => (i === 0 ? { ...l, quantity: 0 } : l)) }) },
  { what: 'an invoice number of the wrong form (schema)', plant: (r) => ({ ...r, number: `IN${String(r['number']).slice(4)}` }) },
  { what: 'an account that does not exist (ledger)', plant: (r) => ({ ...r, accountId: 'R999999999' }) },
  { what: 'due before issued (ledger)', plant: (r) => ({ ...r, dueOn: '2024-01-01' }) },
  { what: "another currency than the account's (ledger)", plant: (r) => ({ ...r, currency: 'USD' }) },
  { what: 'two lines at position 1 (ledger)', plant: (r) => ({ ...r, lines: [...(r['lines'] as Line[]).slice(0, 1), { ...(r['lines'] as Line[])[0]!, description: 'Duplicate' }] }) },
  { what: 'an unknown field (schema)', plant: (r) => ({ ...r, discountCents: 500 }) },
  { what: 'a negative price on an order line (ledger)', plant: (r) => ({ ...r, lines: (r['lines'] as Line[]).map((l, i) => (i === 0 ? { ...l, unitCents: -l.unitCents } : l)) }) },
];

const CSV_HEADER = ['type', 'accountId', 'number', 'name', 'currency', 'openedOn', 'openingInvoice.number', 'openingInvoice.dueOn', 'issuedOn', 'dueOn', 'memo', 'sourceVersion'];
const CSV_LINE = ['position', 'kind', 'description', 'reference', 'quantity', 'unitCents'];

/** A record as CSV rows: one per invoice line (record cells on each), one for an account. */
function csvRows(r: Rec): string {
  const flat: Record<string, unknown> = { ...r, ...Object.fromEntries(Object.entries((r['openingInvoice'] as object | undefined) ?? {}).map(([k, v]) => [`openingInvoice.${k}`, v])) };
  const cells = CSV_HEADER.map((c) => flat[c] ?? null);
  const lines = (r['lines'] as Line[] | undefined) ?? [null];
  const cell = (v: unknown) => csvCell(v === null || v === undefined ? null : typeof v === 'number' ? v : String(v));
  return lines.map((l) => `${[...cells, ...CSV_LINE.map((c) => (l ? (l as Record<string, unknown>)[c] : null))].map(cell).join(',')}\n`).join('');
}

function recordText(r: Rec | null, original: Rec, csv: boolean): string {
  if (r === null) {
    const whole = csv ? csvRows(original) : JSON.stringify(original);
    return csv ? `${whole.slice(0, whole.indexOf('\n') >> 1)}\n` : `${whole.slice(0, whole.length >> 1)}\n`;
  }
  return csv ? csvRows(r) : `${JSON.stringify(r)}\n`;
}

/** Writes the file; resolves when it is on disk. */
export async function generateImportFile(file: string, opts: GenOptions): Promise<GenResult> {
  const o: Required<GenOptions> = { errorsEvery: 0, firstAccount: 300_000, firstInvoice: 2_000_000, ...opts };
  const accounts = Math.max(1, Math.ceil(o.records / INVOICES_PER_ACCOUNT));
  if (o.firstInvoice - accounts < 1_000_000 || o.firstInvoice + o.records > 9_999_999) throw new Error('invoice numbers must stay IN and 7 digits: lower --records or move --first-invoice');
  const csv = /\.csv$/i.test(file);
  const out = fs.createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  if (csv) await write(`${[...CSV_HEADER, ...CSV_LINE.map((c) => `line.${c}`)].join(',')}\n`);
  for (let i = 0; i < accounts; i++) {
    const a = accountRecord(i, o, accounts);
    await write(recordText(a, a, csv));
  }
  let planted = 0;
  let chunk = '';
  for (let k = 0; k < o.records; k++) {
    const r = invoiceRecord(k, o, accounts);
    const plant = o.errorsEvery > 0 && (k + 1) % o.errorsEvery === 0 ? PLANTED[planted++ % PLANTED.length]! : null;
    chunk += recordText(plant ? plant.plant(r) : r, r, csv);
    if (chunk.length > 256 * 1024) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { file, accounts, invoices: o.records, planted, bytes: fs.statSync(file).size };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: { records: { type: 'string', default: '1000' }, out: { type: 'string' }, 'errors-every': { type: 'string', default: '0' }, 'first-account': { type: 'string' }, 'first-invoice': { type: 'string' } },
  });
  if (!values.out) throw new Error('--out FILE is required (.ndjson or .csv)');
  const int = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const r = await generateImportFile(values.out, {
    records: Number(values.records),
    errorsEvery: Number(values['errors-every']),
    ...(values['first-account'] ? { firstAccount: int(values['first-account'])! } : {}),
    ...(values['first-invoice'] ? { firstInvoice: int(values['first-invoice'])! } : {}),
  });
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
