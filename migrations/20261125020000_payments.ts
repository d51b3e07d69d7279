import { sql, type Kysely } from 'kysely';

// Migrations take Kysely<any>: they describe the schema as it was at that point in time.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Payments: the Checkout Sessions we create, the processor events we have processed (exactly
 * once, keyed by event id), and the alerts raised by events that do not match what we created.
 * No card data is ever stored: the processor's hosted page takes the card.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('checkout_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey()) // the processor's session id (cs_...)
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('invoice_id', 'bigint', (c) => c.notNull().references('invoices.id').onDelete('cascade'))
    .addColumn('invoice_number', 'text', (c) => c.notNull())
    .addColumn('processor', 'text', (c) => c.notNull().check(sql`processor in ('stripe', 'sandbox')`))
    .addColumn('amount_cents', 'bigint', (c) => c.notNull().check(sql`amount_cents > 0`))
    .addColumn('currency', 'char(3)', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c.notNull().defaultTo('open').check(sql`state in ('open', 'processing', 'paid', 'failed', 'expired')`),
    )
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('payment_intent', 'text')
    .addColumn('payment_id', 'bigint', (c) => c.references('payments.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The open session of an invoice (reused by a double click or a second link).
  await sql`create index checkout_sessions_invoice_open_idx on checkout_sessions (invoice_id, created_at desc) where state = 'open'`.execute(db);
  await db.schema.createIndex('checkout_sessions_account_idx').on('checkout_sessions').columns(['account_id', 'created_at desc']).execute();
  // A payment settles at most one session.
  await sql`create unique index checkout_sessions_payment_uq on checkout_sessions (payment_id) where payment_id is not null`.execute(db);

  await db.schema
    .createTable('stripe_events')
    .addColumn('id', 'text', (c) => c.primaryKey()) // evt_... (or reconcile_<session id> for reconciliation)
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('webhook', 'reconcile')`))
    .addColumn('session_id', 'text') // no FK: events for unknown sessions are recorded (and alerted) too
    .addColumn('account_id', 'text', (c) => c.references('accounts.id').onDelete('cascade'))
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('payment_id', 'bigint', (c) => c.references('payments.id').onDelete('set null'))
    .addColumn('event_created_at', 'timestamptz')
    .addColumn('processed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('stripe_events_session_idx').on('stripe_events').column('session_id').execute();

  await db.schema
    .createTable('payment_alerts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('alert', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text')
    .addColumn('session_id', 'text')
    .addColumn('account_id', 'text', (c) => c.references('accounts.id').onDelete('cascade'))
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('resolved_at', 'timestamptz')
    .execute();
  await sql`create index payment_alerts_open_idx on payment_alerts (created_at desc) where resolved_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('payment_alerts').execute();
  await db.schema.dropTable('stripe_events').execute();
  await db.schema.dropTable('checkout_sessions').execute();
}
