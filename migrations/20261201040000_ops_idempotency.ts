import { sql, type Kysely } from 'kysely';

// Migrations take Kysely<any>: they describe the schema as it was at that point in time.
/* eslint-disable @typescript-eslint/no-explicit-any */

/** The billing records the operator API writes (src/billing/ops) carry the billing system's version. */
const VERSIONED = ['accounts', 'invoices', 'payments', 'credit_memos', 'credit_applications', 'billing_contacts', 'account_domains'] as const;

/**
 * The operator API's upserts (README "Connecting your billing system", "Upserts"):
 * - ops_idempotency: one row per (operator, Idempotency-Key) with the hash of the request and the
 *   answer it got; a replay answers the stored answer without writing. The row is inserted first in
 *   the write's own transaction, so a concurrent duplicate waits on the primary key and then replays.
 * - source_version on every record the billing system writes (null: written here, by the fixture or
 *   the portal): an update older than the stored version is refused.
 * - accounts.closed_on: a closed account takes no invoice issued on or after that day.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ops_idempotency')
    .addColumn('operator_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull().check(sql`length(key) between 1 and 255`))
    // "PUT /v1/ops/invoices/IN7654321": what the key was first used for, named when it is reused for something else.
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    // Null only inside the writing transaction (the row is claimed before the write, answered after it).
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('ops_idempotency_pk', ['operator_id', 'key'])
    .execute();
  for (const table of VERSIONED) {
    await db.schema.alterTable(table).addColumn('source_version', 'bigint').execute();
  }
  await db.schema.alterTable('accounts').addColumn('closed_on', 'date').execute();
  await db.schema.alterTable('accounts').addCheckConstraint('accounts_closed_after_opened', sql`closed_on >= opened_on`).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').dropConstraint('accounts_closed_after_opened').execute();
  await db.schema.alterTable('accounts').dropColumn('closed_on').execute();
  for (const table of VERSIONED) {
    await db.schema.alterTable(table).dropColumn('source_version').execute();
  }
  await db.schema.dropTable('ops_idempotency').execute();
}
