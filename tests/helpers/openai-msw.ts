import { http, HttpResponse, type HttpHandler } from 'msw';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';

/**
 * An OpenAI Chat Completions endpoint for msw, speaking the streaming wire format the real SDK
 * parses: `data: {chunk}\n\n` lines ending in `data: [DONE]`. Each request takes the next step of
 * a script; every request body is recorded so tests can assert what the model was sent.
 */

export const OPENAI_TEST_BASE_URL = 'http://openai.test/v1';
export const OPENAI_TEST_MODEL = 'gpt-test';
export const OPENAI_TEST_ENV: Record<string, string> = {
  OPENAI_API_KEY: 'test',
  OPENAI_MODEL: OPENAI_TEST_MODEL,
  OPENAI_BASE_URL: OPENAI_TEST_BASE_URL,
  OPENAI_MAX_RETRIES: '2',
};

export interface WireToolCall {
  id: string;
  name: string;
  /** The arguments text: whole (sent in one fragment) or already split into the fragments to stream. */
  arguments: string | string[];
}

/** A streamed completion: text (whole or in pieces) and/or tool calls. */
export interface WireCompletion {
  kind?: 'completion';
  text?: string | string[];
  toolCalls?: WireToolCall[];
  /** Interleave the argument fragments of parallel tool calls (by index) instead of one call after another. */
  interleave?: boolean;
  usage?: { prompt_tokens: number; completion_tokens: number; cached_tokens?: number };
}

/**
 * A non-streamed HTTP failure (429, 500...). Sent without a body by default: before retrying, the
 * SDK cancels the error body, and cancelling the body of an msw-made response never resolves
 * (mswjs/interceptors#799), which would hang the retry. Set `withBody` (an OpenAI-style error
 * JSON) only on a response the SDK will not retry.
 */
export interface WireFailure {
  kind: 'status';
  status: number;
  headers?: Record<string, string>;
  withBody?: boolean;
  message?: string;
}

/** A 200 stream that sends some text, then breaks off (connection lost mid-answer). */
export interface WireBrokenStream {
  kind: 'broken';
  text: string;
}

export type WireStep = WireCompletion | WireFailure | WireBrokenStream;
export type WireResponder = (req: CapturedRequest) => WireStep | Promise<WireStep>;

export interface CapturedRequest {
  index: number;
  body: ChatCompletionCreateParamsStreaming;
  headers: Record<string, string>;
}

const encoder = new TextEncoder();

function chunk(id: string, model: string, delta: ChatCompletionChunk.Choice.Delta, finish: ChatCompletionChunk.Choice['finish_reason'] = null): ChatCompletionChunk {
  return { id, object: 'chat.completion.chunk', created: 1_764_000_000, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] };
}

/** The chunks of one streamed completion, as OpenAI sends them. */
export function completionChunks(step: WireCompletion, opts: { id: string; model: string; includeUsage: boolean }): ChatCompletionChunk[] {
  const { id, model } = opts;
  const out: ChatCompletionChunk[] = [chunk(id, model, { role: 'assistant', content: '' })];
  const pieces = typeof step.text === 'string' ? [step.text] : (step.text ?? []);
  for (const p of pieces) out.push(chunk(id, model, { content: p }));
  const calls = step.toolCalls ?? [];
  const fragments = calls.map((c) => (typeof c.arguments === 'string' ? [c.arguments] : c.arguments));
  const head = (i: number): ChatCompletionChunk =>
    chunk(id, model, { tool_calls: [{ index: i, id: calls[i]!.id, type: 'function', function: { name: calls[i]!.name, arguments: '' } }] });
  const frag = (i: number, f: string): ChatCompletionChunk => chunk(id, model, { tool_calls: [{ index: i, function: { arguments: f } }] });
  if (step.interleave) {
    calls.forEach((_, i) => out.push(head(i)));
    const longest = Math.max(0, ...fragments.map((f) => f.length));
    for (let k = 0; k < longest; k++) fragments.forEach((f, i) => f[k] !== undefined && out.push(frag(i, f[k]!)));
  } else {
    calls.forEach((_, i) => {
      out.push(head(i));
      for (const f of fragments[i]!) out.push(frag(i, f));
    });
  }
  out.push(chunk(id, model, {}, calls.length > 0 ? 'tool_calls' : 'stop'));
  if (opts.includeUsage) {
    const u = step.usage ?? { prompt_tokens: 100, completion_tokens: 10 };
    out.push({
      id,
      object: 'chat.completion.chunk',
      created: 1_764_000_000,
      model,
      choices: [],
      usage: {
        prompt_tokens: u.prompt_tokens,
        completion_tokens: u.completion_tokens,
        total_tokens: u.prompt_tokens + u.completion_tokens,
        prompt_tokens_details: { cached_tokens: u.cached_tokens ?? 0 },
      },
    });
  }
  return out;
}

