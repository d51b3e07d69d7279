import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/billing/dates.js';
import { createProgress, formatDuration } from '../../src/cli/import/progress.js';
import { runImport, type ImportOptions } from '../../src/cli/import/run.js';
import type { Database } from '../../src/db/index.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';

/**
 * The bulk importer (`npm run billing:import`, src/cli/import): NDJSON and CSV through the operator
 * API's schemas and upserts, a reject report naming each refused record's line, field and reason
 * while the good records are applied, a record applied whole or not at all, an interrupted import
 * resumed to the same final state as one run, and a second run of the same file changing nothing.
 * (That memory stays flat for a million records is measured by `npm run bench:import`.)
 */

const D = (n: number) => addDays(TEST_TODAY, n);
const line = (over: Record<string, unknown> = {}) => ({ position: 1, kind: 'order', description: 'Order SO-77001: rack', reference: 'SO-77001', quantity: 2, unitCents: 12500, ...over });
const account = (accountId: string, opening: string) => ({ type: 'account', accountId, name: `Import Test ${accountId}`, currency: 'CAD', openedOn: TEST_TODAY, openingInvoice: { number: opening, dueOn: D(30) }, sourceVersion: 1 });
const invoice = (number: string, accountId: string, over: Record<string, unknown> = {}) => ({ type: 'invoice', number, accountId, issuedOn: TEST_TODAY, dueOn: D(30), currency: 'CAD', memo: null, lines: [line()], sourceVersion: 1, ...over });
const payment = (number: string, accountId: string, amountCents: number, allocations: Array<{ invoiceNumber: string; amountCents: number }>) => ({ type: 'payment', number, accountId, receivedOn: TEST_TODAY, amountCents, currency: 'CAD', method: 'wire', allocations, sourceVersion: 1 });

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-import-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeFile(name: string, lines: ReadonlyArray<string | object>): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return file;
}

const options = (file: string, over: Partial<ImportOptions> = {}): ImportOptions => ({ file, format: file.endsWith('.csv') ? 'csv' : 'ndjson', batchSize: 4, operatorId: 'test-import', ...over });
const readNdjson = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** What the imports wrote, without generated ids and timestamps: accounts, invoices with their lines, payments with their allocations, contacts. */
async function snapshot(db: Database['db'], accountPrefix: string) {
  const like = `${accountPrefix}%`;
  return {
    accounts: await db.selectFrom('accounts').select(['id', 'name', 'closed_on', 'source_version']).where('id', 'like', like).orderBy('id').execute(),
    invoices: await db
      .selectFrom('invoices')
      .select(['number', 'account_id', 'issued_on', 'due_on', 'total_cents', 'memo', 'is_opening', 'voided_at', 'source_version'])
      .where('account_id', 'like', like)
      .orderBy('number')
      .execute(),
    lines: await db
      .selectFrom('invoice_lines as l')
      .innerJoin('invoices as i', 'i.id', 'l.invoice_id')
      .select(['i.number', 'l.position', 'l.kind', 'l.description', 'l.reference', 'l.quantity', 'l.unit_cents'])
      .where('i.account_id', 'like', like)
      .orderBy('i.number')
      .orderBy('l.position')
      .execute(),
    payments: await db.selectFrom('payments').select(['number', 'account_id', 'amount_cents', 'method', 'source_version']).where('account_id', 'like', like).orderBy('number').execute(),
    allocations: await db
      .selectFrom('payment_allocations as a')
      .innerJoin('payments as p', 'p.id', 'a.payment_id')
      .innerJoin('invoices as i', 'i.id', 'a.invoice_id')
      .select(['p.number as payment', 'i.number as invoice', 'a.amount_cents'])
      .where('p.account_id', 'like', like)
      .orderBy('p.number')
      .orderBy('i.number')
      .execute(),
    contacts: await db.selectFrom('billing_contacts').select(['account_id', 'email', 'name']).where('account_id', 'like', like).orderBy('email').execute(),
  };
}

