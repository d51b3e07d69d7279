import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions';
import {
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
} from '@opentelemetry/semantic-conventions/incubating';
import { modelCallDuration, modelTokensTotal, toolCallsTotal, turnsTotal } from './metrics.js';
import { recordContent } from './tracing.js';

/**
 * The agent's spans, after the OpenTelemetry GenAI semantic conventions (agent and model spans):
 * `invoke_agent billing-assistant` per turn, `chat {model}` per model call, `execute_tool {tool}`
 * per tool call, with gen_ai.operation.name, gen_ai.provider.name, gen_ai.request.model,
 * gen_ai.tool.name and token usage. The same calls count the Prometheus metrics (metrics.ts).
 *
 * Message text, prompts, tool arguments and results go on spans only under LOG_PROMPTS (the
 * conventions' opt-in content attributes). Card numbers never reach them either way: the chat
 * service removes card data from a message before the loop sees it (src/agent/chat/card-policy.ts).
 *
 * With tracing off the tracer is the API's no-op one: the spans do not record and no attribute is
 * computed (every setter below is behind `isRecording()`).
 */

/** Looked up per span, not kept: a tracer the API hands out stays bound to the provider of its first use (tests restart tracing). */
const tracer = () => trace.getTracer('billing-assistant.agent');

/** gen_ai.agent.name: one agent, the assistant. */
export const AGENT_NAME = 'billing-assistant';

/** Custom attributes (no convention covers them), under the service's own namespace. */
export const ATTR_STOP_REASON = 'billing_assistant.turn.stop_reason';
export const ATTR_ROUNDS = 'billing_assistant.turn.rounds';
export const ATTR_TOOL_OUTCOME = 'billing_assistant.tool.outcome';

/** Tool outcomes that are failures of the call (the others ran, or were proposed or withheld on purpose). */
const FAILED_OUTCOMES = new Set(['error', 'timeout', 'invalid_arguments', 'unknown_tool']);

/**
 * A model id as the chat records it ("offline", "openai:gpt-4o-mini", a test's "scripted") as
 * provider and model: "openai" for any OpenAI-compatible endpoint (the wire protocol we speak),
 * else the id itself, for our own engines.
 */
export function describeModel(id: string): { provider: string; model: string } {
  const at = id.indexOf(':');
  return at > 0 ? { provider: id.slice(0, at), model: id.slice(at + 1) } : { provider: id, model: id };
}

function fail(span: Span, errorType: string, err?: unknown): void {
  if (!span.isRecording()) return;
  span.setAttribute(ATTR_ERROR_TYPE, errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, ...(err instanceof Error ? { message: err.message } : {}) });
}

function errorTypeOf(err: unknown): string {
  return err instanceof Error ? err.name : 'unknown';
}

/** What the loop's result says about a turn. */
export interface TurnSummary {
  stopReason: string;
  rounds: number;
  usage: { promptTokens: number; completionTokens: number };
  text: string;
}

