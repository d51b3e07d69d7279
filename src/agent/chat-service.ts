/** The chat service's public entry; the service itself is split by concern under src/agent/chat/. */
export { createChatService, type ChatService } from './chat/service.js';
export { CARD_POLICY_TEXT, cardPolicyText } from './chat/card-policy.js';
export type { AssistantReply, ChatDeps, ChatLog, ChatServiceOptions, StoredMessage } from './chat/types.js';
