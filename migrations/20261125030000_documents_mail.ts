import { sql, type Kysely } from 'kysely';

// Migrations take Kysely<any>: they describe the schema as it was at that point in time.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Invoice email: every send attempt (email_sends), the local outbox that stands in for Resend in
 * development (outbox + outbox_attachments), and who added a billing contact.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('email_sends')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'uuid')
    .addColumn('invoice_number', 'text', (c) => c.notNull())
    // The normalised address when it parsed, else what was asked for (truncated), for the record.
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('transport', 'text', (c) => c.check(sql`transport in ('resend', 'outbox')`))
    .addColumn('transport_message_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('sending', 'sent', 'failed', 'duplicate', 'refused')`))
    // Machine-readable cause of a refusal or failure (recipient_not_allowed, rate_limited, ...).
    .addColumn('reason', 'text')
    .addColumn('error', 'text')
    .addColumn('duplicate_of', 'uuid', (c) => c.references('email_sends.id').onDelete('set null'))
    .addColumn('idempotency_key', 'text', (c) => c.unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .execute();
  // Per-account hourly limit and the history of an account's sends.
  await db.schema.createIndex('email_sends_account_created_idx').on('email_sends').columns(['account_id', 'created_at desc']).execute();
  // Duplicate check: same invoice, same recipient, recently.
  await db.schema
    .createIndex('email_sends_dedupe_idx')
    .on('email_sends')
    .columns(['account_id', 'invoice_number', 'recipient', 'created_at desc'])
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('email_send_id', 'uuid', (c) => c.references('email_sends.id').onDelete('cascade'))
    .addColumn('idempotency_key', 'text', (c) => c.unique())
    .addColumn('from_address', 'text', (c) => c.notNull())
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text_body', 'text', (c) => c.notNull())
    .addColumn('html_body', 'text')
    .addColumn('disk_path', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('outbox_created_idx').on('outbox').column('created_at desc').execute();

  await db.schema
    .createTable('outbox_attachments')
    .addColumn('outbox_id', 'uuid', (c) => c.notNull().references('outbox.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('content', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('outbox_attachments_pk', ['outbox_id', 'position'])
    .execute();

  await db.schema.alterTable('billing_contacts').addColumn('created_by', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('billing_contacts').dropColumn('created_by').execute();
  await db.schema.dropTable('outbox_attachments').execute();
  await db.schema.dropTable('outbox').execute();
  await db.schema.dropTable('email_sends').execute();
}
