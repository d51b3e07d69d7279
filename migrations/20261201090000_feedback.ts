import { sql, type Kysely } from 'kysely';

// Migrations take Kysely<any>: they describe the schema as it was at that point in time.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Feedback on the assistant's answers (issue 15): a thumbs-down from the widget, with an optional
 * comment, on one assistant message. One row per message: flagging it again replaces the comment.
 * QA lists the rows through GET /v1/ops/feedback (newest first, paged by `id`) and turns the
 * conversation into an eval case (`npm run evals:capture`).
 *
 * The account and user are copied from the conversation so the operator list says whose it is
 * without a join; the rows go with the message (cascade) like the rest of the transcript.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('chat_feedback')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('message_id', 'uuid', (c) => c.notNull().unique().references('chat_messages.id').onDelete('cascade'))
    .addColumn('conversation_id', 'uuid', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    // Card numbers are removed before it is stored (src/redaction); null when the user wrote none.
    .addColumn('comment', 'text')
    .addColumn('comment_redacted', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('chat_feedback_account_idx').on('chat_feedback').columns(['account_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('chat_feedback').execute();
}
