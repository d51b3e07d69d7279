import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { ToolRegistry } from '../../tools/registry.js';
import type { ToolContext } from '../../tools/types.js';
import type { Clock } from '../billing/dates.js';
import { normalizeInvoiceNumber } from '../billing/invoice-number.js';
import type { BillingService } from '../billing/service.js';
import type { DB } from '../db/schema.js';
import { AppError, ConflictError, NotFoundError } from '../errors.js';
import { ToolFailure } from '../../tools/types.js';
import type { Session } from '../identity/session.js';
import type { LinkSigner } from '../links/signer.js';
import type { InvoiceEmailer } from '../mail/service.js';
import { redactCardData } from './card-guard.js';
import { deriveContext, parseContext, type DialogueContext, type ExecutedCall } from './context.js';
import { analyze } from './language/analyze.js';
import { runTurn, type Proposal, type ToolCallRecord } from './loop.js';
import { buildUserRequest } from './request.js';
import type { SystemPrompt } from './prompt.js';
import type { Card, ChatMessage, ChatModel, TurnEvent } from './types.js';

export interface StoredMessage {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  cards: Card[];
  status: 'complete' | 'error' | 'cancelled';
  createdAt: string;
  promptVersion: string | null;
  model: string | null;
}

export interface AssistantReply {
  id: string;
  text: string;
  cards: Card[];
  promptVersion: string;
  model: string;
  toolCalls: ToolCallRecord[];
}

export const CARD_POLICY_TEXT =
  "For your security, I can't take card details in chat, and I've removed them from this conversation. Card details are only ever entered on our secure payment page.";

/** How many earlier messages the model sees. */
const HISTORY_WINDOW = 20;

/** The slice of a pino/fastify logger the chat service uses. */
export interface ChatLog {
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export type ChatService = ReturnType<typeof createChatService>;

export function createChatService(deps: {
  db: Kysely<DB>;
  model: ChatModel;
  registry: ToolRegistry;
  links: LinkSigner;
  clock: Clock;
  billing: BillingService;
  prompt: SystemPrompt;
  maxRounds: number;
  toolTimeoutMs: number;
  logger?: ChatLog;
  logPrompts?: boolean;
  extras?: Record<string, unknown>;
  /** The invoice emailer handed to tools (emailInvoicePdf). */
  mail?: InvoiceEmailer;
  /** How long a proposed side effect waits for approval (PROPOSAL_TTL_MINUTES). */
  proposalTtlMs?: number;
  /** Wall-clock time for proposal expiry (injectable for tests and evals). */
  now?: () => Date;
}) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const proposalTtlMs = deps.proposalTtlMs ?? 10 * 60_000;

