import type { Kysely } from 'kysely';
import type { ToolRegistry } from '../../../tools/registry.js';
import type { Clock } from '../../billing/dates.js';
import type { BillingService } from '../../billing/service.js';
import type { DB } from '../../db/schema.js';
import type { LinkSigner } from '../../links/signer.js';
import type { InvoiceEmailer } from '../../mail/service.js';
import type { DialogueContext } from '../context.js';
import type { ToolCallRecord } from '../loop.js';
import type { SystemPrompt } from '../prompt.js';
import type { Card, ChatModel } from '../types.js';

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

/** The slice of a pino/fastify logger the chat service uses. */
export interface ChatLog {
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  error?(obj: object, msg: string): void;
}

/** What `createChatService` is given. */
export interface ChatServiceOptions {
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
}

/** The chat's dependencies with their defaults applied, passed to every chat function. */
export interface ChatDeps extends Omit<ChatServiceOptions, 'now' | 'proposalTtlMs'> {
  now: () => Date;
  proposalTtlMs: number;
}

/** An earlier message of the conversation; only the last answer's dialogue state is parsed. */
export interface PastMessage {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  cards: Card[];
  context: DialogueContext | null;
}

/** A message a turn stores. */
export interface NewMessage {
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

/** An earlier user message whose stored text a turn replaces (a card number split across messages). */
export interface Rewrite {
  id: string;
  text: string;
}

/** A chat_proposals row as the approval path reads it. */
export interface ProposalRow {
  id: string;
  tool: string;
  arguments: unknown;
  status: string;
  expires_at: Date;
  message_id: string;
}

/** What deciding proposals produced: the answer, its cards, the audit, the next dialogue state. */
export interface Settled {
  text: string;
  cards: Card[];
  audit: ToolCallRecord[];
  context: DialogueContext;
}
