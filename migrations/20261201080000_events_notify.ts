import { sql, type Kysely } from 'kysely';

// Migrations take Kysely<any>: they describe the schema as it was at that point in time.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Cross-replica events (src/eventlog/relay.ts): every statement that inserts into `events` sends
 * `NOTIFY ba_events` with an empty payload. PostgreSQL delivers a notification only when its
 * transaction commits (never for a rolled-back one) and folds identical notifications of one
 * transaction into one, so a payment that records two events wakes each replica once. The payload
 * carries nothing: a replica that wakes reads the table from its cursor (src/eventlog/feed.ts),
 * which is also how it catches up after missing notifications while its listening connection was
 * down. A STATEMENT-level trigger: one call per INSERT statement, however many rows it adds.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function events_notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify('ba_events', '');
      return null;
    end
    $$`.execute(db);
  await sql`create trigger events_notify after insert on events for each statement execute function events_notify()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger events_notify on events`.execute(db);
  await sql`drop function events_notify()`.execute(db);
}
