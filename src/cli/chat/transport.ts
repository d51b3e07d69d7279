import type { Card, TurnEvent } from '../../agent/types.js';

/** One answer of the assistant, as both modes return it. */
export interface ChatAnswer {
  id: string;
  text: string;
  cards: Card[];
}

/** A message of the conversation so far (`/history`). */
export interface HistoryEntry {
  role: 'user' | 'assistant';
  text: string;
  cards: Card[];
  createdAt: string;
}

/**
 * How the terminal chat talks to the chat service: through a running server's HTTP API, or
 * in this process on the database (under the PGlite lock). Both stream the same turn events.
 */
export interface ChatTransport {
  /** Says where the chat runs, e.g. "through the server at http://127.0.0.1:3000". */
  readonly description: string;
  createConversation(): Promise<string>;
  sendMessage(conversationId: string, text: string, onEvent: (e: TurnEvent) => void): Promise<ChatAnswer>;
  decideProposal(conversationId: string, proposalId: string, decision: 'approve' | 'decline', onEvent: (e: TurnEvent) => void): Promise<ChatAnswer>;
  listMessages(conversationId: string): Promise<HistoryEntry[]>;
  close(): Promise<void>;
}

/** A failure the user should read as one line (an HTTP error, a refused lock), not a stack. */
export class ChatCliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChatCliError';
  }
}
