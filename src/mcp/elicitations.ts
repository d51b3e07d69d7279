import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { ElicitResultSchema, JSONRPCErrorResponseSchema, JSONRPCResultResponseSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import type { DB } from '../db/schema.js';
import type { Session } from '../identity/session.js';
import { redactJson } from './redact.js';

/**
 * Elicitations across replicas. The server sends `elicitation/create` on the SSE stream of the
 * tools/call it belongs to, with an id of its own (unique everywhere, unlike the SDK's counter,
 * which restarts with every per-request server). The client answers with a new POST, which any
 * replica may receive: that replica stores the answer here (recordAnswer) and the replica holding
 * the tools/call, polling this row, carries on (awaitAnswer).
 */

export type ElicitOutcome =
  | { kind: 'answered'; result: ElicitResult }
  /** The client answered with a JSON-RPC error (it cannot elicit after all). */
  | { kind: 'refused'; message: string }
  | { kind: 'timeout' }
  /** The tools/call was cancelled or its connection closed. */
  | { kind: 'aborted' };

const ID_PREFIX = 'elicit_';

/** Records an elicitation about to be sent; its id is the JSON-RPC request's. */
export async function openElicitation(
  db: Kysely<DB>,
  session: Session,
  o: { mode: 'form' | 'url'; proposalId: string | null; expiresAt: Date },
): Promise<string> {
  const id = `${ID_PREFIX}${randomUUID()}`;
  await db
    .insertInto('mcp_elicitations')
    .values({ id, account_id: session.accountId, user_id: session.userId, mode: o.mode, proposal_id: o.proposalId, expires_at: o.expiresAt })
    .execute();
  return id;
}

function outcomeOf(answer: unknown): ElicitOutcome {
  const a = answer as { result?: unknown; error?: { message?: unknown } } | null;
  if (a && 'result' in a) {
    const parsed = ElicitResultSchema.safeParse(a.result);
    if (parsed.success) return { kind: 'answered', result: parsed.data };
    return { kind: 'refused', message: 'the client answered with something that is not an elicitation result' };
  }
  return { kind: 'refused', message: typeof a?.error?.message === 'string' ? a.error.message.slice(0, 200) : 'the client refused the elicitation' };
}

/** Waits for the answer to elicitation `id` until `until`, or until `signal` aborts. */
export async function awaitAnswer(db: Kysely<DB>, id: string, o: { until: Date; signal: AbortSignal; pollMs: number; now: () => Date }): Promise<ElicitOutcome> {
  const m = db;
  for (;;) {
    if (o.signal.aborted) return { kind: 'aborted' };
    const row = await m.selectFrom('mcp_elicitations').select(['answer', 'answered_at']).where('id', '=', id).executeTakeFirst();
    if (row?.answered_at) return outcomeOf(row.answer);
    const left = o.until.getTime() - o.now().getTime();
    if (left <= 0) return { kind: 'timeout' };
    try {
      await sleep(Math.min(o.pollMs, left), undefined, { signal: o.signal });
    } catch {
      return { kind: 'aborted' };
    }
  }
}

/**
 * Stores a client's answer (a JSON-RPC response) to one of our pending elicitations: only the
 * session's own (account and user), only once, only before it expires. False when nothing matched.
 */
export async function recordAnswer(db: Kysely<DB>, session: Session, message: unknown, now: Date): Promise<boolean> {
  const ok = JSONRPCResultResponseSchema.safeParse(message);
  const err = ok.success ? null : JSONRPCErrorResponseSchema.safeParse(message);
  const id = ok.success ? ok.data.id : err?.success ? err.data.id : undefined;
  if (typeof id !== 'string' || !id.startsWith(ID_PREFIX) || id.length > 64) return false;
  // What the person typed in a form is stored without card numbers.
  const answer = ok.success
    ? { result: redactJson(ok.data.result).value }
    : { error: { code: err!.data!.error.code, message: String(err!.data!.error.message).slice(0, 200) } };
  const updated = await db
    .updateTable('mcp_elicitations')
    .set({ answer: JSON.stringify(answer), answered_at: now })
    .where('id', '=', id)
    .where('account_id', '=', session.accountId)
    .where('user_id', '=', session.userId)
    .where('answered_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** Whether a message is a JSON-RPC response (an answer to a request of ours), not a request or notification. */
export function isResponse(message: unknown): boolean {
  return JSONRPCResultResponseSchema.safeParse(message).success || JSONRPCErrorResponseSchema.safeParse(message).success;
}
