import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { checkDueDate, createInvoice, FieldError, voidInvoice } from '../ledger.js';
import type { OpsRecordOf } from './schemas.js';
import { changeOf, checkVersion, keep, requireAccount, type Change } from './upsert.js';

/**
 * Invoices as the billing system writes them. Created with their lines (the ledger's
 * `createInvoice` checks them); afterwards only the due date and the memo change: an issued
 * invoice's account, dates, currency and lines stay as they are (void it and issue another).
 */

type InvoiceRecord = Omit<OpsRecordOf<'invoice'>, 'type'>;
type StoredLine = { position: number; kind: string; description: string; reference: string | null; quantity: number; unit_cents: bigint };

const ISSUED = 'an issued invoice keeps it; void the invoice and issue another';

async function createOpsInvoice(trx: Transaction<DB>, r: InvoiceRecord): Promise<Change> {
  await requireAccount(trx, r.accountId);
  const fee = r.lines.findIndex((l) => l.kind === 'opening_fee');
  if (fee >= 0) throw new FieldError(400, `lines[${fee}].kind`, "the opening fee is charged once, on the account's opening invoice (PUT /v1/ops/accounts/:accountId)");
  const inv = await createInvoice(trx, r.accountId, { number: r.number, issuedOn: r.issuedOn, dueOn: r.dueOn, currency: r.currency, memo: r.memo, lines: r.lines });
  await trx.updateTable('invoices').set({ source_version: r.sourceVersion }).where('id', '=', inv.id).execute();
  return 'created';
}

/** The stored lines against the record's, both in position order: 409 naming the first field that differs. */
function keepLines(stored: StoredLine[], lines: InvoiceRecord['lines']): void {
  keep('lines', stored.length, lines.length, `the invoice has ${stored.length} lines; ${ISSUED}`);
  const sorted = lines.map((l, i) => ({ l, i })).sort((a, b) => a.l.position - b.l.position);
  for (const [k, { l, i }] of sorted.entries()) {
    const s = stored[k]!;
    keep(`lines[${i}].position`, s.position, l.position, ISSUED);
    keep(`lines[${i}].kind`, s.kind, l.kind, ISSUED);
    keep(`lines[${i}].description`, s.description, l.description, ISSUED);
    keep(`lines[${i}].reference`, s.reference, l.reference, ISSUED);
    keep(`lines[${i}].quantity`, s.quantity, l.quantity, ISSUED);
    keep(`lines[${i}].unitCents`, s.unit_cents, l.unitCents, ISSUED);
  }
}

/** Issues an invoice, or updates its due date and memo. */
export async function putInvoice(trx: Transaction<DB>, r: InvoiceRecord): Promise<Change> {
  const inv = await trx
    .selectFrom('invoices')
    .select(['id', 'account_id', 'issued_on', 'due_on', 'currency', 'memo', 'voided_at', 'source_version'])
    .where('number', '=', r.number)
    .forUpdate()
    .executeTakeFirst();
  if (!inv) return createOpsInvoice(trx, r);
  checkVersion(`invoice ${r.number}`, inv.source_version, r.sourceVersion);
  keep('accountId', inv.account_id, r.accountId, 'an invoice stays with its account');
  keep('issuedOn', inv.issued_on, r.issuedOn, ISSUED);
  keep('currency', inv.currency.trim(), r.currency, ISSUED);
  const lines = await trx
    .selectFrom('invoice_lines')
    .select(['position', 'kind', 'description', 'reference', 'quantity', 'unit_cents'])
    .where('invoice_id', '=', inv.id)
    .orderBy('position')
    .execute();
  keepLines(lines, r.lines);
  const changed = inv.due_on !== r.dueOn || inv.memo !== r.memo;
  if (changed && inv.voided_at) throw new FieldError(409, 'number', `invoice ${r.number} is void: its due date and memo no longer change`);
  checkDueDate(inv.issued_on, r.dueOn);
  await trx.updateTable('invoices').set({ due_on: r.dueOn, memo: r.memo, source_version: r.sourceVersion }).where('id', '=', inv.id).execute();
  return changeOf(changed, inv.source_version, r.sourceVersion);
}

/** Voids an invoice (the ledger refuses a paid or partly paid one, and says why); a void invoice stays void. */
export async function voidOpsInvoice(trx: Transaction<DB>, r: Omit<OpsRecordOf<'void'>, 'type'>): Promise<Change> {
  const inv = await trx.selectFrom('invoices').select(['id', 'source_version']).where('number', '=', r.number).forUpdate().executeTakeFirst();
  if (!inv) throw new FieldError(404, 'number', `no invoice ${r.number}`);
  checkVersion(`invoice ${r.number}`, inv.source_version, r.sourceVersion);
  const voided = await voidInvoice(trx, r.number, r.voidedAt);
  await trx.updateTable('invoices').set({ source_version: r.sourceVersion }).where('id', '=', inv.id).execute();
  return changeOf(voided, inv.source_version, r.sourceVersion);
}
