import { sql, type Kysely } from 'kysely';

// Migrations take Kysely<any>: they describe the schema as it was at that point in time.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * One audit table for every audited action (src/audit/log.ts is its one writer): tool calls and
 * approvals (action 'tool_call', until now the tool_call_audit table), billing-contact changes
 * ('contact.*') and operator calls ('ops.*'). Its rows outlive the messages and conversations they
 * mention (no foreign keys). tool_call_audit stays, as a view with its old columns.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor_type', 'text', (c) => c.notNull().check(sql`actor_type in ('user', 'operator', 'system')`))
    .addColumn('actor_id', 'text')
    .addColumn('account_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'uuid')
    .addColumn('message_id', 'uuid')
    .addColumn('call_id', 'text')
    .addColumn('name', 'text')
    .addColumn('arguments', 'jsonb')
    .addColumn('error', 'text')
    // Milliseconds with two decimals, as tool_call_audit kept them.
    .addColumn('latency_ms', 'double precision')
    .addColumn('details', 'jsonb')
    .execute();
  await db.schema.createIndex('audit_log_message_idx').on('audit_log').column('message_id').execute();
  await db.schema.createIndex('audit_log_account_idx').on('audit_log').columns(['account_id', 'created_at']).execute();

  // The tool calls audited so far, with their ids; the actor is the conversation's user.
  await sql`
    insert into audit_log (id, created_at, actor_type, actor_id, account_id, action, outcome, conversation_id, message_id, call_id, name, arguments, error, latency_ms)
    select t.id, t.created_at, 'user', c.user_id, t.account_id, 'tool_call', t.outcome, t.conversation_id, t.message_id, t.call_id, t.name, t.arguments, t.error, t.latency_ms
    from tool_call_audit t left join conversations c on c.id = t.conversation_id
    order by t.id`.execute(db);
  await sql`select setval(pg_get_serial_sequence('audit_log', 'id'), coalesce((select max(id) from audit_log), 0) + 1, false)`.execute(db);
  await db.schema.dropTable('tool_call_audit').execute();
  await createToolCallAuditView(db);
}

/** The old table's columns, over the 'tool_call' rows (arguments were never null there). */
async function createToolCallAuditView(db: Kysely<any>): Promise<void> {
  await sql`
    create view tool_call_audit as
    select id, message_id, conversation_id, account_id, call_id, name, coalesce(arguments, 'null'::jsonb) as arguments,
      outcome, error, latency_ms, created_at
    from audit_log where action = 'tool_call'`.execute(db);
}

/** Back to the tool_call_audit table: its rows return; every other action's rows are dropped with audit_log. */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropView('tool_call_audit').execute();
  // The table exactly as 20261125010000_chat created it, written out again: a migration keeps its own frozen copy of the schema it restores.
  await db.schema
    .createTable('tool_call_audit')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('message_id', 'uuid', (c) => c.notNull().references('chat_messages.id').onDelete('cascade'))
    .addColumn('conversation_id', 'uuid', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('arguments', 'jsonb', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('latency_ms', 'double precision', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('tool_call_audit_message_idx').on('tool_call_audit').column('message_id').execute();
  await db.schema.createIndex('tool_call_audit_account_idx').on('tool_call_audit').columns(['account_id', 'created_at']).execute();
  // Only rows the old table could hold: their message still exists (its foreign key).
  await sql`
    insert into tool_call_audit (id, message_id, conversation_id, account_id, call_id, name, arguments, outcome, error, latency_ms, created_at)
    select a.id, a.message_id, a.conversation_id, a.account_id, a.call_id, a.name, coalesce(a.arguments, 'null'::jsonb), a.outcome, a.error,
      coalesce(a.latency_ms, 0), a.created_at
    from audit_log a join chat_messages m on m.id = a.message_id
    where a.action = 'tool_call' and a.conversation_id is not null and a.account_id is not null and a.call_id is not null and a.name is not null
    order by a.id`.execute(db);
  await sql`select setval(pg_get_serial_sequence('tool_call_audit', 'id'), coalesce((select max(id) from tool_call_audit), 0) + 1, false)`.execute(db);
  await db.schema.dropTable('audit_log').execute();
}
