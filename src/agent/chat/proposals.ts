import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { AnyTool } from '../../../tools/registry.js';
import { ToolFailure } from '../../../tools/types.js';
import type { DB } from '../../db/schema.js';
import { AppError, ConflictError, NotFoundError } from '../../errors.js';
import { t } from '../../i18n/index.js';
import { DEFAULT_LOCALE, type Locale } from '../../i18n/locales.js';
import type { Session } from '../../identity/session.js';
import { deriveContext, type ExecutedCall } from '../context.js';
import type { ToolCallRecord } from '../loop.js';
import type { Card, TurnEvent } from '../types.js';
import { lastContext, ownedHistory } from './conversations.js';
import { deliverAnswer } from './reply.js';
import { toolContext } from './tool-context.js';
import type { AssistantReply, ChatDeps, PastMessage, ProposalRow, Settled } from './types.js';

const PROPOSAL_COLUMNS = ['id', 'tool', 'arguments', 'status', 'expires_at', 'message_id'] as const;

export async function pendingProposals(db: Kysely<DB>, conversationId: string): Promise<ProposalRow[]> {
  return db.selectFrom('chat_proposals').select(PROPOSAL_COLUMNS).where('conversation_id', '=', conversationId).where('status', '=', 'pending').orderBy('created_at').execute();
}

/** A message that neither approves nor declines drops the pending proposals. */
export async function supersedePending(db: Kysely<DB>, conversationId: string, at: Date): Promise<void> {
  await db.updateTable('chat_proposals').set({ status: 'superseded', decided_at: at }).where('conversation_id', '=', conversationId).where('status', '=', 'pending').execute();
}

/** The user's words that led to a proposal (the user message just before the one that proposed it). */
async function requestWords(db: Kysely<DB>, messageId: string): Promise<string> {
  const r = await sql<{ text: string }>`
    select u.text from chat_messages a
    join chat_messages u on u.conversation_id = a.conversation_id and u.seq < a.seq and u.role = 'user'
    where a.id = ${messageId} order by u.seq desc limit 1`.execute(db);
  return r.rows[0]?.text ?? '';
}

function record(id: string, name: string, args: unknown, outcome: ToolCallRecord['outcome'], error: string | null = null, latencyMs = 0): ToolCallRecord {
  return { id, name, arguments: args, outcome, error, latencyMs };
}

const since = (started: number) => Math.round((performance.now() - started) * 100) / 100;

/** Runs an approved proposal's call now, with the arguments stored on the server. */
async function runApproved(
  deps: ChatDeps,
  session: Session,
  conversationId: string,
  row: ProposalRow,
  tool: AnyTool,
  locale: Locale,
): Promise<{ text: string; cards: Card[]; audit: ToolCallRecord; executed?: ExecutedCall }> {
  const started = performance.now();
  const words = await requestWords(deps.db, row.message_id);
  try {
    const args = tool.parameters.parse(row.arguments);
    const out = await tool.execute(toolContext(deps, session, conversationId, words), args);
    const message = (out.result as { message?: unknown }).message;
    const said = tool.approval?.done?.(out.result as Record<string, unknown>, locale) ?? (typeof message === 'string' ? message : null);
    return {
      text: said ?? t(locale, 'chat.approval.done'),
      cards: out.cards ?? [],
      audit: record(`exec_${row.id}`, tool.name, args, 'ok', null, since(started)),
      executed: { name: tool.name, ok: true, result: out.result },
    };
  } catch (err) {
    const message = err instanceof ToolFailure || err instanceof AppError ? err.message : t(locale, 'chat.approval.failedOurSide');
    return {
      text: t(locale, 'chat.approval.failed', { message }),
      cards: [],
      audit: record(`exec_${row.id}`, tool.name, row.arguments, 'error', err instanceof Error ? err.message : String(err), since(started)),
    };
  }
}