describe('billing:import, NDJSON', () => {
  let database: Database;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => database?.close());

  const FILE = [
    account('R77001', 'IN7710000'),
    invoice('IN7710001', 'R77001'),
    '',
    '{"type": "invoice", "number": "IN7710009"',
    invoice('IN7710002', 'R77001', { lines: [line({ quantity: 0 })] }),
    invoice('IN7710003', 'R77999'),
    invoice('IN7710004', 'R77001', { lines: [line(), line({ description: 'Second line, same position' })] }),
    payment('PAY-I-1', 'R77001', 10000, [{ invoiceNumber: 'IN7710001', amountCents: 10000 }]),
    payment('PAY-I-2', 'R77001', 30000, [{ invoiceNumber: 'IN7710001', amountCents: 30000 }]),
    { type: 'contact', accountId: 'R77001', email: 'AP@Import.example', name: 'Accounts payable', sourceVersion: 1 },
    '[1, 2]',
    { type: 'credit_memo', number: 'CM-I-1', accountId: 'R77001', issuedOn: TEST_TODAY, amountCents: '12', currency: 'CAD', reason: 'Goodwill', sourceVersion: 1 },
  ];

  it('applies the good records and reports each refused one with its line, id, field and reason', async () => {
    const file = writeFile('mixed.ndjson', FILE);
    const summary = await runImport(database.db, options(file));
    expect(summary).toMatchObject({ status: 'completed', records: 11, applied: 4, unchanged: 0, rejected: 7, resumedFromLine: null, rejectsPath: path.join(dir, 'mixed.rejects.ndjson') });
    expect(summary.total).toStrictEqual({ records: 11, applied: 4, unchanged: 0, rejected: 7 });
    expect(readNdjson(summary.rejectsPath)).toStrictEqual([
      { line: 4, type: null, id: null, field: 'record', reason: expect.stringMatching(/^not valid JSON: /) },
      { line: 5, type: 'invoice', id: 'IN7710002', field: 'lines[0].quantity', reason: 'Too small: expected number to be >=1' },
      { line: 6, type: 'invoice', id: 'IN7710003', field: 'accountId', reason: 'no account R77999' },
      { line: 7, type: 'invoice', id: 'IN7710004', field: 'lines[1].position', reason: 'position 1 is used by another line' },
      { line: 9, type: 'payment', id: 'PAY-I-2', field: 'allocations[0].amountCents', reason: 'exceeds the amount due on IN7710001 (15000 cents)' },
      { line: 11, type: null, id: null, field: 'record', reason: 'must be a JSON object' },
      { line: 12, type: 'credit_memo', id: 'CM-I-1', field: 'amountCents', reason: expect.stringMatching(/expected number, received string/) },
    ]);
    const s = await snapshot(database.db, 'R77001');
    expect(s.invoices.map((i) => [i.number, i.total_cents])).toStrictEqual([
      ['IN7710000', 5000n],
      ['IN7710001', 25000n],
    ]);
    expect(s.payments.map((p) => p.number)).toStrictEqual(['PAY-I-1']);
    expect(s.allocations).toStrictEqual([{ payment: 'PAY-I-1', invoice: 'IN7710001', amount_cents: 10000n }]);
    expect(s.contacts).toStrictEqual([{ account_id: 'R77001', email: 'ap@import.example', name: 'Accounts payable' }]);
  });

  it('a refused record leaves nothing of itself: no invoice without its lines, no payment without its allocation', async () => {
    expect(await database.db.selectFrom('invoices').select('number').where('number', 'in', ['IN7710002', 'IN7710003', 'IN7710004']).execute()).toStrictEqual([]);
    // PAY-I-2's payment row is written before its allocation is refused: its savepoint took it back.
    expect(await database.db.selectFrom('payments').select('number').where('number', '=', 'PAY-I-2').execute()).toStrictEqual([]);
    expect(await database.db.selectFrom('credit_memos').select('number').where('number', '=', 'CM-I-1').execute()).toStrictEqual([]);
  });

  it('is audited as one operator action per run, and its checkpoint says completed', async () => {
    const rows = await database.db.selectFrom('audit_log').select(['actor_type', 'actor_id', 'action', 'outcome', 'name', 'details']).where('action', '=', 'ops.import').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_type: 'operator', actor_id: 'test-import', action: 'ops.import', outcome: 'partial', name: 'billing:import' });
    expect(rows[0]!.details).toMatchObject({ file: 'mixed.ndjson', format: 'ndjson', records: 11, applied: 4, unchanged: 0, rejected: 7, resumedFromLine: null, batches: 3 });
    const imports = await database.db.selectFrom('ops_imports').select(['status', 'file_name', 'records', 'rejected', 'next_line', 'operator_id']).execute();
    expect(imports).toStrictEqual([{ status: 'completed', file_name: 'mixed.ndjson', records: 11n, rejected: 7n, next_line: 13n, operator_id: 'test-import' }]);
  });

  it('the same file again changes nothing: every good record unchanged, the same rejects', async () => {
    const file = path.join(dir, 'mixed.ndjson');
    const before = await snapshot(database.db, 'R77001');
    const firstReport = fs.readFileSync(path.join(dir, 'mixed.rejects.ndjson'), 'utf8');
    const again = await runImport(database.db, options(file));
    expect(again).toMatchObject({ status: 'completed', records: 11, applied: 0, unchanged: 4, rejected: 7, resumedFromLine: null });
    expect(await snapshot(database.db, 'R77001')).toStrictEqual(before);
    expect(fs.readFileSync(again.rejectsPath, 'utf8')).toBe(firstReport);
  });
});

