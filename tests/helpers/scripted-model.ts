import type { ChatMessage, ChatModel, ModelRequest, ModelResponse, ToolCall, ToolSpec } from '../../src/agent/types.js';

/**
 * A zero-latency ChatModel for tests: answers from a script, one step per call, and records every
 * request it received (a deep copy of the messages and tool specs, as the model saw them at that
 * moment), so tests can assert what the model was shown.
 *
 *   const model = new ScriptedModel([
 *     reply({ toolCalls: [call('getInvoice', { invoiceNumber: 'IN7654321' })] }),
 *     reply({ text: 'IN7654321 is overdue.' }),
 *   ]);
 *
 * A step may also be a function of the recorded request (to answer from tool results), or a
 * failure (`fail(err)`). When the script runs out, the `fallback` responder answers, or the call
 * throws UnexpectedModelCallError (which the loop does not swallow: the test fails loudly).
 */

export interface ScriptedToolCall {
  /** Defaults to `call_<request>_<position>`. */
  id?: string;
  name: string;
  /** An object is JSON-encoded; a string is sent as is (so it may be malformed on purpose). */
  arguments?: string | Record<string, unknown>;
}

export interface ScriptedReply {
  text?: string;
  /**
   * How the text streams through onTextDelta. Defaults to word by word; the pieces must join to
   * `text` (checked).
   */
  chunks?: string[];
  toolCalls?: ScriptedToolCall[];
  usage?: ModelResponse['usage'];
}

/** A request as the model received it. */
export interface RecordedRequest {
  /** Zero-based position among this model's calls. */
  index: number;
  messages: ChatMessage[];
  tools: ToolSpec[];
  /** Whether an abort signal came with the request. */
  hasSignal: boolean;
}

export type Responder = (req: RecordedRequest) => ScriptedReply | Promise<ScriptedReply>;

export type ScriptedStep = { kind: 'reply'; reply: ScriptedReply } | { kind: 'respond'; respond: Responder } | { kind: 'fail'; error: unknown };

export class UnexpectedModelCallError extends Error {
  constructor(readonly callIndex: number) {
    super(`ScriptedModel: unexpected call #${callIndex + 1}, no scripted steps remain`);
    this.name = 'UnexpectedModelCallError';
  }
}

export const reply = (r: ScriptedReply): ScriptedStep => ({ kind: 'reply', reply: r });
export const text = (t: string, chunks?: string[]): ScriptedStep => reply(chunks ? { text: t, chunks } : { text: t });
export const respond = (fn: Responder): ScriptedStep => ({ kind: 'respond', respond: fn });
export const fail = (error: unknown): ScriptedStep => ({ kind: 'fail', error });
export const call = (name: string, args: string | Record<string, unknown> = {}, id?: string): ScriptedToolCall => ({
  name,
  arguments: args,
  ...(id ? { id } : {}),
});
/** A step that only calls tools. */
export const tools = (...calls: ScriptedToolCall[]): ScriptedStep => reply({ toolCalls: calls });

/** Splits text into word-sized pieces that join back to it exactly. */
export function words(t: string): string[] {
  return t.match(/\s*\S+\s*/g) ?? (t ? [t] : []);
}

export class ScriptedModel implements ChatModel {
  readonly id: string;
  readonly requests: RecordedRequest[] = [];
  readonly #steps: ScriptedStep[];
  readonly #fallback: Responder | undefined;

  constructor(steps: readonly ScriptedStep[] = [], opts: { id?: string; fallback?: Responder } = {}) {
    this.id = opts.id ?? 'scripted';
    this.#steps = [...steps];
    this.#fallback = opts.fallback;
  }

  /** Adds steps to the end of the script. */
  enqueue(...steps: ScriptedStep[]): void {
    this.#steps.push(...steps);
  }

  get remainingSteps(): number {
    return this.#steps.length;
  }

  get lastRequest(): RecordedRequest | undefined {
    return this.requests.at(-1);
  }

  /** Throws when scripted steps were left unused. */
  assertComplete(): void {
    if (this.#steps.length > 0) throw new Error(`ScriptedModel: ${this.#steps.length} scripted step(s) left unused`);
  }

  /** The tool messages the model received in request `index` (JSON-decoded), keyed by call id. */
  toolResults(index: number): Map<string, { name: string; content: unknown }> {
    const req = this.requests[index];
    if (!req) throw new Error(`ScriptedModel: no request #${index}`);
    const out = new Map<string, { name: string; content: unknown }>();
    for (const m of req.messages) if (m.role === 'tool') out.set(m.toolCallId, { name: m.name, content: JSON.parse(m.content) as unknown });
    return out;
  }

  async respond(req: ModelRequest, onTextDelta?: (text: string) => void): Promise<ModelResponse> {
    const recorded: RecordedRequest = {
      index: this.requests.length,
      messages: structuredClone(req.messages),
      tools: structuredClone(req.tools),
      hasSignal: req.signal !== undefined,
    };
    this.requests.push(recorded);
    const step = this.#steps.shift();
    let r: ScriptedReply;
    if (!step) {
      if (!this.#fallback) throw new UnexpectedModelCallError(recorded.index);
      r = await this.#fallback(recorded);
    } else if (step.kind === 'fail') {
      throw step.error;
    } else if (step.kind === 'respond') {
      r = await step.respond(recorded);
    } else {
      r = step.reply;
    }
    return this.#toResponse(r, recorded.index, onTextDelta);
  }

  #toResponse(r: ScriptedReply, index: number, onTextDelta?: (text: string) => void): ModelResponse {
    const content = r.text ?? '';
    const pieces = r.chunks ?? words(content);
    if (pieces.join('') !== content) throw new Error(`ScriptedModel: chunks do not join to the text of step #${index + 1}`);
    for (const p of pieces) if (p) onTextDelta?.(p);
    const toolCalls: ToolCall[] = (r.toolCalls ?? []).map((c, i) => ({
      id: c.id ?? `call_${index}_${i}`,
      name: c.name,
      arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}),
    }));
    return { content, toolCalls, ...(r.usage ? { usage: r.usage } : {}) };
  }
}
