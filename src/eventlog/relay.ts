import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Listen, Listener } from '../db/listen.js';
import type { DB } from '../db/schema.js';
import type { InvoicePaymentEvent, PaymentEventBus } from '../events/payments.js';
import { feedHead, readEvents, type EventCursor, type StoredEvent } from './feed.js';

/**
 * The cross-replica event relay: one per process. It reads the event log (src/eventlog/feed.ts)
 * after its cursor and publishes each `payment.completed` on this process's payment event bus,
 * where the open chat streams listen. Every replica reads the same table, so a payment recorded
 * through replica A reaches a stream held by replica B, and no replica publishes anything that
 * is not in the log (the webhook path does not publish directly: no duplicates).
 *
 * It reads when (a) a notification on `ba_events` arrives (a trigger sends one when a transaction
 * that inserted events commits, migration 20261201080000), (b) this process has just committed an
 * event (`poke`, no round trip through the server), (c) its listening connection (re)connects
 * (catch-up: notifications sent while it was down are lost, the rows are not), and (d) a backstop
 * poll. The cursor starts at the head of the feed when the relay starts: a chat stream only cares
 * about what happens while it is open (the widget looks its cards up again when it connects).
 *
 * The feed's watermark holds back a committed event while an older writing transaction is still
 * open; when a read finds such a row, it is read again shortly (after 25 ms, doubling up to 1 s)
 * rather than at the next poll: that transaction's end sends no notification when it inserted no event.
 */

export const EVENTS_CHANNEL = 'ba_events';

export interface EventRelay {
  /** Starts at the head of the feed and listens (the database must be migrated). */
  start(): Promise<void>;
  /** This process committed an event: read now (a no-op before start and after stop). */
  poke(): void;
  /** Stops listening and polling; waits for a read in progress. */
  stop(): Promise<void>;
}

export interface RelayLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface EventRelayOptions {
  db: Kysely<DB>;
  /** How to LISTEN (Database.listen); null: poll and pokes only. */
  listen: Listen | null;
  bus: PaymentEventBus;
  log: RelayLog;
  /** The backstop poll. */
  pollMs: number;
  /** Events read per query. */
  pageSize?: number;
}

/** The in-process event a `payment.completed` row stands for (null when the row lacks what it needs). */
export function invoicePaymentEvent(e: StoredEvent): InvoicePaymentEvent | null {
  if (e.type !== 'payment.completed' || !e.accountId) return null;
  const { invoiceNumber, paymentNumber } = e.payload;
  if (typeof invoiceNumber !== 'string') return null;
  return {
    type: 'invoice_payment',
    accountId: e.accountId,
    invoiceNumber,
    paymentNumber: typeof paymentNumber === 'string' ? paymentNumber : null,
    at: e.createdAt.toISOString(),
  };
}

/** Re-reading a held-back row: first after this, doubling up to HELD_BACK_MAX_MS (or the poll interval if shorter). */
const HELD_BACK_FIRST_MS = 25;
const HELD_BACK_MAX_MS = 1000;

export function createEventRelay(opts: EventRelayOptions): EventRelay {
  const { db, bus, log } = opts;
  const pageSize = opts.pageSize ?? 200;
  let cursor: EventCursor | null = null;
  let stopped = false;
  let listener: Listener | null = null;
  let poll: NodeJS.Timeout | undefined;
  let heldBackTimer: NodeJS.Timeout | undefined;
  let heldBackDelay = HELD_BACK_FIRST_MS;
  let running: Promise<void> | null = null;
  let again = false;
  let lostSince: number | null = null;

  /** True when a committed row lies after the cursor that the watermark did not let through yet. */
  const heldBack = async (after: EventCursor): Promise<boolean> => {
    const row = await db
      .selectFrom('events')
      .select('id')
      .where(sql<boolean>`(txid, id) > (${after.txid}::bigint, ${after.id}::bigint)`)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  };

  const readAll = async (): Promise<void> => {
    for (;;) {
      if (stopped || !cursor) return;
      const page = await readEvents(db, { after: cursor, limit: pageSize });
      for (const e of page.events) {
        const event = invoicePaymentEvent(e);
        // The bus shields the relay from a failing listener.
        if (event) bus.publish(event);
        cursor = e.position;
      }
      if (!page.more) break;
    }
    if (stopped || !cursor) return;
    clearTimeout(heldBackTimer);
    if (await heldBack(cursor)) {
      heldBackTimer = setTimeout(wake, heldBackDelay);
      heldBackTimer.unref();
      heldBackDelay = Math.min(opts.pollMs, HELD_BACK_MAX_MS, heldBackDelay * 2);
    } else {
      heldBackDelay = HELD_BACK_FIRST_MS;
    }
  };

  /** Reads once more after the read in progress (never two at once: the cursor moves in order). */
  function wake(): void {
    if (stopped || !cursor) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await readAll();
        } catch (err) {
          if (!stopped) log.warn({ err }, 'event relay: reading the event log failed; the next poll tries again');
        }
      } while (again && !stopped);
      // In the same step as the last check of `again`: a wake from now on starts a new read.
      running = null;
    })();
  }

  return {
    async start() {
      if (cursor || stopped) return;
      cursor = await feedHead(db);
      poll = setInterval(wake, opts.pollMs);
      poll.unref();
      listener =
        opts.listen?.(EVENTS_CHANNEL, {
          onNotify: wake,
          onListening: () => {
            if (lostSince !== null) log.info({ downMs: Date.now() - lostSince }, 'event relay: listening again; catching up from the event log');
            lostSince = null;
            wake();
          },
          onLost: (err, retryInMs) => {
            lostSince ??= Date.now();
            log.warn({ err: err.message, retryInMs }, 'event relay: the listening connection was lost; reconnecting');
          },
        }) ?? null;
    },
    poke: wake,
    async stop() {
      stopped = true;
      clearInterval(poll);
      clearTimeout(heldBackTimer);
      await listener?.close();
      listener = null;
      await running;
    },
  };
}
