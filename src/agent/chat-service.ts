import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { ToolRegistry } from '../../tools/registry.js';
import type { ToolContext } from '../../tools/types.js';
import type { Clock } from '../billing/dates.js';
import { normalizeInvoiceNumber } from '../billing/queries.js';
import type { BillingService } from '../billing/service.js';
import type { DB } from '../db/schema.js';
import { NotFoundError } from '../errors.js';
import type { Session } from '../http/auth.js';
import type { LinkSigner } from '../payments/links.js';
import type { InvoiceEmailer } from '../mail/service.js';
import { redactCardData } from './card-guard.js';
import { runTurn, type ToolCallRecord } from './loop.js';
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
}) {
  const { db } = deps;

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

  type PastMessage = { role: 'user' | 'assistant'; text: string; cards: Card[] };

  /** Ownership check and the recent history in one round trip; 404 when not this session's. */
  async function ownedHistory(session: Session, conversationId: string): Promise<PastMessage[]> {
    const r = await sql<{ role: 'user' | 'assistant' | null; text: string | null; cards: Card[] | null }>`
      select m.role, m.text, m.cards
      from conversations c
      left join lateral (
        select role, text, cards, seq from chat_messages
        where conversation_id = c.id order by seq desc limit ${HISTORY_WINDOW}
      ) m on true
      where c.id = ${conversationId} and c.account_id = ${session.accountId} and c.user_id = ${session.userId}
      order by m.seq asc`.execute(db);
    if (r.rows.length === 0) throw new NotFoundError('Conversation not found');
    return r.rows.filter((x) => x.role !== null).map((x) => ({ role: x.role!, text: x.text ?? '', cards: x.cards ?? [] }));
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
  }

  /**
   * Stores a turn (its messages, the tool-call audit, the conversation's updated_at) in ONE
   * statement, so it is atomic without a transaction round trip. Sequence numbers come from the
   * current maximum; a concurrent writer to the same conversation hits the unique (conversation,
   * seq) constraint and the statement is retried.
   */
  async function store(conversationId: string, session: Session, msgs: NewMessage[], audit: ToolCallRecord[] = [], auditMessageId?: string): Promise<void> {
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
      })),
    );
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
            insert into chat_messages (id, conversation_id, seq, role, text, cards, status, prompt_version, model, redacted)
            select r.id, ${conversationId}, base.s + r.n, r.role, r.text, r.cards, r.status, r.prompt_version, r.model, r.redacted
            from base, jsonb_to_recordset(${rows}::jsonb) as r(
              id uuid, n int, role text, text text, cards jsonb, status text, prompt_version text, model text, redacted boolean)
            returning id
          ),
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

  function toolContext(session: Session, conversationId: string): ToolContext {
    return {
      session,
      conversationId,
      clock: deps.clock,
      billing: deps.billing,
      links: deps.links,
      extras: deps.extras ?? {},
      ...(deps.mail ? { mail: deps.mail } : {}),
    };
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

      const modelHistory: ChatMessage[] = past.map((m) => (m.role === 'user' ? { role: 'user', content: m.text } : { role: 'assistant', content: m.text }));
      const result = await runTurn({
        model: deps.model,
        registry: deps.registry,
        ctx: toolContext(session, conversationId),
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
          },
        ],
        result.toolCalls,
        assistantId,
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
