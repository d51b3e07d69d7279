import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { AuditActorType, DB } from '../db/schema.js';
import type { Session } from '../identity/session.js';

/**
 * The audit log: one table (audit_log) and this one writer for every audited action: the
 * assistant's tool calls and the user's approvals ('tool_call', in the chat or over MCP), billing-contact changes
 * ('contact.add', 'contact.remove'), and operator calls ('ops.*'). Nothing else inserts into
 * audit_log. Callers redact before they write: card data never reaches an entry.
 */

export type { AuditActorType };

/** Who did it: a portal user (the session's user id), an operator, or the system itself. */
export interface AuditActor {
  type: AuditActorType;
  id: string | null;
}

/** Where a tool call came from: the assistant's chat, or a client over MCP (src/mcp; no conversation or message). */
export type AuditChannel = 'chat' | 'mcp';

/** What was done. Operator calls take 'ops.<name>'. */
export type AuditAction = 'tool_call' | 'contact.add' | 'contact.remove' | `ops.${string}`;

export interface AuditEntry {
  actor: AuditActor;
  action: AuditAction;
  /** ok, error, needs_approval, approved, declined, expired, not_found, exists, … (per action). */
  outcome: string;
  accountId?: string | null;
  /** Tool calls only (default 'chat'); other actions have none. */
  channel?: AuditChannel;
  conversationId?: string | null;
  messageId?: string | null;
  /** The tool call's id (the model's, or one the server minted). */
  callId?: string | null;
  /** The tool (or operator command) called. */
  name?: string | null;
  arguments?: unknown;
  error?: string | null;
  latencyMs?: number | null;
  /** Anything else the action records (a contact's id and address). */
  details?: Record<string, unknown> | null;
}

/** The actor for a request made with a portal session. */
export function userActor(session: Pick<Session, 'userId'>): AuditActor {
  return { type: 'user', id: session.userId };
}

function toRow(e: AuditEntry, n: number) {
  return {
    n,
    actor_type: e.actor.type,
    actor_id: e.actor.id,
    account_id: e.accountId ?? null,
    action: e.action,
    outcome: e.outcome,
    channel: e.action === 'tool_call' ? (e.channel ?? 'chat') : null,
    conversation_id: e.conversationId ?? null,
    message_id: e.messageId ?? null,
    call_id: e.callId ?? null,
    name: e.name ?? null,
    // undefined drops the key (SQL null); JSON null is kept as JSON null.
    arguments: e.arguments === undefined ? undefined : { v: e.arguments },
    error: e.error ?? null,
    latency_ms: e.latencyMs ?? null,
    details: e.details ?? null,
  };
}

/**
 * The insert for some entries, as one statement (one parameter: the rows as JSON), in their order.
 * Embeddable as a CTE so a caller can write its audit in the same statement as the change it
 * audits (the chat stores a turn's messages and its tool-call audit together).
 */
export function auditInsert(entries: readonly AuditEntry[]): RawBuilder<unknown> {
  const rows = JSON.stringify(entries.map((e, i) => toRow(e, i + 1)));
  return sql`insert into audit_log (actor_type, actor_id, account_id, action, outcome, channel, conversation_id, message_id, call_id, name, arguments, error, latency_ms, details)
    select a.actor_type, a.actor_id, a.account_id, a.action, a.outcome, a.channel, a.conversation_id, a.message_id, a.call_id, a.name, a.arguments -> 'v', a.error, a.latency_ms, a.details
    from jsonb_to_recordset(${rows}::jsonb) as a(
      n int, actor_type text, actor_id text, account_id text, action text, outcome text, channel text, conversation_id uuid, message_id uuid,
      call_id text, name text, arguments jsonb, error text, latency_ms double precision, details jsonb)
    order by a.n`;
}

/** Writes audit entries (one multi-row insert), inside the caller's transaction when given one. */
export async function recordAudit(db: Kysely<DB> | Transaction<DB>, entries: AuditEntry | readonly AuditEntry[]): Promise<void> {
  const list: readonly AuditEntry[] = Array.isArray(entries) ? entries : [entries as AuditEntry];
  if (list.length === 0) return;
  await auditInsert(list).execute(db);
}