describe('billing:import, CSV', () => {
  let database: Database;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => database?.close());

  const HEADER =
    'type,accountId,number,name,currency,openedOn,openingInvoice.number,issuedOn,dueOn,memo,sourceVersion,line.position,line.kind,line.description,line.reference,line.quantity,line.unitCents,receivedOn,amountCents,method,allocation.invoiceNumber,allocation.amountCents';
  const ROWS = [
    // line 2-4: an account whose opening invoice has two more lines, one with a comma and a line break in its description.
    `account,R77002,,"Polar, Inc.",CAD,${TEST_TODAY},IN7720000,,,,1,2,order,First order,SO-77002,1,100000,,,,,`,
    `account,R77002,,,,,,,,,,3,service,"Setup,\non site",,1,5000,,,,,`,
    // line 5-6: an invoice of two lines, the second row with only its line cells.
    `invoice,R77002,IN7720001,,CAD,,,${TEST_TODAY},${D(30)},PO 4471,1,1,order,"Rack, 42U",SO-77003,2,12500,,,,,`,
    `invoice,,IN7720001,,,,,,,,,2,service,Installation,,1,5000,,,,,`,
    // line 7-8: its second row contradicts the first (another due date): the whole invoice is refused.
    `invoice,R77002,IN7720002,,CAD,,,${TEST_TODAY},${D(30)},,1,1,order,Rack,,1,1000,,,,,`,
    `invoice,R77002,IN7720002,,CAD,,,${TEST_TODAY},${D(45)},,1,2,order,Rails,,1,1000,,,,,`,
    // line 9: a row with missing cells.
    `invoice,R77002,IN7720009`,
    // line 10-11: a payment allocated to two invoices, one row each.
    `payment,R77002,PAY-I-3,,CAD,,,,,,1,,,,,,,${TEST_TODAY},30000,cheque,IN7720001,20000`,
    `payment,R77002,PAY-I-3,,,,,,,,,,,,,,,,,,IN7720000,10000`,
    // line 12: cents written as dollars.
    `invoice,R77002,IN7720003,,CAD,,,${TEST_TODAY},${D(30)},,1,1,order,Rack,,1,12.50,,,,,`,
  ];

  it('reads a record per row or per group of rows, and writes a CSV reject report when asked', async () => {
    const file = writeFile('mixed.csv', [HEADER, ...ROWS]);
    const summary = await runImport(database.db, options(file, { rejectsPath: path.join(dir, 'rejects.csv') }));
    expect(summary).toMatchObject({ status: 'completed', records: 6, applied: 3, unchanged: 0, rejected: 3 });
    expect(fs.readFileSync(path.join(dir, 'rejects.csv'), 'utf8').split('\n')).toStrictEqual([
      'line,type,id,field,reason',
      `7,invoice,IN7720002,dueOn,"line 8 says ""${D(45)}""; the record's first row (line 7) says ""${D(30)}"""`,
      '9,,,record,the row has 3 cells; the header has 22',
      '12,invoice,IN7720003,lines[0].unitCents,"Invalid input: expected number, received string"',
      '',
    ]);
    const s = await snapshot(database.db, 'R77002');
    expect(s.accounts).toStrictEqual([{ id: 'R77002', name: 'Polar, Inc.', closed_on: null, source_version: 1n }]);
    expect(s.lines.map((l) => [l.number, l.position, l.kind, l.description, l.reference, l.quantity, l.unit_cents])).toStrictEqual([
      ['IN7720000', 1, 'opening_fee', expect.any(String), null, 1, 5000n],
      ['IN7720000', 2, 'order', 'First order', 'SO-77002', 1, 100000n],
      ['IN7720000', 3, 'service', 'Setup,\non site', null, 1, 5000n],
      ['IN7720001', 1, 'order', 'Rack, 42U', 'SO-77003', 2, 12500n],
      ['IN7720001', 2, 'service', 'Installation', null, 1, 5000n],
    ]);
    expect(s.invoices.map((i) => [i.number, i.memo, i.total_cents])).toStrictEqual([
      ['IN7720000', null, 110000n],
      ['IN7720001', 'PO 4471', 30000n],
    ]);
    expect(s.allocations).toStrictEqual([
      { payment: 'PAY-I-3', invoice: 'IN7720000', amount_cents: 10000n },
      { payment: 'PAY-I-3', invoice: 'IN7720001', amount_cents: 20000n },
    ]);
  });

  it('refuses a header with an unknown column before writing anything', async () => {
    const file = writeFile('bad-header.csv', ['type,number,discountCents', 'invoice,IN7720005,100']);
    await expect(runImport(database.db, options(file))).rejects.toThrow(/CSV header: unknown column "discountCents"; the columns are type, /);
  });
});

