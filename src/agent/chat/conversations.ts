import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { NotFoundError } from '../../errors.js';
import type { Session } from '../../identity/session.js';
import { parseContext, type DialogueContext } from '../context.js';
import type { Card } from '../types.js';
import type { PastMessage, StoredMessage } from './types.js';

/** How many earlier messages the model sees. */
const HISTORY_WINDOW = 20;

/** Throws 404 unless the conversation belongs to this session's account and user. */
export async function ownedConversation(db: Kysely<DB>, session: Session, conversationId: string): Promise<{ id: string; created_at: Date }> {
  const conv = await db
    .selectFrom('conversations')
    .select(['id', 'created_at'])
    .where('id', '=', conversationId)
    .where('account_id', '=', session.accountId)
    .where('user_id', '=', session.userId)
    .executeTakeFirst();
  // Another account's (or user's) conversation is indistinguishable from a missing one.
  if (!conv) throw new NotFoundError('Conversation not found');
  return conv;
}

/** Ownership check and the recent history in one round trip; 404 when not this session's. */
export async function ownedHistory(db: Kysely<DB>, session: Session, conversationId: string): Promise<PastMessage[]> {
  const r = await sql<{ id: string | null; role: 'user' | 'assistant' | null; text: string | null; cards: Card[] | null; context: unknown }>`
    select m.id, m.role, m.text, m.cards, m.context
    from conversations c
    left join lateral (
      select id, role, text, cards, context, seq from chat_messages
      where conversation_id = c.id order by seq desc limit ${HISTORY_WINDOW}
    ) m on true
    where c.id = ${conversationId} and c.account_id = ${session.accountId} and c.user_id = ${session.userId}
    order by m.seq asc`.execute(db);
  if (r.rows.length === 0) throw new NotFoundError('Conversation not found');
  const rows = r.rows.filter((x) => x.role !== null);
  // Only the last answer's dialogue state is read (parsed once, here); older ones stay unparsed.
  let last = -1;
  for (let i = rows.length - 1; i >= 0 && last < 0; i--) if (rows[i]!.role === 'assistant') last = i;
  return rows.map((x, i) => ({
    id: x.id!,
    role: x.role!,
    text: x.text ?? '',
    cards: x.cards ?? [],
    context: i === last ? parseContext(x.context) : null,
  }));
}

/** The dialogue state of the last answer in the history. */
export function lastContext(past: PastMessage[]): DialogueContext | null {
  for (let i = past.length - 1; i >= 0; i--) if (past[i]!.role === 'assistant') return past[i]!.context;
  return null;
}

export async function createConversation(db: Kysely<DB>, session: Session): Promise<{ id: string; createdAt: string }> {
  const id = randomUUID();
  const row = await db
    .insertInto('conversations')
    .values({ id, account_id: session.accountId, user_id: session.userId })
    .returning(['id', 'created_at'])
    .executeTakeFirstOrThrow();
  return { id: row.id, createdAt: new Date(row.created_at).toISOString() };
}

export async function listMessages(db: Kysely<DB>, session: Session, conversationId: string): Promise<StoredMessage[]> {
  await ownedConversation(db, session, conversationId);
  const rows = await db
    .selectFrom('chat_messages')
    .select(['id', 'role', 'text', 'cards', 'status', 'created_at', 'prompt_version', 'model'])
    .where('conversation_id', '=', conversationId)
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    role: r.role,
    text: r.text,
    cards: r.cards as Card[],
    status: r.status,
    createdAt: new Date(r.created_at).toISOString(),
    promptVersion: r.prompt_version,
    model: r.model,
  }));
}

/** True when the invoice appears on a card of this conversation (invoice, invoice list, receipt). */
export async function showsInvoice(db: Kysely<DB>, conversationId: string, invoiceNumber: string): Promise<boolean> {
  const r = await sql<{ found: boolean }>`
    select exists (
      select 1 from chat_messages m, jsonb_path_query(m.cards, 'lax $.**.invoiceNumber') v
      where m.conversation_id = ${conversationId} and v #>> '{}' = ${invoiceNumber}
    ) as found`.execute(db);
  return r.rows[0]?.found === true;
}
