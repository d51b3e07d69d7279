import { sql, type Kysely } from 'kysely';
import type { DB, WebhookDeliveryStatus } from '../db/schema.js';
import { eventsById, feedHead, readEvents, type StoredEvent } from '../eventlog/feed.js';

/**
 * The outbound webhooks' state in the database, so that any number of replicas can run the worker:
 *
 * - `webhook_endpoints`: per configured URL, the feed position its deliveries were created up to.
 *   A replica extends it under `FOR UPDATE SKIP LOCKED` (one replica at a time per URL, the others
 *   skip), reading the event log through its commit-safe cursor, so no event is missed or doubled
 *   (deliveries are unique per event and URL).
 * - `webhook_deliveries`: one per event and URL. A worker claims due ones with `FOR UPDATE SKIP
 *   LOCKED` and, in the same statement, counts the attempt and moves `next_attempt_at` to the end
 *   of a lease (longer than the HTTP timeout): no other worker can claim it while it is being
 *   sent, and a worker that dies mid-send only delays it to the lease's end (at-least-once).
 * - `webhook_delivery_attempts`: every attempt, with its status code or error.
 */

/** Creates the endpoint row of each URL not seen before, at the feed's head: a new URL receives the events recorded from now on (older ones are in the feed). */
export async function registerEndpoints(db: Kysely<DB>, urls: readonly string[]): Promise<void> {
  if (urls.length === 0) return;
  const head = await feedHead(db);
  await db
    .insertInto('webhook_endpoints')
    .values(urls.map((url) => ({ url, after_txid: head.txid, after_id: head.id })))
    .onConflict((oc) => oc.column('url').doNothing())
    .execute();
}

/** Creates the deliveries of the next readable events for one URL; 0 when there are none or another replica holds the URL. */
export async function enqueueDeliveries(db: Kysely<DB>, url: string, batch: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const endpoint = await trx.selectFrom('webhook_endpoints').select(['after_txid', 'after_id']).where('url', '=', url).forUpdate().skipLocked().executeTakeFirst();
    if (!endpoint) return 0;
    const page = await readEvents(trx, { after: { txid: endpoint.after_txid, id: endpoint.after_id }, limit: batch });
    if (page.events.length === 0) return 0;
    await trx
      .insertInto('webhook_deliveries')
      .values(page.events.map((e) => ({ event_id: e.id, url })))
      .onConflict((oc) => oc.columns(['event_id', 'url']).doNothing())
      .execute();
    await trx.updateTable('webhook_endpoints').set({ after_txid: page.next.txid, after_id: page.next.id, updated_at: sql`now()` }).where('url', '=', url).execute();
    return page.events.length;
  });
}

export interface ClaimedDelivery {
  id: bigint;
  url: string;
  /** This attempt's number (1 for the first). */
  attempt: number;
  event: StoredEvent;
}

/** Claims up to `limit` due deliveries to the configured URLs for this worker, each for `leaseMs`. */
export async function claimDue(db: Kysely<DB>, opts: { urls: readonly string[]; limit: number; leaseMs: number }): Promise<ClaimedDelivery[]> {
  if (opts.urls.length === 0) return [];
  const { rows } = await sql<{ id: bigint; event_id: bigint; url: string; attempts: number }>`
    update webhook_deliveries d
    set attempts = d.attempts + 1, next_attempt_at = now() + ${opts.leaseMs}::int * interval '1 millisecond', last_attempt_at = now()
    from (
      select id from webhook_deliveries
      where status = 'pending' and next_attempt_at <= now() and url = any(${[...opts.urls]}::text[])
      order by next_attempt_at, id
      limit ${opts.limit}
      for update skip locked
    ) due
    where d.id = due.id
    returning d.id, d.event_id, d.url, d.attempts`.execute(db);
  const events = await eventsById(db, rows.map((r) => r.event_id));
  return rows.flatMap((r) => {
    const event = events.get(r.event_id);
    return event ? [{ id: r.id, url: r.url, attempt: r.attempts, event }] : [];
  });
}

export type AttemptResult = { ok: true; statusCode: number; durationMs: number } | { ok: false; statusCode: number | null; error: string; durationMs: number };

