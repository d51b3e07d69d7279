import { sql, type Kysely } from 'kysely';

// Migrations take Kysely<any>: they describe the schema as it was at that point in time.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * The one durable, ordered event table (src/eventlog is its one writer and reader): the operator
 * API's events feed (GET /v1/ops/events), the outbound webhooks, and the cross-replica catch-up
 * of the multi-replica work all read it. Producers insert in the same transaction as the change
 * the event reports, so an event exists exactly when its change committed.
 *
 * Order: a bigserial is handed out at insert time, not at commit, so a row with a smaller id can
 * become visible after a larger one. Each row therefore also stores the id of the transaction
 * that wrote it (`txid`, pg_current_xact_id() as int8: a 64-bit, never-wrapping xid8 fits in
 * one), and readers see only rows whose transaction is older than every transaction still in
 * progress (pg_snapshot_xmin(pg_current_snapshot())), in (txid, id) order. A transaction that
 * has not committed yet has a txid at or above that watermark, so every row it adds sorts after
 * anything a reader has already been given: a cursor (txid, id) never skips a row.
 *
 * Event ids are 'evt_' and 32 letters (a UUID's hex with its digits moved to g–p): stable,
 * public, and never a digit run that the card-data sweeps would have to explain.
 *
 * Outbound webhooks (src/ops-webhooks): one row per configured URL with the feed cursor it has
 * been given deliveries up to (webhook_endpoints), one row per (event, URL) delivery with its
 * retry state (webhook_deliveries), and one row per attempt (webhook_delivery_attempts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) =>
      c
        .notNull()
        .unique()
        .defaultTo(sql`'evt_' || translate(replace(gen_random_uuid()::text, '-', ''), '0123456789', 'ghijklmnop')`),
    )
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type ~ '^[a-z_]+(\\.[a-z_]+)+$'`))
    .addColumn('account_id', 'text')
    .addColumn('payload', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('txid', 'bigint', (c) => c.notNull().defaultTo(sql`(pg_current_xact_id()::text)::bigint`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('events_order_idx').on('events').columns(['txid', 'id']).execute();

  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('url', 'text', (c) => c.primaryKey())
    // The feed position (txid, id) up to which deliveries were created for this URL.
    .addColumn('after_txid', 'bigint', (c) => c.notNull())
    .addColumn('after_id', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('event_id', 'bigint', (c) => c.notNull().references('events.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending', 'delivered', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    // When the next attempt is due; while an attempt runs, the end of its lease (a crashed worker's claim expires).
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('webhook_deliveries_event_url_key', ['event_id', 'url'])
    .execute();
  await sql`create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = 'pending'`.execute(db);
  await db.schema.createIndex('webhook_deliveries_status_idx').on('webhook_deliveries').columns(['status', 'id']).execute();

  await db.schema
    .createTable('webhook_delivery_attempts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('delivery_id', 'bigint', (c) => c.notNull().references('webhook_deliveries.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('delivered', 'retry', 'failed')`))
    .execute();
  await db.schema.createIndex('webhook_delivery_attempts_delivery_idx').on('webhook_delivery_attempts').columns(['delivery_id', 'attempt']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_delivery_attempts').execute();
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhook_endpoints').execute();
  await db.schema.dropTable('events').execute();
}
