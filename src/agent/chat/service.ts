import type { Session } from '../../identity/session.js';
import type { TurnEvent } from '../types.js';
import { createConversation, listMessages, ownedConversation, showsInvoice } from './conversations.js';
import { decideProposal } from './proposals.js';
import { sendMessage } from './turn.js';
import type { AssistantReply, ChatDeps, ChatServiceOptions, StoredMessage } from './types.js';

/** The chat's dependencies with their defaults. */
export function chatDeps(options: ChatServiceOptions): ChatDeps {
  return { ...options, now: options.now ?? (() => new Date()), proposalTtlMs: options.proposalTtlMs ?? 10 * 60_000 };
}

/** The chat service: conversations, turns and approvals, each a function of src/agent/chat/ given the same deps. */
export function createChatService(options: ChatServiceOptions) {
  const deps = chatDeps(options);
  return {
    /** Throws 404 unless the conversation belongs to this session's account and user. */
    async assertConversation(session: Session, conversationId: string): Promise<void> {
      await ownedConversation(deps.db, session, conversationId);
    },
    /** True when the invoice appears on a card of this conversation (invoice, invoice list, receipt). */
    showsInvoice: (conversationId: string, invoiceNumber: string): Promise<boolean> => showsInvoice(deps.db, conversationId, invoiceNumber),
    createConversation: (session: Session): Promise<{ id: string; createdAt: string }> => createConversation(deps.db, session),
    listMessages: (session: Session, conversationId: string): Promise<StoredMessage[]> => listMessages(deps.db, session, conversationId),
    /** Approves or declines one proposal of this conversation (the Approve / Decline buttons). */
    decideProposal: (session: Session, conversationId: string, proposalId: string, decision: 'approve' | 'decline', onEvent?: (e: TurnEvent) => void): Promise<AssistantReply> =>
      decideProposal(deps, session, conversationId, proposalId, decision, onEvent),
    /** Runs one turn; it always completes and is stored, even if the client goes away. */
    sendMessage: (session: Session, conversationId: string, rawText: string, onEvent?: (e: TurnEvent) => void): Promise<AssistantReply> =>
      sendMessage(deps, session, conversationId, rawText, onEvent),
  };
}

export type ChatService = ReturnType<typeof createChatService>;