describe('billing:import, interrupted and resumed', () => {
  let once: Database;
  let twice: Database;
  beforeAll(async () => {
    [once, twice] = await Promise.all([freshDatabase(), freshDatabase()]);
  });
  afterAll(async () => Promise.all([once?.close(), twice?.close()]));

  /** 2 accounts, 24 invoices (every 7th refused), a payment after every 6th invoice paying the one before it. */
  function records(): object[] {
    const out: object[] = [account('R78001', 'IN7800000'), account('R78002', 'IN7800001')];
    for (let k = 1; k <= 24; k++) {
      const number = `IN78001${String(k).padStart(2, '0')}`;
      out.push(invoice(number, k % 2 ? 'R78001' : 'R78002', k % 7 === 0 ? { dueOn: D(-1) } : { memo: `PO ${k}` }));
      if (k % 6 === 0) out.push(payment(`PAY-R-${k}`, k % 2 ? 'R78001' : 'R78002', 25000, [{ invoiceNumber: number, amountCents: 25000 }]));
    }
    return out;
  }

  it('a crash mid-batch, then the same command: the same final state and reject report as one run', async () => {
    const file = writeFile('resume.ndjson', records());
    const one = await runImport(once.db, options(file, { rejectsPath: path.join(dir, 'once.rejects.ndjson') }));
    expect(one).toMatchObject({ status: 'completed', records: 30, applied: 27, rejected: 3 });

    const report = path.join(dir, 'twice.rejects.ndjson');
    const crash = options(file, {
      rejectsPath: report,
      beforeCommit: (batch) => {
        if (batch === 4) throw new Error('power cut');
      },
    });
    await expect(runImport(twice.db, crash)).rejects.toThrow('power cut');
    // Three batches of 4 committed: lines 1-12; the fourth batch's rejects were taken back from the report.
    expect(await twice.db.selectFrom('ops_imports').select(['status', 'next_line', 'records']).executeTakeFirst()).toStrictEqual({ status: 'stopped', next_line: 13n, records: 12n });
    expect(readNdjson(report).map((r) => r['line'])).toStrictEqual([10]);
    expect(await twice.db.selectFrom('invoices').select('number').where('number', '=', 'IN7800111').execute()).toStrictEqual([]);

    const resumed = await runImport(twice.db, options(file, { rejectsPath: report }));
    expect(resumed).toMatchObject({ status: 'completed', resumedFromLine: 13, records: 18, total: { records: 30, applied: 27, unchanged: 0, rejected: 3 } });
    expect(await snapshot(twice.db, 'R780')).toStrictEqual(await snapshot(once.db, 'R780'));
    expect(fs.readFileSync(report, 'utf8')).toBe(fs.readFileSync(one.rejectsPath, 'utf8'));
    const audit = await twice.db.selectFrom('audit_log').select(['outcome', 'error', sql<number>`(details->>'resumedFromLine')::int`.as('from')]).where('action', '=', 'ops.import').orderBy('id').execute();
    expect(audit).toStrictEqual([
      { outcome: 'error', error: 'power cut', from: null },
      { outcome: 'partial', error: null, from: 13 },
    ]);
  });

  it('stopped by a signal after a batch commits; --restart reads from the first line and changes nothing', async () => {
    const stop = new AbortController();
    const file = writeFile('resume-2.ndjson', [...records(), { type: 'contact', accountId: 'R78001', email: 'ap@r78001.example', name: null, sourceVersion: 1 }]);
    const stopped = await runImport(twice.db, options(file, { signal: stop.signal, beforeCommit: (batch) => void (batch === 2 && stop.abort()) }));
    expect(stopped).toMatchObject({ status: 'stopped', records: 8, applied: 0, unchanged: 8 });
    const restarted = await runImport(twice.db, options(file, { restart: true }));
    expect(restarted).toMatchObject({ status: 'completed', resumedFromLine: null, records: 31, applied: 1, unchanged: 27, rejected: 3 });
    // The restarted import completed, so the one it superseded is not resumed either.
    expect(await runImport(twice.db, options(file))).toMatchObject({ resumedFromLine: null, applied: 0, unchanged: 28 });
  });
});

