import { sql, type Kysely } from 'kysely';

// Migrations take Kysely<any>: they describe the schema as it was at that point in time.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Payment alerts are resolved by an operator (POST /v1/ops/alerts/:id/resolve): who resolved one
 * and their note, next to resolved_at. The three are set together or not at all.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('payment_alerts')
    .addColumn('resolved_by', 'text')
    .addColumn('resolution_note', 'text')
    .execute();
  // Alerts marked resolved by hand before this migration keep that, with the resolver unknown.
  await sql`update payment_alerts set resolved_by = 'unknown', resolution_note = '(resolved before operator notes existed)' where resolved_at is not null`.execute(db);
  await sql`alter table payment_alerts add constraint payment_alerts_resolution_check
    check ((resolved_at is null) = (resolved_by is null) and (resolved_at is null) = (resolution_note is null))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table payment_alerts drop constraint payment_alerts_resolution_check`.execute(db);
  await db.schema.alterTable('payment_alerts').dropColumn('resolution_note').dropColumn('resolved_by').execute();
}
