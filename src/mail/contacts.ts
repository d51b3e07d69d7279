import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
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

export type AddContactResult = { ok: true; contact: Contact } | { ok: false; reason: 'invalid_email' | 'exists' | 'limit' };

function toContact(r: { id: string; email: string; name: string | null; created_at: Date | string; created_by: string | null }): Contact {
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

export async function addContact(db: Kysely<DB>, accountId: string, input: { email: string; name?: string | null | undefined }, createdBy: string): Promise<AddContactResult> {
  const parsed = parseEmailAddress(input.email);
  if (!parsed) return { ok: false, reason: 'invalid_email' };
  const count = await db
    .selectFrom('billing_contacts')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  if (Number(count.n) >= MAX_CONTACTS_PER_ACCOUNT) return { ok: false, reason: 'limit' };
  const row = await db
    .insertInto('billing_contacts')
    .values({ account_id: accountId, email: parsed.address, name: input.name?.trim() || null, created_by: createdBy })
    .onConflict((oc) => oc.columns(['account_id', 'email']).doNothing())
    .returning(['id', 'email', 'name', 'created_at', 'created_by'])
    .executeTakeFirst();
  if (!row) return { ok: false, reason: 'exists' };
  return { ok: true, contact: toContact(row) };
}

/** Removes a contact of this account; false when the account has no such contact. */
export async function removeContact(db: Kysely<DB>, accountId: string, id: string): Promise<boolean> {
  if (!/^\d{1,18}$/.test(id)) return false;
  const r = await db.deleteFrom('billing_contacts').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return r.numDeletedRows > 0n;
}
