import type { AnyTool } from '../../tools/registry.js';
import { ToolFailure, type ToolContext, type ToolOutput } from '../../tools/types.js';
import { AppError } from '../errors.js';

/** A tool's failure as an MCP client is told it (code and sentence), and what the audit keeps. */
export interface RunFailure {
  outcome: 'error' | 'timeout';
  code: string;
  message: string;
  /** The audit's detail: the failure's own message, also for unexpected errors (never shown to the client). */
  detail: string;
}

export type RunResult = { ok: true; output: ToolOutput } | { ok: false; failure: RunFailure };

class ToolTimeout extends Error {}

/** Runs `work` within `ms`; the same bound the chat puts on a tool (AGENT_TOOL_TIMEOUT_MS). */
export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ToolTimeout(`tool timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a thrown error tells the client: refusals and known errors as they are, anything else as a plain sentence (no stack, no internals). */
export function failureOf(err: unknown): RunFailure {
  if (err instanceof ToolTimeout) return { outcome: 'timeout', code: 'timeout', message: 'The tool took too long to answer. Try again in a moment.', detail: err.message };
  if (err instanceof ToolFailure || err instanceof AppError) return { outcome: 'error', code: err.code, message: err.message, detail: err.message };
  return {
    outcome: 'error',
    code: 'internal',
    message: 'That failed on our side. Try again later; the portal has the same information.',
    detail: err instanceof Error ? err.message : String(err),
  };
}

export async function runTool(tool: AnyTool, ctx: ToolContext, args: unknown, timeoutMs: number): Promise<RunResult> {
  try {
    return { ok: true, output: await withTimeout(tool.execute(ctx, args), timeoutMs) };
  } catch (err) {
    return { ok: false, failure: failureOf(err) };
  }
}
