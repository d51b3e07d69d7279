import type { Kysely, Transaction } from 'kysely';
import { recordAudit, userActor } from '../audit/log.js';
import type { DB } from '../db/schema.js';
import type { Session } from '../identity/session.js';
import { parseEmailAddress } from './policy.js';

/**
 * An account's billing contacts: the addresses its invoices may be emailed to besides its verified
 * domains. Managed by the account's signed-in portal users (REST API, later the portal page),
 * never by the assistant: no tool adds a contact, so text in a prompt or a memo cannot widen
 * where invoices go.
 */

export const MAX_CONTACTS_PER_ACCOUNT = 50;

export interface Contact {
  id: string;
  email: string;
  name: string | null;
  createdAt: Date;
  createdBy: string | null;
}

export type AddContactFailure = 'invalid_email' | 'exists' | 'limit';
export type AddContactResult = { ok: true; contact: Contact } | { ok: false; reason: AddContactFailure };

function toContact(r: { id: bigint; email: string; name: string | null; created_at: Date | string; created_by: string | null }): Contact {
  return { id: String(r.id), email: r.email, name: r.name, createdAt: new Date(r.created_at), createdBy: r.created_by };
}

export async function listContacts(db: Kysely<DB>, accountId: string): Promise<Contact[]> {
  const rows = await db
    .selectFrom('billing_contacts')
    .select(['id', 'email', 'name', 'created_at', 'created_by'])
    .where('account_id', '=', accountId)
    .orderBy('email')
    .execute();
  return rows.map(toContact);
}

export async function listVerifiedDomains(db: Kysely<DB>, accountId: string): Promise<string[]> {
  const rows = await db.selectFrom('account_domains').select('domain').where('account_id', '=', accountId).orderBy('domain').execute();
  return rows.map((r) => r.domain);
}

/** Who changes the contacts: a signed-in portal user of the account. */
export type ContactEditor = Pick<Session, 'accountId' | 'userId'>;

/** Every attempt to change the contacts is audited, with the validated address or id only (never free text). */
function auditContact(
  db: Kysely<DB> | Transaction<DB>,
  by: ContactEditor,
  action: 'contact.add' | 'contact.remove',
  outcome: 'ok' | AddContactFailure | 'not_found',
  details: Record<string, unknown> | null,
): Promise<void> {
  return recordAudit(db, { actor: userActor(by), accountId: by.accountId, action, outcome, details });
}

/** Adds a contact (recorded as added by the user), in one transaction with its audit entry. */
export async function addContact(db: Kysely<DB>, by: ContactEditor, input: { email: string; name?: string | null | undefined }): Promise<AddContactResult> {
  const parsed = parseEmailAddress(input.email);
  if (!parsed) {
    await auditContact(db, by, 'contact.add', 'invalid_email', null);
    return { ok: false, reason: 'invalid_email' };
  }
  return db.transaction().execute(async (trx) => {
    const count = await trx
      .selectFrom('billing_contacts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('account_id', '=', by.accountId)
      .executeTakeFirstOrThrow();
    const reason = Number(count.n) >= MAX_CONTACTS_PER_ACCOUNT ? 'limit' : null;
    const row = reason
      ? undefined
      : await trx
          .insertInto('billing_contacts')
          .values({ account_id: by.accountId, email: parsed.address, name: input.name?.trim() || null, created_by: by.userId })
          .onConflict((oc) => oc.columns(['account_id', 'email']).doNothing())
          .returning(['id', 'email', 'name', 'created_at', 'created_by'])
          .executeTakeFirst();
    const result: AddContactResult = row ? { ok: true, contact: toContact(row) } : { ok: false, reason: reason ?? 'exists' };
    await auditContact(trx, by, 'contact.add', result.ok ? 'ok' : result.reason, { email: parsed.address, ...(row ? { contactId: String(row.id) } : {}) });
    return result;
  });
}

/** Removes a contact of this account, in one transaction with its audit entry; false when the account has no such contact. */
export async function removeContact(db: Kysely<DB>, by: ContactEditor, id: string): Promise<boolean> {
  if (!/^\d{1,18}$/.test(id)) {
    await auditContact(db, by, 'contact.remove', 'not_found', null);
    return false;
  }
  return db.transaction().execute(async (trx) => {
    const row = await trx.deleteFrom('billing_contacts').where('account_id', '=', by.accountId).where('id', '=', BigInt(id)).returning(['id', 'email']).executeTakeFirst();
    await auditContact(trx, by, 'contact.remove', row ? 'ok' : 'not_found', row ? { contactId: String(row.id), email: row.email } : null);
    return row !== undefined;
  });
}