describe('progress', () => {
  const display = (isTTY: boolean) => {
    let t = 0;
    const out: string[] = [];
    const p = createProgress({ out: { isTTY, write: (x: string) => out.push(x) }, totalBytes: 1000, startBytes: 200, intervalMs: 10_000, now: () => t });
    return { p, out, at: (ms: number) => (t = ms) };
  };

  it('on a terminal: a bar redrawn in place with the share, the rate and the time left', () => {
    const d = display(true);
    d.at(4000);
    d.p.update({ bytes: 600, records: 2000, rejected: 3 });
    d.at(4100);
    d.p.update({ bytes: 610, records: 2050, rejected: 3 }); // too soon: not redrawn
    d.at(6000);
    d.p.done({ bytes: 1000, records: 4000, rejected: 5 });
    expect(d.out).toStrictEqual([
      '\r\x1b[K[##############..........] 60.0%  2,000 records, 500/s, ETA 4s, 3 rejected',
      '\r\x1b[K[########################] 100.0%  4,000 records, 667/s, in 6s, 5 rejected\n',
    ]);
  });

  it('elsewhere: a plain line every ten seconds, and one at the end', () => {
    const d = display(false);
    for (const ms of [1000, 5000, 11_000, 15_000]) {
      d.at(ms);
      d.p.update({ bytes: 200 + ms / 100, records: ms, rejected: 0 });
    }
    d.at(20_000);
    d.p.done({ bytes: 600, records: 20_000, rejected: 1 });
    expect(d.out).toStrictEqual([
      'billing:import 21.0%: 1,000 records, 1,000/s, ETA 1m 19s, 0 rejected\n',
      'billing:import 31.0%: 11,000 records, 1,000/s, ETA 1m 09s, 0 rejected\n',
      'billing:import 60.0%: 20,000 records, 1,000/s, in 20s, 1 rejected\n',
    ]);
    expect([formatDuration(59.4), formatDuration(61), formatDuration(3600 * 2 + 65)]).toStrictEqual(['59s', '1m 01s', '2h 01m']);
  });
});

describe('npm run billing:import (the command)', () => {
  it('imports into the configured database, prints the summary and exits 2 when records were rejected', async () => {
    const file = writeFile('cli.ndjson', [account('R79001', 'IN7900000'), invoice('IN7900001', 'R79001'), invoice('IN7900002', 'R79999')]);
    const env = { PATH: process.env['PATH'], HOME: os.tmpdir(), NODE_ENV: 'development', DATABASE_URL: '', PGLITE_DATA_DIR: path.join(dir, 'pglite'), AUTO_SEED: 'false' };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/billing-import.ts', '--file', file, '--json', '--operator', 'erp-nightly'], { cwd: path.resolve(import.meta.dirname, '../..'), env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'completed', records: 3, applied: 2, rejected: 1, rejectsPath: path.join(dir, 'cli.rejects.ndjson') });
    expect(stderr).toMatch(/billing:import 100\.0%: 3 records, .*, 1 rejected/);
    expect(readNdjson(path.join(dir, 'cli.rejects.ndjson'))).toStrictEqual([{ line: 3, type: 'invoice', id: 'IN7900002', field: 'accountId', reason: 'no account R79999' }]);
  }, 60_000);
});
