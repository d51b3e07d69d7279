import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { FieldError } from '../ledger.js';
import { putAccount, putContact, putDomain, removeContact, removeDomain } from './accounts.js';
import { putInvoice, voidOpsInvoice } from './invoices.js';
import { putCreditApplication, putCreditMemo, putPayment } from './payments.js';
import { opsRecord, type OpsRecord } from './schemas.js';
import type { Change } from './upsert.js';

/**
 * One billing-system record applied whole or not at all, for callers that write many in one
 * transaction (the bulk importer): the record's own savepoint is rolled back when it is refused,
 * and the transaction goes on. The operator API calls the same functions, one record per request.
 */

export type ApplyResult = { ok: true; change: Change | 'removed' | 'absent' } | { ok: false; field: string; reason: string };

/** A record's fields, validated by the same schemas as the API's bodies; the first problem, with its field. */
export function parseOpsRecord(input: unknown): { ok: true; record: OpsRecord } | { ok: false; field: string; reason: string } {
  const parsed = opsRecord.safeParse(input);
  if (parsed.success) return { ok: true, record: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
  return { ok: false, field: field || 'record', reason: issue.message };
}

/** Applies a record in the caller's transaction (no savepoint: the caller's transaction is the unit). */
export async function applyRecord(trx: Transaction<DB>, record: OpsRecord): Promise<Change | 'removed' | 'absent'> {
  switch (record.type) {
    case 'account':
      return putAccount(trx, record);
    case 'invoice':
      return putInvoice(trx, record);
    case 'void':
      return voidOpsInvoice(trx, record);
    case 'payment':
      return putPayment(trx, record);
    case 'credit_memo':
      return putCreditMemo(trx, record);
    case 'credit_application':
      return putCreditApplication(trx, record);
    case 'contact':
      return putContact(trx, record);
    case 'contact_removal':
      return (await removeContact(trx, record)) ? 'removed' : 'absent';
    case 'domain':
      return putDomain(trx, record);
    case 'domain_removal':
      return (await removeDomain(trx, record)) ? 'removed' : 'absent';
  }
}

/** PostgreSQL's unique_violation: a concurrent writer created the same record first. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

/**
 * Applies one record inside the caller's transaction under its own savepoint: `{ ok: false }` with
 * the field and the reason when a rule refuses it (nothing of it is kept, the transaction goes on).
 * Errors that are not the record's fault (the database gone) are thrown after the rollback.
 */
export async function applyOpsRecord(trx: Transaction<DB>, record: OpsRecord): Promise<ApplyResult> {
  await sql`savepoint ops_record`.execute(trx);
  try {
    const change = await applyRecord(trx, record);
    await sql`release savepoint ops_record`.execute(trx);
    return { ok: true, change };
  } catch (err) {
    await sql`rollback to savepoint ops_record`.execute(trx);
    await sql`release savepoint ops_record`.execute(trx);
    if (err instanceof FieldError) return { ok: false, field: err.field, reason: err.reason };
    if (err instanceof AppError && err.statusCode < 500) return { ok: false, field: 'record', reason: err.message };
    if (isUniqueViolation(err)) return { ok: false, field: 'record', reason: 'written meanwhile by another request; apply it again' };
    throw err;
  }
}
