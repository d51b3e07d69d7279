import type { Transaction } from 'kysely';
import type { DB } from '../db/schema.js';

/**
 * The durable event log: one table (`events`, migration 20261201050000_events) and this one
 * writer. A producer calls `recordEvent` INSIDE the transaction that makes the change the event
 * reports, so the event commits with it or not at all (a rolled-back payment leaves no event, a
 * committed one always has its event). Readers (src/eventlog/feed.ts) get the events in a fixed
 * order that never skips a row committed late: the operator API's feed (GET /v1/ops/events),
 * the outbound webhooks (src/ops-webhooks) and, later, the cross-replica catch-up.
 *
 * Payloads are small: ids, numbers, amounts in integer cents with their currency; never a
 * customer's words, an email body or card data. A consumer re-reads anything else it needs.
 */

export const EVENT_TYPES = ['payment.completed', 'credit_memo.created', 'alert.raised', 'followup.requested'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** A payload value: bigint amounts are written as JSON numbers (integer cents stay far below 2^53). */
export type EventValue = string | number | bigint | boolean | null;

export interface NewEvent {
  type: EventType;
  /** The account the event concerns; null when it has none we know (an alert about an unknown session). */
  accountId: string | null;
  payload: Readonly<Record<string, EventValue>>;
}

export interface RecordedEvent {
  /** The row id (internal; the feed's order is by transaction, then this). */
  id: bigint;
  /** 'evt_…': the stable public id. */
  eventId: string;
}

/** JSON with bigint values as numbers; refuses one that a JSON number cannot hold exactly. */
function payloadJson(payload: Readonly<Record<string, EventValue>>): string {
  return JSON.stringify(payload, (key, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new RangeError(`event payload ${key}: ${v} does not fit a JSON number`);
    return Number(v);
  });
}

/** Appends an event in the caller's transaction (its txid and event id come from the database). */
export async function recordEvent(trx: Transaction<DB>, event: NewEvent): Promise<RecordedEvent> {
  const row = await trx
    .insertInto('events')
    .values({ type: event.type, account_id: event.accountId, payload: payloadJson(event.payload) })
    .returning(['id', 'event_id'])
    .executeTakeFirstOrThrow();
  return { id: row.id, eventId: row.event_id };
}