/** A text/event-stream body: one `data:` event per chunk, then `data: [DONE]`. */
export function sseStream(chunks: readonly unknown[], opts: { breakAfter?: boolean } = {}): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(encoder.encode(`data: ${JSON.stringify(c)}\n\n`));
      if (opts.breakAfter) {
        controller.error(new Error('connection reset by peer'));
        return;
      }
      controller.enqueue(encoder.encode('data: [DONE]\n\n'));
      controller.close();
    },
  });
}

export interface ChatCompletionsMock {
  handler: HttpHandler;
  /** Every request received, in order (retries included). */
  requests: CapturedRequest[];
  remainingSteps(): number;
}

/**
 * A POST {baseURL}/chat/completions handler answering from a script: each request takes the next
 * step (a value or a function of the captured request); `fallback` answers once the script is
 * exhausted, else the request gets a 400 saying so (and the test will notice).
 */
export function mockChatCompletions(
  steps: ReadonlyArray<WireStep | WireResponder>,
  opts: { baseURL?: string; fallback?: WireStep | WireResponder } = {},
): ChatCompletionsMock {
  const queue = [...steps];
  const requests: CapturedRequest[] = [];
  const handler = http.post(`${opts.baseURL ?? OPENAI_TEST_BASE_URL}/chat/completions`, async ({ request }) => {
    const captured: CapturedRequest = {
      index: requests.length,
      body: (await request.json()) as ChatCompletionCreateParamsStreaming,
      headers: Object.fromEntries(request.headers.entries()),
    };
    requests.push(captured);
    const next = queue.shift() ?? opts.fallback;
    // A 400 (never retried, so its body is safe): the turn ends with the model error text and the test notices.
    if (!next) return HttpResponse.json({ error: { message: 'mock: script exhausted', type: 'invalid_request_error', code: null, param: null } }, { status: 400 });
    const step = typeof next === 'function' ? await next(captured) : next;
    const id = `chatcmpl-test-${captured.index}`;
    const model = captured.body.model;
    const sseHeaders = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };
    switch (step.kind) {
      case 'status':
        if (!step.withBody) return new HttpResponse(null, { status: step.status, headers: step.headers ?? {} });
        return HttpResponse.json(
          { error: { message: step.message ?? `mock status ${step.status}`, type: step.status === 429 ? 'rate_limit_exceeded' : 'server_error', code: null, param: null } },
          { status: step.status, headers: step.headers ?? {} },
        );
      case 'broken':
        return new HttpResponse(sseStream([chunk(id, model, { role: 'assistant', content: '' }), chunk(id, model, { content: step.text })], { breakAfter: true }), {
          status: 200,
          headers: sseHeaders,
        });
      default: {
        const includeUsage = captured.body.stream_options?.include_usage === true;
        return new HttpResponse(sseStream(completionChunks(step, { id, model, includeUsage })), { status: 200, headers: sseHeaders });
      }
    }
  });
  return { handler, requests, remainingSteps: () => queue.length };
}

/** Splits a string into pieces of at most `size` characters (to stream tool-call arguments in fragments). */
export function splitEvery(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

/** The tool messages of a captured request, by tool_call_id, with their content JSON-decoded. */
export function toolMessages(req: CapturedRequest): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const m of req.body.messages) {
    if (m.role === 'tool' && typeof m.content === 'string') out.set(m.tool_call_id, JSON.parse(m.content) as unknown);
  }
  return out;
}
