import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { allocatePayment, applyCredit, createCreditMemo, FieldError, recordPayment } from '../ledger.js';
import { PAYMENT_METHODS, type OpsRecordOf } from './schemas.js';
import { changeOf, checkVersion, keep, requireAccount, type Change } from './upsert.js';

/**
 * Payments the billing system received (credit card, cheque, wire, EFT), credit memos it issued
 * and their applications to invoices. Money recorded does not change: a payment's amount, date,
 * currency and method, a memo's amount, and an application stay as written. A payment's
 * allocations may grow in a later update (what was left unallocated is allocated then); the
 * ledger (`recordPayment`, `allocatePayment`, `createCreditMemo`, `applyCredit`) checks each.
 */

const RECORDED = 'money recorded stays as it was recorded';

/** Records a payment with its allocations, or adds allocations to it. */
export async function putPayment(trx: Transaction<DB>, r: Omit<OpsRecordOf<'payment'>, 'type'>): Promise<Change> {
  const method = PAYMENT_METHODS[r.method];
  const p = await trx
    .selectFrom('payments')
    .select(['id', 'account_id', 'received_on', 'amount_cents', 'currency', 'method', 'source_version'])
    .where('number', '=', r.number)
    .forUpdate()
    .executeTakeFirst();
  if (!p) {
    await requireAccount(trx, r.accountId);
    const pay = await recordPayment(trx, r.accountId, { ...r, method });
    await trx.updateTable('payments').set({ source_version: r.sourceVersion }).where('id', '=', pay.id).execute();
    return 'created';
  }
  checkVersion(`payment ${r.number}`, p.source_version, r.sourceVersion);
  keep('accountId', p.account_id, r.accountId, RECORDED);
  keep('receivedOn', p.received_on, r.receivedOn, RECORDED);
  keep('amountCents', p.amount_cents, r.amountCents, RECORDED);
  keep('currency', p.currency.trim(), r.currency, RECORDED);
  keep('method', p.method, method, RECORDED);
  const added = await allocatePayment(trx, r.accountId, { id: p.id, amountCents: p.amount_cents, currency: r.currency }, r.allocations);
  await trx.updateTable('payments').set({ source_version: r.sourceVersion }).where('id', '=', p.id).execute();
  return changeOf(added > 0, p.source_version, r.sourceVersion);
}

/** Issues a credit memo, or updates its reason (the only thing about it that changes). */
export async function putCreditMemo(trx: Transaction<DB>, r: Omit<OpsRecordOf<'credit_memo'>, 'type'>): Promise<Change> {
  const m = await trx
    .selectFrom('credit_memos')
    .select(['id', 'account_id', 'issued_on', 'amount_cents', 'currency', 'reason', 'source_version'])
    .where('number', '=', r.number)
    .forUpdate()
    .executeTakeFirst();
  if (!m) {
    await requireAccount(trx, r.accountId);
    const memo = await createCreditMemo(trx, r.accountId, r);
    await trx.updateTable('credit_memos').set({ source_version: r.sourceVersion }).where('id', '=', memo.id).execute();
    return 'created';
  }
  checkVersion(`credit memo ${r.number}`, m.source_version, r.sourceVersion);
  keep('accountId', m.account_id, r.accountId, RECORDED);
  keep('issuedOn', m.issued_on, r.issuedOn, RECORDED);
  keep('amountCents', m.amount_cents, r.amountCents, RECORDED);
  keep('currency', m.currency.trim(), r.currency, RECORDED);
  await trx.updateTable('credit_memos').set({ reason: r.reason, source_version: r.sourceVersion }).where('id', '=', m.id).execute();
  return changeOf(m.reason !== r.reason, m.source_version, r.sourceVersion);
}

/** Applies (part of) a credit memo to an invoice of its account, once per memo and invoice. */
export async function putCreditApplication(
  trx: Transaction<DB>,
  r: Omit<OpsRecordOf<'credit_application'>, 'type'>,
  memoStatus: 400 | 404 = 400,
): Promise<Change> {
  const memo = await trx.selectFrom('credit_memos').select(['id', 'account_id']).where('number', '=', r.creditNumber).executeTakeFirst();
  if (!memo) throw new FieldError(memoStatus, 'creditNumber', `no credit memo ${r.creditNumber}`);
  const applied = await trx
    .selectFrom('credit_applications as ca')
    .innerJoin('invoices as i', 'i.id', 'ca.invoice_id')
    .select(['ca.credit_memo_id', 'ca.invoice_id', 'ca.amount_cents', 'ca.applied_on', 'ca.source_version'])
    .where('ca.credit_memo_id', '=', memo.id)
    .where('i.number', '=', r.invoiceNumber)
    .forUpdate()
    .executeTakeFirst();
  if (!applied) {
    await applyCredit(trx, memo.account_id, r);
    await trx
      .updateTable('credit_applications')
      .set({ source_version: r.sourceVersion })
      .where('credit_memo_id', '=', memo.id)
      .where('invoice_id', '=', trx.selectFrom('invoices').select('id').where('number', '=', r.invoiceNumber))
      .execute();
    return 'created';
  }
  checkVersion(`the application of ${r.creditNumber} to ${r.invoiceNumber}`, applied.source_version, r.sourceVersion);
  keep('amountCents', applied.amount_cents, r.amountCents, RECORDED);
  keep('appliedOn', applied.applied_on, r.appliedOn, RECORDED);
  await trx
    .updateTable('credit_applications')
    .set({ source_version: r.sourceVersion })
    .where('credit_memo_id', '=', applied.credit_memo_id)
    .where('invoice_id', '=', applied.invoice_id)
    .execute();
  return changeOf(false, applied.source_version, r.sourceVersion);
}
