import type { z } from 'zod';
import { toolErrorResult } from '../../../tools/shared.js';

/**
 * One tool call of this turn with its outcome, as the offline engine reads it. Results are parsed
 * with each tool's own result schema (tools/*.ts); there is no second description of them here.
 */
export interface CallOutcome {
  name: string;
  args: Record<string, unknown>;
  /** Parsed JSON content, or null when it was not JSON. */
  content: unknown;
}

export type ToolErrorResult = z.infer<typeof toolErrorResult>['error'];

export function errorOf(o: CallOutcome): ToolErrorResult | null {
  const e = toolErrorResult.safeParse(o.content);
  return e.success ? e.data.error : null;
}

export function parseAs<T>(schema: z.ZodType<T>, o: CallOutcome): T | null {
  const r = schema.safeParse(o.content);
  return r.success ? r.data : null;
}

/** A side-effecting call the loop did not run: proposed to the user, or withheld by their message. */
export function deferredOf(o: CallOutcome): { status: 'needs_approval' | 'not_requested'; proposalId: string | null } | null {
  const c = o.content as { status?: unknown; proposalId?: unknown } | null;
  if (c && (c.status === 'needs_approval' || c.status === 'not_requested')) return { status: c.status, proposalId: typeof c.proposalId === 'string' ? c.proposalId : null };
  return null;
}
