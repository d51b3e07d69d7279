import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { FieldError } from '../ledger.js';

/**
 * The upsert model every record type follows (README "Connecting your billing system", "Upserts"):
 * a record unknown here is created; a known one is compared with what is stored: an older
 * sourceVersion is refused (409 naming the stored version), a field that cannot change once
 * written is refused when it differs (409 naming it), the fields that may change are updated, and
 * the version is stored.
 */

/** What an upsert did: 201 for created, 200 otherwise. */
export type Change = 'created' | 'updated' | 'unchanged';

/** 409 when the billing system sends an older version than the one stored (null: written here, any version updates it). */
export function checkVersion(what: string, stored: bigint | null, incoming: bigint): void {
  if (stored !== null && incoming < stored) {
    throw new FieldError(409, 'sourceVersion', `${what} is stored at version ${stored}; ${incoming} is older and was not applied`);
  }
}

/** A field that cannot change once written: 409 when the record sends another value. */
export function keep<T extends string | number | bigint | boolean | null>(field: string, stored: T, incoming: T, why: string): void {
  if (stored !== incoming) throw new FieldError(409, field, `is ${String(stored)} and cannot change: ${why}`);
}

/** 'updated' when any of the mutable fields changed or the version moved, else 'unchanged'. */
export function changeOf(changed: boolean, storedVersion: bigint | null, incoming: bigint): Change {
  return changed || storedVersion !== incoming ? 'updated' : 'unchanged';
}

/** The account a record names, locked against closing while the record is written; 400 (404 when the URL named it) when there is none. */
export async function requireAccount(trx: Transaction<DB>, accountId: string, status: 400 | 404 = 400) {
  const account = await trx.selectFrom('accounts').select(['id', 'currency', 'closed_on']).where('id', '=', accountId).forShare().executeTakeFirst();
  if (!account) throw new FieldError(status, 'accountId', `no account ${accountId}`);
  return account;
}