/**
 * Records an attempt and its consequence: delivered; failed after the last attempt; else pending
 * again after `retryDelayMs`. The delivery row changes only while it is still this claim's (same
 * attempt count): a worker whose lease ran out does not overwrite the next claim.
 */
export async function settleAttempt(
  db: Kysely<DB>,
  d: ClaimedDelivery,
  r: AttemptResult,
  opts: { startedAt: Date; maxAttempts: number; retryDelayMs: number },
): Promise<'delivered' | 'retry' | 'failed'> {
  const outcome = r.ok ? 'delivered' : d.attempt >= opts.maxAttempts ? 'failed' : 'retry';
  const error = r.ok ? null : r.error;
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('webhook_delivery_attempts')
      .values({ delivery_id: d.id, attempt: d.attempt, started_at: opts.startedAt, duration_ms: r.durationMs, status_code: r.statusCode, error, outcome })
      .execute();
    await trx
      .updateTable('webhook_deliveries')
      .set({
        status: outcome === 'retry' ? 'pending' : outcome,
        next_attempt_at: outcome === 'retry' ? sql`now() + ${Math.round(opts.retryDelayMs)}::int * interval '1 millisecond'` : sql`now()`,
        last_status_code: r.statusCode,
        last_error: error,
        ...(outcome === 'delivered' ? { delivered_at: sql`now()` } : {}),
      })
      .where('id', '=', d.id)
      .where('attempts', '=', d.attempt)
      .where('status', '=', 'pending')
      .execute();
  });
  return outcome;
}

export interface DeliveryAttempt {
  attempt: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  outcome: 'delivered' | 'retry' | 'failed';
}

export interface Delivery {
  id: bigint;
  eventId: string;
  eventType: string;
  url: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
  attemptLog: DeliveryAttempt[];
}

/** A receiver URL as listed: no credentials, no query string (either may carry a token). */
export function displayUrl(url: string): string {
  if (!URL.canParse(url)) return '(invalid URL)';
  const u = new URL(url);
  return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
}

/** Deliveries newest first, with their attempts; `before` is the last id of the previous page. */
export async function listDeliveries(
  db: Kysely<DB>,
  opts: { status?: WebhookDeliveryStatus | undefined; limit: number; before?: bigint | undefined },
): Promise<{ items: Delivery[]; more: boolean }> {
  let q = db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .select(['d.id', 'e.event_id', 'e.type', 'd.url', 'd.status', 'd.attempts', 'd.next_attempt_at', 'd.last_attempt_at', 'd.last_status_code', 'd.last_error', 'd.delivered_at', 'd.created_at'])
    .orderBy('d.id', 'desc')
    .limit(opts.limit + 1);
  if (opts.status) q = q.where('d.status', '=', opts.status);
  if (opts.before !== undefined) q = q.where('d.id', '<', opts.before);
  const rows = await q.execute();
  const page = rows.slice(0, opts.limit);
  const attempts =
    page.length === 0
      ? []
      : await db
          .selectFrom('webhook_delivery_attempts')
          .select(['delivery_id', 'attempt', 'started_at', 'duration_ms', 'status_code', 'error', 'outcome'])
          .where(
            'delivery_id',
            'in',
            page.map((r) => r.id),
          )
          .orderBy('delivery_id')
          .orderBy('attempt')
          .orderBy('id')
          .execute();
  const items = page.map(
    (r): Delivery => ({
      id: r.id,
      eventId: r.event_id,
      eventType: r.type,
      url: displayUrl(r.url),
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: r.status === 'pending' ? new Date(r.next_attempt_at) : null,
      lastAttemptAt: r.last_attempt_at === null ? null : new Date(r.last_attempt_at),
      lastStatusCode: r.last_status_code,
      lastError: r.last_error,
      deliveredAt: r.delivered_at === null ? null : new Date(r.delivered_at),
      createdAt: new Date(r.created_at),
      attemptLog: attempts
        .filter((a) => a.delivery_id === r.id)
        .map((a) => ({ attempt: a.attempt, startedAt: new Date(a.started_at), durationMs: a.duration_ms, statusCode: a.status_code, error: a.error, outcome: a.outcome })),
    }),
  );
  return { items, more: rows.length > opts.limit };
}
