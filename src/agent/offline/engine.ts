import type { ChatModel, ModelRequest, ModelResponse } from '../types.js';

/**
 * The offline engine: a deterministic parser of the requests the product supports, answering
 * through the same tool calls as an LLM. (Placeholder: being built.)
 */
export function createOfflineModel(opts: { today: () => string }): ChatModel {
  void opts;
  return {
    id: 'offline',
    async respond(req: ModelRequest, onTextDelta?: (t: string) => void): Promise<ModelResponse> {
      const last = req.messages[req.messages.length - 1];
      if (last?.role === 'user') {
        return { content: '', toolCalls: [{ id: 'call_1', name: 'getBalance', arguments: '{}' }] };
      }
      const text = 'Here is your balance.';
      onTextDelta?.(text);
      return { content: text, toolCalls: [] };
    },
  };
}
