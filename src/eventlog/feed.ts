import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import type { EventType } from './store.js';

/**
 * Reading the event log in order, from a cursor.
 *
 * Sequence order is not commit order: `events.id` is drawn when a row is inserted, so a
 * transaction that inserted id 7 may commit after another one that inserted id 8. A reader that
 * handed out 8 and then asked for "after 8" would never see 7. The watermark: each row keeps the
 * id of the transaction that wrote it (`txid`), and a reader returns only rows whose txid is below
 * the oldest transaction still in progress (`pg_snapshot_xmin(pg_current_snapshot())`), in
 * (txid, id) order. Every transaction still open has a txid at or above that watermark, and every
 * transaction that starts later gets a larger one, so any row not yet readable sorts after every
 * row already returned: the cursor (txid, id) of the last row returned never skips one.
 * A long-running writing transaction holds the feed back (never reorders it) until it ends.
 * Works the same on PGlite (one session: nothing is ever in flight beside the reader).
 */

export interface EventCursor {
  txid: bigint;
  id: bigint;
}

export const FEED_START: EventCursor = Object.freeze({ txid: 0n, id: 0n });

export interface StoredEvent {
  id: bigint;
  eventId: string;
  type: EventType;
  accountId: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
  /** This event's position: reading after it returns the events that follow. */
  position: EventCursor;
}

export interface EventPage {
  events: StoredEvent[];
  /** The position to read after next time: the last event's, or `after` when there was none. */
  next: EventCursor;
  /** More readable events follow (the page was full). */
  more: boolean;
}

const CURSOR_PREFIX = 'v1.';

/** Opaque to clients: base64url of "v1.<txid>.<id>". */
export function encodeCursor(c: EventCursor): string {
  return Buffer.from(`${CURSOR_PREFIX}${c.txid}.${c.id}`, 'utf8').toString('base64url');
}

/** The cursor a client gave back, or null when it is not one of ours. */
export function decodeCursor(text: string): EventCursor | null {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(text)) return null;
  const m = /^v1\.(\d{1,19})\.(\d{1,19})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!m) return null;
  const txid = BigInt(m[1]!);
  const id = BigInt(m[2]!);
  const max = 2n ** 63n - 1n;
  return txid <= max && id <= max ? { txid, id } : null;
}

/** The watermark: transactions below it have all ended. */
const WATERMARK = sql<bigint>`(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint`;

/** An event as the feed and the webhooks send it (Standard Webhooks' type/timestamp/data, plus our ids). */
export interface EventMessage {
  /** 'evt_…': the same in the feed, in the webhook body and in the webhook-id header; deduplicate on it. */
  id: string;
  type: EventType;
  /** When the event was recorded (ISO 8601). */
  timestamp: string;
  accountId: string | null;
  data: Record<string, unknown>;
}

export function eventMessage(e: StoredEvent): EventMessage {
  return { id: e.eventId, type: e.type, timestamp: e.createdAt.toISOString(), accountId: e.accountId, data: e.payload };
}

const COLUMNS = ['id', 'event_id', 'type', 'account_id', 'payload', 'txid', 'created_at'] as const;

function toStored(r: { id: bigint; event_id: string; type: string; account_id: string | null; payload: Record<string, unknown>; txid: bigint; created_at: Date }): StoredEvent {
  return {
    id: r.id,
    eventId: r.event_id,
    type: r.type as EventType,
    accountId: r.account_id,
    payload: r.payload,
    createdAt: new Date(r.created_at),
    position: { txid: r.txid, id: r.id },
  };
}

/** Events by row id (a webhook delivery names its event by row id). */
export async function eventsById(db: Kysely<DB> | Transaction<DB>, ids: readonly bigint[]): Promise<Map<bigint, StoredEvent>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('events').select(COLUMNS).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, toStored(r)]));
}

/** Up to `limit` readable events after `after`, in feed order. */
export async function readEvents(db: Kysely<DB> | Transaction<DB>, opts: { after: EventCursor; limit: number }): Promise<EventPage> {
  const rows = await db
    .selectFrom('events')
    .select(COLUMNS)
    .where(sql<boolean>`(txid, id) > (${opts.after.txid}::bigint, ${opts.after.id}::bigint)`)
    .where('txid', '<', WATERMARK)
    .orderBy('txid')
    .orderBy('id')
    .limit(opts.limit + 1)
    .execute();
  const more = rows.length > opts.limit;
  const events = rows.slice(0, opts.limit).map(toStored);
  return { events, next: events.at(-1)?.position ?? opts.after, more };
}

/** The position of the last readable event (FEED_START when there is none): reading after it returns only what is still to come. */
export async function feedHead(db: Kysely<DB> | Transaction<DB>): Promise<EventCursor> {
  const row = await db.selectFrom('events').select(['txid', 'id']).where('txid', '<', WATERMARK).orderBy('txid', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row ? { txid: row.txid, id: row.id } : FEED_START;
}
