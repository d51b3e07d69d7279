import { sql, type Kysely } from 'kysely';

// Migrations take Kysely<any>: they describe the schema as it was at that point in time.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * The MCP server (src/mcp). It is stateless over HTTP (any replica answers any request), so what
 * must outlive one request lives here:
 *
 * - audit_log gains `channel` ('chat' | 'mcp') on tool calls: MCP calls belong to no conversation
 *   or chat message. tool_call_audit (the old table's columns) stays the chat's rows.
 * - mcp_clients: what a client declared at `initialize` (its capabilities: can it answer an
 *   elicitation?), by the SHA-256 of its bearer token, until the token expires.
 * - mcp_proposals: side effects proposed over MCP, approved once (through an elicitation or the
 *   signed approval page), with the result of the approved call.
 * - mcp_elicitations: elicitation requests sent to a client and its answer, which may arrive at
 *   another replica than the one waiting for it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_log add column channel text check (channel in ('chat', 'mcp'))`.execute(db);
  await sql`update audit_log set channel = 'chat' where action = 'tool_call'`.execute(db);
  await sql`alter table audit_log add constraint audit_log_tool_call_channel check (action <> 'tool_call' or channel is not null)`.execute(db);
  await sql`drop view tool_call_audit`.execute(db);
  await sql`
    create view tool_call_audit as
    select id, message_id, conversation_id, account_id, call_id, name, coalesce(arguments, 'null'::jsonb) as arguments,
      outcome, error, latency_ms, created_at
    from audit_log where action = 'tool_call' and channel = 'chat'`.execute(db);

  await db.schema
    .createTable('mcp_clients')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('protocol_version', 'text', (c) => c.notNull())
    .addColumn('capabilities', 'jsonb', (c) => c.notNull())
    .addColumn('client_info', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('mcp_clients_expires_idx').on('mcp_clients').column('expires_at').execute();

  await db.schema
    .createTable('mcp_proposals')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    // The approval link's reference (AP + 7 characters; src/links/signer.ts).
    .addColumn('ref', 'text', (c) => c.notNull().unique())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('tool', 'text', (c) => c.notNull())
    .addColumn('arguments', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('pending').check(sql`status in ('pending', 'approved', 'declined', 'cancelled', 'expired')`),
    )
    .addColumn('decided_via', 'text', (c) => c.check(sql`decided_via in ('elicitation', 'page')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('decided_at', 'timestamptz')
    // What the approved call reported: { ok, result } or { ok: false, code, message }.
    .addColumn('outcome', 'jsonb')
    .execute();
  await db.schema.createIndex('mcp_proposals_account_idx').on('mcp_proposals').columns(['account_id', 'created_at']).execute();

  await db.schema
    .createTable('mcp_elicitations')
    // The JSON-RPC id of our elicitation/create request (unique across replicas).
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('form', 'url')`))
    .addColumn('proposal_id', 'uuid', (c) => c.references('mcp_proposals.id').onDelete('cascade'))
    // The client's JSON-RPC answer: { result } or { error }.
    .addColumn('answer', 'jsonb')
    .addColumn('answered_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('mcp_elicitations').execute();
  await db.schema.dropTable('mcp_proposals').execute();
  await db.schema.dropTable('mcp_clients').execute();
  await sql`drop view tool_call_audit`.execute(db);
  // The MCP channel's rows stay (an audit is never shortened): tool calls without a chat message.
  await sql`alter table audit_log drop constraint audit_log_tool_call_channel`.execute(db);
  await sql`alter table audit_log drop column channel`.execute(db);
  await sql`
    create view tool_call_audit as
    select id, message_id, conversation_id, account_id, call_id, name, coalesce(arguments, 'null'::jsonb) as arguments,
      outcome, error, latency_ms, created_at
    from audit_log where action = 'tool_call'`.execute(db);
}
