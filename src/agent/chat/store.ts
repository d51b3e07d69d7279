import { sql, type Kysely, type RawBuilder } from 'kysely';
import { auditInsert, userActor, type AuditEntry } from '../../audit/log.js';
import type { DB } from '../../db/schema.js';
import type { Session } from '../../identity/session.js';
import type { Proposal, ToolCallRecord } from '../loop.js';
import type { NewMessage, Rewrite } from './types.js';

/** A turn to store: its messages, and the tool calls and proposals of its answer (`messageId`). */
export interface StoredTurn {
  conversationId: string;
  session: Session;
  messages: NewMessage[];
  /** The answer the audit and the proposals belong to; without it neither is written. */
  messageId?: string;
  audit?: readonly ToolCallRecord[];
  proposals?: readonly Proposal[];
  /** Earlier user messages of the conversation whose text is replaced (redacted) with this turn. */
  rewrites?: readonly Rewrite[];
}

/** A turn's tool calls (and decided proposals) as audit entries: the session's user, account and conversation. */
export function toolCallAuditEntries(session: Session, conversationId: string, messageId: string, calls: readonly ToolCallRecord[]): AuditEntry[] {
  return calls.map((a) => ({
    actor: userActor(session),
    action: 'tool_call',
    outcome: a.outcome,
    accountId: session.accountId,
    conversationId,
    messageId,
    callId: a.id,
    name: a.name,
    arguments: a.arguments ?? null,
    error: a.error,
    latencyMs: a.latencyMs,
  }));
}

function messageRows(msgs: NewMessage[]): string {
  return JSON.stringify(
    msgs.map((m, i) => ({
      id: m.id,
      n: i + 1,
      role: m.role,
      text: m.text,
      cards: m.cards,
      status: m.status ?? 'complete',
      prompt_version: m.promptVersion ?? null,
      model: m.model ?? null,
      redacted: m.redacted ?? false,
      context: m.context ?? null,
    })),
  );
}

/** The proposals part of the statement; most turns propose nothing and carry none. */
function proposalsCte(turn: StoredTurn): RawBuilder<unknown> {
  const proposals = turn.proposals ?? [];
  if (!turn.messageId || proposals.length === 0) return sql`prop as (select 1)`;
  const rows = proposals.map((p) => ({ id: p.id, message_id: turn.messageId, tool: p.tool, arguments: p.arguments, expires_at: p.expiresAt.toISOString() }));
  return sql`prop as (
    insert into chat_proposals (id, conversation_id, message_id, account_id, user_id, tool, arguments, expires_at)
    select p.id, ${turn.conversationId}, p.message_id, ${turn.session.accountId}, ${turn.session.userId}, p.tool, p.arguments, p.expires_at
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as p(id uuid, message_id uuid, tool text, arguments jsonb, expires_at timestamptz)
    where exists (select 1 from ins)
  )`;
}

/** The audit part: the audit log's own insert (src/audit/log.ts), in this statement. */
function auditCte(turn: StoredTurn): RawBuilder<unknown> {
  const calls = turn.audit ?? [];
  if (!turn.messageId || calls.length === 0) return sql`aud as (select 1)`;
  return sql`aud as (${auditInsert(toolCallAuditEntries(turn.session, turn.conversationId, turn.messageId, calls))})`;
}

/** The rewrite part: earlier user messages of this conversation get their redacted text, marked redacted. */
function rewritesCte(turn: StoredTurn): RawBuilder<unknown> {
  const rewrites = turn.rewrites ?? [];
  if (rewrites.length === 0) return sql`upd as (select 1)`;
  return sql`upd as (
    update chat_messages m set text = r.text, redacted = true
    from jsonb_to_recordset(${JSON.stringify(rewrites)}::jsonb) as r(id uuid, text text)
    where m.id = r.id and m.conversation_id = ${turn.conversationId} and m.role = 'user'
  )`;
}

/**
 * Stores a turn (its messages, rewritten earlier messages, proposals and tool-call audit, the conversation's updated_at) in
 * ONE statement, so it is atomic without a transaction round trip. Sequence numbers come from the
 * current maximum; a concurrent writer to the same conversation hits the unique (conversation,
 * seq) constraint and the statement is retried.
 */
export async function storeTurn(db: Kysely<DB>, turn: StoredTurn): Promise<void> {
  const rows = messageRows(turn.messages);
  const { conversationId } = turn;
  const statement = sql`
    with base as (
      select coalesce(max(seq), 0) as s from chat_messages where conversation_id = ${conversationId}
    ),
    ins as (
      insert into chat_messages (id, conversation_id, seq, role, text, cards, status, prompt_version, model, redacted, context)
      select r.id, ${conversationId}, base.s + r.n, r.role, r.text, r.cards, r.status, r.prompt_version, r.model, r.redacted, r.context
      from base, jsonb_to_recordset(${rows}::jsonb) as r(
        id uuid, n int, role text, text text, cards jsonb, status text, prompt_version text, model text, redacted boolean, context jsonb)
      returning id
    ),
    ${proposalsCte(turn)},
    ${auditCte(turn)},
    ${rewritesCte(turn)}
    update conversations set updated_at = now() where id = ${conversationId}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await statement.execute(db);
      return;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== '23505' || attempt >= 5) throw err;
    }
  }
}
