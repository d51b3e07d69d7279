import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';

/**
 * Idempotency keys of the operator API's writes (README "Connecting your billing system",
 * "Upserts"; the IETF draft "The Idempotency-Key HTTP Header Field"). A write claims its key first,
 * in its own transaction: the row (operator, key) is inserted with the request's hash before
 * anything else is written, and answered (status and body) after. A concurrent request with the same
 * key waits on the primary key until the first commits, then replays its answer; if the first
 * rolls back (a refused write), nothing is remembered and the key may be used again.
 */

/** What the claim found. */
export type Claim =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'mismatch'; request: string };

/** A request as it is compared: the method, the path and the validated body (keys in their schema's order, bigints as text). */
export function requestHash(method: string, path: string, body: unknown): string {
  const json = JSON.stringify(body ?? null, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return createHash('sha256').update(`${method} ${path}\n${json}`).digest('hex');
}

/** Claims a key for this request, or finds the answer of the request that holds it. */
export async function claimKey(trx: Transaction<DB>, k: { operatorId: string; key: string; request: string; hash: string }): Promise<Claim> {
  const claimed = await trx
    .insertInto('ops_idempotency')
    .values({ operator_id: k.operatorId, key: k.key, request: k.request, request_hash: k.hash })
    .onConflict((oc) => oc.columns(['operator_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (claimed) return { kind: 'new' };
  const held = await trx
    .selectFrom('ops_idempotency')
    .select(['request', 'request_hash', 'response_status', 'response_body'])
    .where('operator_id', '=', k.operatorId)
    .where('key', '=', k.key)
    .executeTakeFirstOrThrow();
  if (held.request_hash !== k.hash || held.response_status === null) return { kind: 'mismatch', request: held.request };
  return { kind: 'replay', status: held.response_status, body: held.response_body };
}

/** Stores the answer of a claimed key, in the same transaction as the write. */
export async function answerKey(trx: Transaction<DB>, k: { operatorId: string; key: string }, status: number, body: unknown): Promise<void> {
  await trx
    .updateTable('ops_idempotency')
    .set({ response_status: status, response_body: JSON.stringify(body) })
    .where('operator_id', '=', k.operatorId)
    .where('key', '=', k.key)
    .execute();
}