/**
 * Approves or declines proposals (single-use: the status changes from pending exactly once, in one
 * statement). Approved calls run now, with the arguments stored on the server.
 */
/** `locale` is the answer's: the language of the yes/no message, or the user's locale for a button. */
export async function settleProposals(
  deps: ChatDeps,
  session: Session,
  conversationId: string,
  rows: ProposalRow[],
  decision: 'approve' | 'decline',
  past: PastMessage[],
  locale: Locale,
): Promise<Settled> {
  const at = deps.now();
  const cards: Card[] = [];
  const texts: string[] = [];
  const audit: ToolCallRecord[] = [];
  const executedCalls: ExecutedCall[] = [];
  for (const row of rows) {
    const expired = row.expires_at.getTime() <= at.getTime();
    const target = decision === 'approve' && !expired ? 'approved' : decision === 'decline' ? 'declined' : 'expired';
    const upd = await deps.db.updateTable('chat_proposals').set({ status: target, decided_at: at }).where('id', '=', row.id).where('status', '=', 'pending').returning('id').executeTakeFirst();
    if (!upd) continue; // decided concurrently: the other decision wins, nothing runs twice
    audit.push(record(row.id, row.tool, row.arguments, target));
    if (target === 'expired') {
      texts.push(t(locale, 'chat.approval.expired'));
      continue;
    }
    const tool = deps.registry.get(row.tool);
    const view = tool?.approval?.describe(row.arguments as never, locale);
    if (target === 'declined') {
      texts.push(view ? t(locale, 'chat.approval.declined', { summary: view.summary.replace(/\.$/, '') }) : t(locale, 'chat.approval.declinedPlain'));
      continue;
    }
    if (!tool) {
      texts.push(t(locale, 'chat.approval.unavailable'));
      continue;
    }
    const out = await runApproved(deps, session, conversationId, row, tool, locale);
    audit.push(out.audit);
    if (out.executed) executedCalls.push(out.executed);
    cards.push(...out.cards);
    texts.push(out.text);
  }
  const prev = lastContext(past);
  const context = deriveContext(prev, executedCalls, [], prev?.note ?? null);
  return { text: texts.join('\n\n'), cards, audit, context };
}

/**
 * Approves or declines one proposal of this conversation (the Approve / Decline buttons). Checked
 * against the stored proposal only: another conversation's or user's is 404, a decided or
 * expired one 409, and nothing runs twice.
 */
export async function decideProposal(
  deps: ChatDeps,
  session: Session,
  conversationId: string,
  proposalId: string,
  decision: 'approve' | 'decline',
  onEvent?: (e: TurnEvent) => void,
): Promise<AssistantReply> {
  const { db } = deps;
  const past = await ownedHistory(db, session, conversationId);
  const row = await db
    .selectFrom('chat_proposals')
    .select(PROPOSAL_COLUMNS)
    .where('id', '=', proposalId)
    .where('conversation_id', '=', conversationId)
    .where('account_id', '=', session.accountId)
    .where('user_id', '=', session.userId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Proposal not found');
  if (row.status !== 'pending') throw new ConflictError(`This request was already ${row.status}; nothing more was done.`);
  if (decision === 'approve' && row.expires_at.getTime() <= deps.now().getTime()) {
    await db.updateTable('chat_proposals').set({ status: 'expired', decided_at: deps.now() }).where('id', '=', row.id).where('status', '=', 'pending').execute();
    throw new ConflictError('This request expired before it was approved, so nothing was done. Ask again if you still want it.');
  }
  const out = await settleProposals(deps, session, conversationId, [row], decision, past, session.locale ?? DEFAULT_LOCALE);
  if (out.audit.length === 0) throw new ConflictError('This request was already decided; nothing more was done.');
  const answer = { assistantId: randomUUID(), text: out.text, cards: out.cards, model: 'approval' as const, context: out.context, audit: out.audit };
  return deliverAnswer(deps, session, conversationId, answer, onEvent);
}
