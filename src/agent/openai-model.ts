import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { annotateModelEndpoint, annotateModelResponse } from '../telemetry/genai.js';
import { ModelError, type ChatMessage, type ChatModel, type ModelRequest, type ModelResponse, type ToolCall, type ToolSpec } from './types.js';

export interface OpenAIModelOptions {
  apiKey?: string | undefined;
  baseURL?: string | undefined;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  /** Injected for tests; defaults to the global fetch at call time (so msw can intercept). */
  fetch?: typeof fetch;
}

function toWire(m: ChatMessage): ChatCompletionMessageParam {
  switch (m.role) {
    case 'system':
    case 'user':
      return { role: m.role, content: m.content };
    case 'assistant':
      return m.toolCalls && m.toolCalls.length > 0
        ? {
            role: 'assistant',
            content: m.content,
            tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })),
          }
        : { role: 'assistant', content: m.content ?? '' };
    case 'tool':
      return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
  }
}

function toolsToWire(tools: ToolSpec[]): ChatCompletionTool[] {
  return tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters, strict: true } }));
}

/**
 * Any OpenAI-compatible Chat Completions endpoint (OpenAI, Azure, Ollama, vLLM, LM Studio), with
 * tools and streaming. Retries (429/5xx, honouring Retry-After) and timeouts are the SDK's.
 */
export function createOpenAIModel(opts: OpenAIModelOptions): ChatModel {
  const client = new OpenAI({
    apiKey: opts.apiKey ?? 'not-needed',
    ...(opts.baseURL ? { baseURL: opts.baseURL } : {}),
    timeout: opts.timeoutMs,
    maxRetries: opts.maxRetries,
    fetch: opts.fetch ?? ((url, init) => globalThis.fetch(url, init)),
  });
  return {
    id: `openai:${opts.model}`,
    async respond(req: ModelRequest, onTextDelta?: (t: string) => void): Promise<ModelResponse> {
      // On the loop's `chat {model}` span (src/telemetry/genai.ts): which server, which response.
      annotateModelEndpoint(opts.baseURL, client.baseURL);
      try {
        const stream = await client.chat.completions.create(
          {
            model: opts.model,
            messages: req.messages.map(toWire),
            ...(req.tools.length > 0 ? { tools: toolsToWire(req.tools), parallel_tool_calls: true } : {}),
            stream: true,
            stream_options: { include_usage: true },
          },
          req.signal ? { signal: req.signal } : {},
        );
        let content = '';
        const calls = new Map<number, { id: string; name: string; arguments: string }>();
        let usage: ModelResponse['usage'];
        let response: { id: string; model: string } | undefined;
        for await (const chunk of stream) {
          response ??= { id: chunk.id, model: chunk.model };
          if (chunk.usage) {
            usage = {
              promptTokens: chunk.usage.prompt_tokens,
              completionTokens: chunk.usage.completion_tokens,
              cachedTokens: chunk.usage.prompt_tokens_details?.cached_tokens ?? 0,
            };
          }
          const delta = chunk.choices[0]?.delta;
          if (!delta) continue;
          if (delta.content) {
            content += delta.content;
            onTextDelta?.(delta.content);
          }
          for (const tc of delta.tool_calls ?? []) {
            const cur = calls.get(tc.index) ?? { id: '', name: '', arguments: '' };
            if (tc.id) cur.id = tc.id;
            if (tc.function?.name) cur.name += tc.function.name;
            if (tc.function?.arguments) cur.arguments += tc.function.arguments;
            calls.set(tc.index, cur);
          }
        }
        annotateModelResponse(response?.id, response?.model);
        const toolCalls: ToolCall[] = [...calls.entries()]
          .sort(([a], [b]) => a - b)
          .map(([i, c]) => ({ id: c.id || `call_${i}`, name: c.name, arguments: c.arguments }));
        return { content, toolCalls, ...(usage ? { usage } : {}) };
      } catch (err) {
        if (err instanceof OpenAI.APIError) {
          const status = err.status ?? 0;
          throw new ModelError(`model endpoint error ${status || err.name}`, status === 429 || status >= 500 || status === 0, { cause: err });
        }
        if (err instanceof Error && err.name === 'AbortError') throw err;
        throw new ModelError('model endpoint unreachable', true, { cause: err });
      }
    },
  };
}
