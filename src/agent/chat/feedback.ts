import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { NotFoundError } from '../../errors.js';
import type { Session } from '../../identity/session.js';
import { redactCardData } from '../../redaction/card-data.js';

/**
 * Feedback on the assistant's answers: a thumbs-down with an optional comment, given by the user
 * who owns the conversation (the widget), listed for QA (GET /v1/ops/feedback). Table
 * `chat_feedback`, one row per assistant message; flagging again replaces the comment.
 */

/** The longest comment kept (the route refuses longer ones). */
export const MAX_FEEDBACK_COMMENT_CHARS = 2000;

export interface Feedback {
  id: bigint;
  messageId: string;
  conversationId: string;
  accountId: string;
  comment: string | null;
  /** A card number (or its expiry or code) was removed from the comment. */
  commentRedacted: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A flagged answer as QA sees it: the feedback, the answer, and the user message it answered. */
export interface FlaggedMessage extends Feedback {
  answer: { text: string; createdAt: Date; model: string | null; promptVersion: string | null; status: string };
  /** The user message right before the answer (null for an answer to an Approve/Decline button). */
  question: string | null;
}

/**
 * Flags an assistant message of the session's own conversation. 404 (indistinguishable from a
 * missing one) for another account's or user's conversation, a message of another conversation,
 * or a user message. The comment's card data is removed before it is stored.
 */
export async function flagMessage(db: Kysely<DB>, session: Session, conversationId: string, messageId: string, comment: string | null): Promise<Feedback> {
  const text = comment?.trim() || null;
  const redacted = text === null ? { text: null, found: false } : redactCardData(text);
  // The ownership check and the write in one statement: nothing is written unless the message is this session's answer.
  const row = await sql<{ id: bigint; created_at: Date; updated_at: Date }>`
    insert into chat_feedback (message_id, conversation_id, account_id, user_id, comment, comment_redacted)
    select m.id, c.id, c.account_id, c.user_id, ${redacted.text}, ${redacted.found}
    from chat_messages m join conversations c on c.id = m.conversation_id
    where m.id = ${messageId} and m.role = 'assistant'
      and c.id = ${conversationId} and c.account_id = ${session.accountId} and c.user_id = ${session.userId}
    on conflict (message_id) do update set comment = excluded.comment, comment_redacted = excluded.comment_redacted, updated_at = now()
    returning id, created_at, updated_at`.execute(db);
  const r = row.rows[0];
  if (!r) throw new NotFoundError('Message not found');
  return {
    id: BigInt(r.id),
    messageId,
    conversationId,
    accountId: session.accountId,
    comment: redacted.text,
    commentRedacted: redacted.found,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

/** Flagged answers, newest flag first; `before` is the last id of the previous page. */
export async function listFeedback(
  db: Kysely<DB>,
  opts: { limit: number; before?: bigint | undefined; accountId?: string | undefined },
): Promise<{ items: FlaggedMessage[]; next: bigint | null }> {
  let q = db
    .selectFrom('chat_feedback as f')
    .innerJoin('chat_messages as m', 'm.id', 'f.message_id')
    .select([
      'f.id',
      'f.message_id',
      'f.conversation_id',
      'f.account_id',
      'f.comment',
      'f.comment_redacted',
      'f.created_at',
      'f.updated_at',
      'm.text',
      'm.created_at as answered_at',
      'm.model',
      'm.prompt_version',
      'm.status',
    ])
    // The message right before the answer, when it is the user's.
    .select((eb) =>
      eb
        .selectFrom('chat_messages as u')
        .select('u.text')
        .whereRef('u.conversation_id', '=', 'm.conversation_id')
        .where('u.seq', '=', sql<number>`m.seq - 1`)
        .where('u.role', '=', 'user')
        .as('question'),
    )
    .orderBy('f.id', 'desc')
    .limit(opts.limit + 1);
  if (opts.before !== undefined) q = q.where('f.id', '<', opts.before);
  if (opts.accountId) q = q.where('f.account_id', '=', opts.accountId);
  const rows = await q.execute();
  const page = rows.slice(0, opts.limit);
  return {
    items: page.map((r) => ({
      id: BigInt(r.id),
      messageId: r.message_id,
      conversationId: r.conversation_id,
      accountId: r.account_id,
      comment: r.comment,
      commentRedacted: r.comment_redacted,
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
      answer: { text: r.text, createdAt: new Date(r.answered_at), model: r.model, promptVersion: r.prompt_version, status: r.status },
      question: r.question ?? null,
    })),
    next: rows.length > opts.limit ? BigInt(page.at(-1)!.id) : null,
  };
}

/** The flags of one conversation's messages (evals:capture notes them on the captured turns). */
export async function conversationFeedback(db: Kysely<DB>, conversationId: string): Promise<Map<string, string | null>> {
  const rows = await db.selectFrom('chat_feedback').select(['message_id', 'comment']).where('conversation_id', '=', conversationId).execute();
  return new Map(rows.map((r) => [r.message_id, r.comment]));
}
