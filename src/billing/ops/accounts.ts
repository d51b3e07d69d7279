import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { FieldError, openAccountIn, setAccountClosed } from '../ledger.js';
import type { OpsRecordOf } from './schemas.js';
import { changeOf, checkVersion, keep, requireAccount, type Change } from './upsert.js';

/**
 * Accounts, their billing contacts and verified domains, as the billing system writes them.
 * Opening an account raises its first invoice with the one-time opening fee (the ledger's
 * `openAccountIn`: once per account, whatever the concurrency); renaming, closing (no invoice
 * issued on or after the closing day; payments and credits still apply) and reopening are updates.
 */

type AccountRecord = Omit<OpsRecordOf<'account'>, 'type'>;

/** Opens the account with its opening invoice; when a concurrent request opened it first, this one is an update. */
async function openAccount(trx: Transaction<DB>, r: AccountRecord): Promise<Change> {
  const opening = r.openingInvoice;
  if (!opening) throw new FieldError(400, 'openingInvoice', 'required when the account is opened: its first invoice carries the one-time opening fee');
  for (const [i, l] of opening.lines.entries()) {
    if (l.kind === 'opening_fee') throw new FieldError(400, `openingInvoice.lines[${i}].kind`, 'the opening fee is added by the ledger, once; list only the other lines');
    if (l.position === 1) throw new FieldError(400, `openingInvoice.lines[${i}].position`, 'position 1 is the opening fee; the other lines start at 2');
  }
  const taken = await trx.selectFrom('invoices').select('account_id').where('number', '=', opening.number).executeTakeFirst();
  if (taken) throw new FieldError(409, 'openingInvoice.number', `${opening.number} is already an invoice of account ${taken.account_id}`);
  const opened = await openAccountIn(trx, {
    id: r.accountId,
    name: r.name,
    currency: r.currency,
    openedOn: r.openedOn,
    firstInvoiceNumber: opening.number,
    ...(opening.dueOn ? { firstInvoiceDueOn: opening.dueOn } : {}),
    firstInvoiceLines: opening.lines,
  });
  if (!opened.created) return updateAccount(trx, r);
  if (r.closedOn !== null) await setAccountClosed(trx, r.accountId, r.closedOn);
  await trx.updateTable('accounts').set({ source_version: r.sourceVersion }).where('id', '=', r.accountId).execute();
  return 'created';
}

async function updateAccount(trx: Transaction<DB>, r: AccountRecord): Promise<Change> {
  const a = await trx
    .selectFrom('accounts')
    .select(['name', 'currency', 'opened_on', 'closed_on', 'source_version'])
    .where('id', '=', r.accountId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  checkVersion(`account ${r.accountId}`, a.source_version, r.sourceVersion);
  keep('currency', a.currency.trim(), r.currency, "an account's invoices, payments and credits are all in its currency");
  keep('openedOn', a.opened_on, r.openedOn, 'the opening invoice was issued that day');
  if (r.openingInvoice) {
    const opening = await trx.selectFrom('invoices').select('number').where('account_id', '=', r.accountId).where('is_opening', '=', true).executeTakeFirst();
    keep('openingInvoice.number', opening?.number ?? null, r.openingInvoice.number, 'the opening fee is charged once, on that invoice');
  }
  if (a.closed_on !== r.closedOn) await setAccountClosed(trx, r.accountId, r.closedOn);
  await trx.updateTable('accounts').set({ name: r.name, source_version: r.sourceVersion }).where('id', '=', r.accountId).execute();
  return changeOf(a.name !== r.name || a.closed_on !== r.closedOn, a.source_version, r.sourceVersion);
}

/** Opens, renames, closes or reopens an account. */
export async function putAccount(trx: Transaction<DB>, r: AccountRecord): Promise<Change> {
  const exists = await trx.selectFrom('accounts').select('id').where('id', '=', r.accountId).executeTakeFirst();
  return exists ? updateAccount(trx, r) : openAccount(trx, r);
}

/** Adds a billing contact or renames it (a contact added by a portal user keeps who added it). */
export async function putContact(trx: Transaction<DB>, r: Omit<OpsRecordOf<'contact'>, 'type'>, accountStatus: 400 | 404 = 400): Promise<Change> {
  await requireAccount(trx, r.accountId, accountStatus);
  const c = await trx
    .selectFrom('billing_contacts')
    .select(['id', 'name', 'source_version'])
    .where('account_id', '=', r.accountId)
    .where('email', '=', r.email)
    .forUpdate()
    .executeTakeFirst();
  if (!c) {
    await trx.insertInto('billing_contacts').values({ account_id: r.accountId, email: r.email, name: r.name, source_version: r.sourceVersion }).execute();
    return 'created';
  }
  checkVersion(`contact ${r.email}`, c.source_version, r.sourceVersion);
  await trx.updateTable('billing_contacts').set({ name: r.name, source_version: r.sourceVersion }).where('id', '=', c.id).execute();
  return changeOf(c.name !== r.name, c.source_version, r.sourceVersion);
}

/** Adds a verified domain (any address at it may receive the account's invoices) or moves its verification time. */
export async function putDomain(trx: Transaction<DB>, r: Omit<OpsRecordOf<'domain'>, 'type'>, accountStatus: 400 | 404 = 400): Promise<Change> {
  await requireAccount(trx, r.accountId, accountStatus);
  const d = await trx
    .selectFrom('account_domains')
    .select(['verified_at', 'source_version'])
    .where('account_id', '=', r.accountId)
    .where('domain', '=', r.domain)
    .forUpdate()
    .executeTakeFirst();
  if (!d) {
    await trx.insertInto('account_domains').values({ account_id: r.accountId, domain: r.domain, verified_at: r.verifiedAt, source_version: r.sourceVersion }).execute();
    return 'created';
  }
  checkVersion(`domain ${r.domain}`, d.source_version, r.sourceVersion);
  await trx
    .updateTable('account_domains')
    .set({ verified_at: r.verifiedAt, source_version: r.sourceVersion })
    .where('account_id', '=', r.accountId)
    .where('domain', '=', r.domain)
    .execute();
  return changeOf(new Date(d.verified_at).getTime() !== Date.parse(r.verifiedAt), d.source_version, r.sourceVersion);
}

/** Removes a billing contact (whoever added it); false when the account had none at that address. A removal carries no version. */
export async function removeContact(trx: Transaction<DB>, r: Omit<OpsRecordOf<'contact_removal'>, 'type'>, accountStatus: 400 | 404 = 400): Promise<boolean> {
  await requireAccount(trx, r.accountId, accountStatus);
  const gone = await trx.deleteFrom('billing_contacts').where('account_id', '=', r.accountId).where('email', '=', r.email).returning('id').executeTakeFirst();
  return gone !== undefined;
}

/** Removes a verified domain; false when the account had none such. A removal carries no version. */
export async function removeDomain(trx: Transaction<DB>, r: Omit<OpsRecordOf<'domain_removal'>, 'type'>, accountStatus: 400 | 404 = 400): Promise<boolean> {
  await requireAccount(trx, r.accountId, accountStatus);
  const gone = await trx.deleteFrom('account_domains').where('account_id', '=', r.accountId).where('domain', '=', r.domain).returning('domain').executeTakeFirst();
  return gone !== undefined;
}