/** One assistant turn (`invoke_agent`), counted by stop reason ("error" when the loop threw). */
export function traceTurn<T extends TurnSummary>(info: { modelId: string; conversationId: string | null; userText: string }, run: () => Promise<T>): Promise<T> {
  const { provider, model } = describeModel(info.modelId);
  return tracer().startActiveSpan(`invoke_agent ${AGENT_NAME}`, { kind: SpanKind.INTERNAL }, async (span) => {
    if (span.isRecording()) {
      const attrs: Attributes = {
        [ATTR_GEN_AI_OPERATION_NAME]: 'invoke_agent',
        [ATTR_GEN_AI_PROVIDER_NAME]: provider,
        [ATTR_GEN_AI_REQUEST_MODEL]: model,
        [ATTR_GEN_AI_AGENT_NAME]: AGENT_NAME,
      };
      if (info.conversationId) attrs[ATTR_GEN_AI_CONVERSATION_ID] = info.conversationId;
      if (recordContent()) attrs[ATTR_GEN_AI_INPUT_MESSAGES] = JSON.stringify([textMessage('user', info.userText)]);
      span.setAttributes(attrs);
    }
    try {
      const result = await run();
      turnsTotal.inc({ stop_reason: result.stopReason });
      if (span.isRecording()) {
        span.setAttributes({
          [ATTR_STOP_REASON]: result.stopReason,
          [ATTR_ROUNDS]: result.rounds,
          [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: result.usage.promptTokens,
          [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: result.usage.completionTokens,
        });
        if (recordContent()) span.setAttribute(ATTR_GEN_AI_OUTPUT_MESSAGES, JSON.stringify([textMessage('assistant', result.text)]));
        if (result.stopReason === 'model_error') fail(span, 'model_error');
      }
      return result;
    } catch (err) {
      turnsTotal.inc({ stop_reason: 'error' });
      fail(span, errorTypeOf(err), err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** A chat message as the conventions' gen_ai.input.messages / output.messages write it. */
function textMessage(role: string, content: string | null): { role: string; parts: Array<{ type: 'text'; content: string }> } {
  return { role, parts: content ? [{ type: 'text', content }] : [] };
}

/** What a model call answers, as far as its span and metrics need it. */
export interface ModelCallSummary {
  content: string;
  toolCalls: ReadonlyArray<{ id: string; name: string; arguments: string }>;
  usage?: { promptTokens: number; completionTokens: number; cachedTokens?: number };
}

/**
 * One model call (`chat {model}`, a client span): latency histogram, token counters, finish
 * reason. `input` is read only under LOG_PROMPTS (the whole conversation sent to the model).
 */
export function traceModelCall<T extends ModelCallSummary>(modelId: string, input: () => ReadonlyArray<{ role: string; content?: string | null }>, run: () => Promise<T>): Promise<T> {
  const { provider, model } = describeModel(modelId);
  return tracer().startActiveSpan(`chat ${model}`, { kind: SpanKind.CLIENT }, async (span) => {
    if (span.isRecording()) {
      span.setAttributes({
        [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
        [ATTR_GEN_AI_PROVIDER_NAME]: provider,
        [ATTR_GEN_AI_REQUEST_MODEL]: model,
      });
      if (recordContent()) span.setAttribute(ATTR_GEN_AI_INPUT_MESSAGES, JSON.stringify(input().map((m) => textMessage(m.role, m.content ?? null))));
    }
    const started = performance.now();
    try {
      const resp = await run();
      modelCallDuration.observe({ model: modelId, outcome: 'ok' }, (performance.now() - started) / 1000);
      if (resp.usage) {
        modelTokensTotal.inc({ model: modelId, type: 'input' }, resp.usage.promptTokens);
        modelTokensTotal.inc({ model: modelId, type: 'output' }, resp.usage.completionTokens);
      }
      if (span.isRecording()) {
        const finish = resp.toolCalls.length > 0 ? 'tool_calls' : 'stop';
        span.setAttribute(ATTR_GEN_AI_RESPONSE_FINISH_REASONS, [finish]);
        if (resp.usage) {
          span.setAttributes({
            [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: resp.usage.promptTokens,
            [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: resp.usage.completionTokens,
            ...(resp.usage.cachedTokens ? { [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: resp.usage.cachedTokens } : {}),
          });
        }
        if (recordContent()) {
          const parts: unknown[] = resp.content ? [{ type: 'text', content: resp.content }] : [];
          for (const c of resp.toolCalls) parts.push({ type: 'tool_call', id: c.id, name: c.name, arguments: c.arguments });
          span.setAttribute(ATTR_GEN_AI_OUTPUT_MESSAGES, JSON.stringify([{ role: 'assistant', parts, finish_reason: finish }]));
        }
      }
      return resp;
    } catch (err) {
      modelCallDuration.observe({ model: modelId, outcome: 'error' }, (performance.now() - started) / 1000);
      fail(span, errorTypeOf(err), err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The endpoint a model adapter calls (server.address, server.port), on the current model span. */
export function annotateModelEndpoint(baseURL: string | undefined, defaultURL: string): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  const url = new URL(baseURL ?? defaultURL);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  span.setAttributes({ [ATTR_SERVER_ADDRESS]: url.hostname, [ATTR_SERVER_PORT]: port });
}

/** The response's id and the model that actually answered (an alias may resolve to a dated model). */
export function annotateModelResponse(id: string | undefined, model: string | undefined): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  if (id) span.setAttribute(ATTR_GEN_AI_RESPONSE_ID, id);
  if (model) span.setAttribute(ATTR_GEN_AI_RESPONSE_MODEL, model);
}

/** What a tool call came to, as far as its span and metrics need it. */
export interface ToolCallSummary {
  record: { outcome: string };
  content: string;
}

/**
 * One tool call (`execute_tool {tool}`), counted by tool and outcome. A name the registry does not
 * know (the model made it up) is counted as "_unknown" and its span is named `execute_tool`.
 */
export function traceToolCall<T extends ToolCallSummary>(call: { id: string; name: string; arguments: string }, known: boolean, run: () => Promise<T>): Promise<T> {
  const name = known ? call.name : null;
  return tracer().startActiveSpan(name ? `execute_tool ${name}` : 'execute_tool', { kind: SpanKind.INTERNAL }, async (span) => {
    if (span.isRecording()) {
      span.setAttributes({
        [ATTR_GEN_AI_OPERATION_NAME]: 'execute_tool',
        [ATTR_GEN_AI_TOOL_NAME]: name ?? call.name.slice(0, 64),
        [ATTR_GEN_AI_TOOL_CALL_ID]: call.id,
        [ATTR_GEN_AI_TOOL_TYPE]: 'function',
      });
      if (recordContent()) span.setAttribute(ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, call.arguments);
    }
    try {
      const out = await run();
      const outcome = out.record.outcome;
      toolCallsTotal.inc({ tool: name ?? '_unknown', outcome });
      if (span.isRecording()) {
        span.setAttribute(ATTR_TOOL_OUTCOME, outcome);
        if (recordContent()) span.setAttribute(ATTR_GEN_AI_TOOL_CALL_RESULT, out.content);
        if (FAILED_OUTCOMES.has(outcome)) fail(span, outcome);
      }
      return out;
    } catch (err) {
      toolCallsTotal.inc({ tool: name ?? '_unknown', outcome: 'error' });
      fail(span, errorTypeOf(err), err);
      throw err;
    } finally {
      span.end();
    }
  });
}