  async function owned(session: Session, conversationId: string) {
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

  type PastMessage = { role: 'user' | 'assistant'; text: string; cards: Card[]; context: DialogueContext | null };

  /** Ownership check and the recent history in one round trip; 404 when not this session's. */
  async function ownedHistory(session: Session, conversationId: string): Promise<PastMessage[]> {
    const r = await sql<{ role: 'user' | 'assistant' | null; text: string | null; cards: Card[] | null; context: unknown }>`
      select m.role, m.text, m.cards, m.context
      from conversations c
      left join lateral (
        select role, text, cards, context, seq from chat_messages
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
      role: x.role!,
      text: x.text ?? '',
      cards: x.cards ?? [],
      context: i === last ? parseContext(x.context) : null,
    }));
  }

  interface NewMessage {
    id: string;
    role: 'user' | 'assistant';
    text: string;
    cards: Card[];
    redacted?: boolean;
    promptVersion?: string;
    model?: string;
    status?: 'complete' | 'error';
    context?: DialogueContext;
  }

  /**
   * Stores a turn (its messages, the tool-call audit, the conversation's updated_at) in ONE
   * statement, so it is atomic without a transaction round trip. Sequence numbers come from the
   * current maximum; a concurrent writer to the same conversation hits the unique (conversation,
   * seq) constraint and the statement is retried.
   */
  async function store(
    conversationId: string,
    session: Session,
    msgs: NewMessage[],
    audit: ToolCallRecord[] = [],
    auditMessageId?: string,
    proposals: readonly Proposal[] = [],
  ): Promise<void> {
    const rows = JSON.stringify(
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
    // Most turns propose nothing: the statement then carries no proposals part at all.
    const proposalsCte =
      auditMessageId && proposals.length > 0
        ? sql`prop as (
            insert into chat_proposals (id, conversation_id, message_id, account_id, user_id, tool, arguments, expires_at)
            select p.id, ${conversationId}, p.message_id, ${session.accountId}, ${session.userId}, p.tool, p.arguments, p.expires_at
            from jsonb_to_recordset(${JSON.stringify(
              proposals.map((p) => ({ id: p.id, message_id: auditMessageId, tool: p.tool, arguments: p.arguments, expires_at: p.expiresAt.toISOString() })),
            )}::jsonb) as p(id uuid, message_id uuid, tool text, arguments jsonb, expires_at timestamptz)
            where exists (select 1 from ins)
          )`
        : sql`prop as (select 1)`;
    const auditRows = JSON.stringify(
      auditMessageId
        ? audit.map((a) => ({
            message_id: auditMessageId,
            call_id: a.id,
            name: a.name,
            arguments: a.arguments ?? null,
            outcome: a.outcome,
            error: a.error,
            latency_ms: a.latencyMs,
          }))
        : [],
    );
    for (let attempt = 0; ; attempt++) {
      try {
        await sql`
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
          ${proposalsCte},
          aud as (
            insert into tool_call_audit (message_id, conversation_id, account_id, call_id, name, arguments, outcome, error, latency_ms)
            select a.message_id, ${conversationId}, ${session.accountId}, a.call_id, a.name, coalesce(a.arguments, 'null'::jsonb), a.outcome, a.error, a.latency_ms
            from jsonb_to_recordset(${auditRows}::jsonb) as a(
              message_id uuid, call_id text, name text, arguments jsonb, outcome text, error text, latency_ms double precision)
            where exists (select 1 from ins)
          )
          update conversations set updated_at = now() where id = ${conversationId}`.execute(db);
        return;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code !== '23505' || attempt >= 5) throw err;
      }
    }
  }

  function toolContext(session: Session, conversationId: string, userText?: string, request?: ToolContext['request']): ToolContext {
    return {
      session,
      conversationId,
      clock: deps.clock,
      billing: deps.billing,
      links: deps.links,
      extras: { ...(deps.extras ?? {}), ...(userText !== undefined ? { userText } : {}) },
      ...(deps.mail ? { mail: deps.mail } : {}),
      ...(request ? { request } : {}),
    };
  }

  const lastContext = (past: PastMessage[]): DialogueContext | null => {
    for (let i = past.length - 1; i >= 0; i--) if (past[i]!.role === 'assistant') return past[i]!.context;
    return null;
  };

  type ProposalRow = { id: string; tool: string; arguments: unknown; status: string; expires_at: Date; message_id: string };

  async function pendingProposals(conversationId: string): Promise<ProposalRow[]> {
    return db
      .selectFrom('chat_proposals')
      .select(['id', 'tool', 'arguments', 'status', 'expires_at', 'message_id'])
      .where('conversation_id', '=', conversationId)
      .where('status', '=', 'pending')
      .orderBy('created_at')
      .execute();
  }

  /** The user's words that led to a proposal (the user message just before the one that proposed it). */
  async function requestWords(messageId: string): Promise<string> {
    const r = await sql<{ text: string }>`
      select u.text from chat_messages a
      join chat_messages u on u.conversation_id = a.conversation_id and u.seq < a.seq and u.role = 'user'
      where a.id = ${messageId} order by u.seq desc limit 1`.execute(db);
    return r.rows[0]?.text ?? '';
  }

  const record = (id: string, name: string, args: unknown, outcome: ToolCallRecord['outcome'], error: string | null = null, latencyMs = 0): ToolCallRecord => ({
    id,
    name,
    arguments: args,
    outcome,
    error,
    latencyMs,
  });

  /**
   * Approves or declines proposals (single-use: the status changes from pending exactly once, in one
   * statement). Approved calls run now, with the arguments stored on the server.
   */
  async function settle(
    session: Session,
    conversationId: string,
    rows: ProposalRow[],
    decision: 'approve' | 'decline',
    past: PastMessage[],
  ): Promise<{ text: string; cards: Card[]; audit: ToolCallRecord[]; context: DialogueContext }> {
    const at = now();
    const cards: Card[] = [];
    const texts: string[] = [];
    const audit: ToolCallRecord[] = [];
    const executedCalls: ExecutedCall[] = [];
    for (const row of rows) {
      const expired = row.expires_at.getTime() <= at.getTime();
      const target = decision === 'approve' && !expired ? 'approved' : decision === 'decline' ? 'declined' : 'expired';
      const upd = await db
        .updateTable('chat_proposals')
        .set({ status: target, decided_at: at })
        .where('id', '=', row.id)
        .where('status', '=', 'pending')
        .returning('id')
        .executeTakeFirst();
      if (!upd) continue; // decided concurrently: the other decision wins, nothing runs twice
      audit.push(record(row.id, row.tool, row.arguments, target === 'approved' ? 'approved' : target === 'declined' ? 'declined' : 'expired'));
      if (target === 'expired') {
        texts.push('That request expired before it was approved, so nothing was done. Ask again if you still want it.');
        continue;
      }
      const tool = deps.registry.get(row.tool);
      const view = tool?.approval?.describe(row.arguments as never);
      if (target === 'declined') {
        texts.push(view ? `OK, I won't do that (${view.summary.replace(/\.$/, '')}). Nothing was sent.` : "OK, I won't do that. Nothing was sent.");
        continue;
      }
      if (!tool) {
        texts.push('That action is no longer available, so nothing was done.');
        continue;
      }
      const started = performance.now();
      const words = await requestWords(row.message_id);
      try {
        const args = tool.parameters.parse(row.arguments);
        const out = await tool.execute(toolContext(session, conversationId, words), args);
        audit.push(record(`exec_${row.id}`, tool.name, args, 'ok', null, Math.round((performance.now() - started) * 100) / 100));
        executedCalls.push({ name: tool.name, ok: true, result: out.result });
        cards.push(...(out.cards ?? []));
        const message = (out.result as { message?: unknown }).message;
        texts.push(typeof message === 'string' ? message : 'Done.');
      } catch (err) {
        const message = err instanceof ToolFailure || err instanceof AppError ? err.message : 'That failed on our side; please try again later.';
        audit.push(record(`exec_${row.id}`, tool.name, row.arguments, 'error', err instanceof Error ? err.message : String(err), Math.round((performance.now() - started) * 100) / 100));
        texts.push(`I couldn't do that: ${message}`);
      }
    }
    const prev = lastContext(past);
    const context = deriveContext(prev, executedCalls, [], prev?.note ?? null);
    return { text: texts.join('\n\n'), cards, audit, context };
  }

  /** The invoice the conversation is about: named in this message, else on the last single-invoice answer. */
  function invoiceInContext(text: string, past: Array<{ role: string; text: string; cards: Card[] }>): string | null {
    const inText = [...text.matchAll(/\bIN[\s-]?\d{7}\b/gi)].map((m) => normalizeInvoiceNumber(m[0])).filter(Boolean);
    if (inText.length === 1) return inText[0]!;
    for (let i = past.length - 1; i >= 0; i--) {
      const m = past[i]!;
      const invoiceCards = m.cards.filter((c) => c.type === 'invoice');
      if (invoiceCards.length === 1 && invoiceCards[0]!.type === 'invoice') return invoiceCards[0]!.invoiceNumber;
      const named = [...m.text.matchAll(/\bIN\d{7}\b/g)].map((x) => x[0]);
      if (m.role === 'user' && new Set(named).size === 1) return named[0]!;
      if (m.role === 'assistant') return null;
    }
    return null;
  }

  return {
    /** Throws 404 unless the conversation belongs to this session's account and user. */
    async assertConversation(session: Session, conversationId: string): Promise<void> {
      await owned(session, conversationId);
    },

    /** True when the invoice appears on a card of this conversation (invoice, invoice list, receipt). */
    async showsInvoice(conversationId: string, invoiceNumber: string): Promise<boolean> {
      const r = await sql<{ found: boolean }>`
        select exists (
          select 1 from chat_messages m, jsonb_path_query(m.cards, 'lax $.**.invoiceNumber') v
          where m.conversation_id = ${conversationId} and v #>> '{}' = ${invoiceNumber}
        ) as found`.execute(db);
      return r.rows[0]?.found === true;
    },

    async createConversation(session: Session): Promise<{ id: string; createdAt: string }> {
      const id = randomUUID();
      const row = await db
        .insertInto('conversations')
        .values({ id, account_id: session.accountId, user_id: session.userId })
        .returning(['id', 'created_at'])
        .executeTakeFirstOrThrow();
      return { id: row.id, createdAt: new Date(row.created_at).toISOString() };
    },

    async listMessages(session: Session, conversationId: string): Promise<StoredMessage[]> {
      await owned(session, conversationId);
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
    },

    /**
     * Runs one turn. The turn always completes and is stored, even if the client goes away
     * (events are simply not delivered then).
     */
    /**
     * Approves or declines one proposal of this conversation (the Approve / Decline buttons). Checked
     * against the stored proposal only: another conversation's or user's is 404, a decided or
     * expired one 409, and nothing runs twice.
     */
    async decideProposal(session: Session, conversationId: string, proposalId: string, decision: 'approve' | 'decline', onEvent?: (e: TurnEvent) => void): Promise<AssistantReply> {
      const past = await ownedHistory(session, conversationId);
      const row = await db
        .selectFrom('chat_proposals')
        .select(['id', 'tool', 'arguments', 'status', 'expires_at', 'message_id'])
        .where('id', '=', proposalId)
        .where('conversation_id', '=', conversationId)
        .where('account_id', '=', session.accountId)
        .where('user_id', '=', session.userId)
        .executeTakeFirst();
      if (!row) throw new NotFoundError('Proposal not found');
      if (row.status !== 'pending') throw new ConflictError(`This request was already ${row.status}; nothing more was done.`);
      if (decision === 'approve' && row.expires_at.getTime() <= now().getTime()) {
        await db.updateTable('chat_proposals').set({ status: 'expired', decided_at: now() }).where('id', '=', row.id).where('status', '=', 'pending').execute();
        throw new ConflictError('This request expired before it was approved, so nothing was done. Ask again if you still want it.');
      }
      const out = await settle(session, conversationId, [row], decision, past);
      if (out.audit.length === 0) throw new ConflictError('This request was already decided; nothing more was done.');
      const assistantId = randomUUID();
      for (const c of out.cards) onEvent?.({ type: 'card', card: c });
      await store(
        conversationId,
        session,
        [{ id: assistantId, role: 'assistant', text: out.text, cards: out.cards, promptVersion: deps.prompt.version, model: 'approval', context: out.context }],
        out.audit,
        assistantId,
      );
      onEvent?.({ type: 'completed', messageId: assistantId, text: out.text, cards: out.cards });
      return { id: assistantId, text: out.text, cards: out.cards, promptVersion: deps.prompt.version, model: 'approval', toolCalls: out.audit };
    },

    async sendMessage(session: Session, conversationId: string, rawText: string, onEvent?: (e: TurnEvent) => void): Promise<AssistantReply> {
      // Card data never goes further than this line.
      const guard = redactCardData(rawText);
      const userText = guard.text;
      const userMessageId = randomUUID();
      const assistantId = randomUUID();
      const past = await ownedHistory(session, conversationId);
      if (deps.logPrompts) deps.logger?.debug({ conversationId, userText }, 'chat message');

      if (guard.found) {
        const ctx = toolContext(session, conversationId);
        const cards: Card[] = [];
        let text = CARD_POLICY_TEXT;
        const audit: ToolCallRecord[] = [];
        const invoice = invoiceInContext(userText, past);
        const tool = deps.registry.get('createPaymentLink');
        if (invoice && tool) {
          const args = { invoiceNumber: invoice };
          const started = performance.now();
          const record = (outcome: ToolCallRecord['outcome'], error: string | null) =>
            audit.push({ id: `policy_${randomUUID()}`, name: tool.name, arguments: args, outcome, error, latencyMs: Math.round((performance.now() - started) * 100) / 100 });
          try {
            const out = await tool.execute(ctx, args);
            record('ok', null);
            const card = out.cards?.find((c) => c.type === 'invoice');
            if (card && card.type === 'invoice' && card.payUrl) {
              cards.push(card);
              text += ` To pay ${invoice}, use the Pay button below to open the secure payment page.`;
            }
          } catch (err) {
            // No payable invoice in context: the policy text alone answers.
            record('error', err instanceof Error ? err.message : String(err));
          }
        }
        if (cards.length === 0) text += ' Ask me for a payment link for the invoice you want to pay.';
        for (const c of cards) onEvent?.({ type: 'card', card: c });
        await store(
          conversationId,
          session,
          [
            { id: userMessageId, role: 'user', text: userText, cards: [], redacted: true },
            { id: assistantId, role: 'assistant', text, cards, promptVersion: deps.prompt.version, model: 'policy' },
          ],
          audit,
          assistantId,
        );
        onEvent?.({ type: 'completed', messageId: assistantId, text, cards });
        return { id: assistantId, text, cards, promptVersion: deps.prompt.version, model: 'policy', toolCalls: audit };
      }

      // A pending proposal is answered by this message: yes approves it, no declines it, anything else drops it.
      const analysis = analyze(userText);
      // Proposals are only made by an answer and dropped by the next message, so only the last answer's can be pending.
      const proposed = (lastContext(past)?.proposals.length ?? 0) > 0;
      const pending = proposed ? await pendingProposals(conversationId) : [];
      const answersProposal = analysis.affirmation || analysis.refusal;
      if (proposed && answersProposal) {
        // A yes/no to the last answer's confirm card: decided here; if it was already decided or expired, say so.
        const out =
          pending.length > 0
            ? await settle(session, conversationId, pending, analysis.affirmation ? 'approve' : 'decline', past)
            : { text: 'That request is no longer waiting for approval (it expired or was already decided), so nothing was done. Ask again if you still want it.', cards: [], audit: [], context: { ...lastContext(past)!, proposals: [] } };
        {
          for (const c of out.cards) onEvent?.({ type: 'card', card: c });
          await store(
            conversationId,
            session,
            [
              { id: userMessageId, role: 'user', text: userText, cards: [] },
              { id: assistantId, role: 'assistant', text: out.text, cards: out.cards, promptVersion: deps.prompt.version, model: 'approval', context: out.context },
            ],
            out.audit,
            assistantId,
          );
          onEvent?.({ type: 'completed', messageId: assistantId, text: out.text, cards: out.cards });
          return { id: assistantId, text: out.text, cards: out.cards, promptVersion: deps.prompt.version, model: 'approval', toolCalls: out.audit };
        }
      } else if (pending.length > 0) {
        await db
          .updateTable('chat_proposals')
          .set({ status: 'superseded', decided_at: now() })
          .where('conversation_id', '=', conversationId)
          .where('status', '=', 'pending')
          .execute();
      }

      const previous = lastContext(past);
      const request = buildUserRequest(userText, previous, analysis);
      const modelHistory: ChatMessage[] = past.map((m) => (m.role === 'user' ? { role: 'user', content: m.text } : { role: 'assistant', content: m.text, context: m.context }));
      const result = await runTurn({
        model: deps.model,
        registry: deps.registry,
        ctx: toolContext(session, conversationId, userText, request),
        proposalTtlMs,
        now,
        links: deps.links,
        systemPrompt: deps.prompt.text,
        history: modelHistory,
        userText,
        maxRounds: deps.maxRounds,
        toolTimeoutMs: deps.toolTimeoutMs,
        ...(onEvent ? { onEvent } : {}),
      });
      await store(
        conversationId,
        session,
        [
          { id: userMessageId, role: 'user', text: userText, cards: [] },
          {
            id: assistantId,
            role: 'assistant',
            text: result.text,
            cards: result.cards,
            promptVersion: deps.prompt.version,
            model: deps.model.id,
            status: result.stopReason === 'model_error' ? 'error' : 'complete',
            context: deriveContext(previous, result.executedCalls, result.proposals.map((p) => p.id), result.note),
          },
        ],
        result.toolCalls,
        assistantId,
        result.proposals,
      );
      deps.logger?.info(
        {
          conversationId,
          model: deps.model.id,
          rounds: result.rounds,
          stop: result.stopReason,
          tools: result.toolCalls.map((t) => `${t.name}:${t.outcome}`),
          usage: result.usage,
        },
        'chat turn',
      );
      if (result.stopReason === 'model_error') onEvent?.({ type: 'error', code: 'model_unavailable', message: result.text });
      onEvent?.({ type: 'completed', messageId: assistantId, text: result.text, cards: result.cards });
      return { id: assistantId, text: result.text, cards: result.cards, promptVersion: deps.prompt.version, model: deps.model.id, toolCalls: result.toolCalls };
    },
  };
}
