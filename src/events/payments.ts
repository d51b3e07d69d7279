import { EventEmitter } from 'node:events';

/**
 * Payment events inside one process: the webhook handler publishes after its transaction
 * commits; open chat streams (`GET /v1/chat/conversations/:id/events`) subscribe per account.
 *
 * In-process only. With several replicas the webhook may land on one replica while the reseller's
 * chat stream is held by another, so a multi-replica deployment must carry these events between
 * processes: PostgreSQL `LISTEN/NOTIFY` (publish with `pg_notify('payments', json)` in the same
 * transaction as the payment, so it is sent only on commit; each replica LISTENs on a dedicated
 * connection and re-publishes here) or Redis pub/sub. Subscribers only use the event as a signal
 * and read the current state from the database, so a lost or repeated event is harmless: the
 * next "what's my balance" always reads the database.
 */

export interface InvoicePaymentEvent {
  type: 'invoice_payment';
  accountId: string;
  invoiceNumber: string;
  /** Our payment number (PAY-...), when a payment was recorded. */
  paymentNumber: string | null;
  at: string;
}

export interface PaymentEventBus {
  publish(event: InvoicePaymentEvent): void;
  /** Listens to one account's events; returns the unsubscribe function. */
  subscribe(accountId: string, listener: (event: InvoicePaymentEvent) => void): () => void;
  /** Number of listeners (tests, diagnostics). */
  listenerCount(accountId: string): number;
}

export function createPaymentEventBus(opts: { onListenerError?: (err: unknown) => void } = {}): PaymentEventBus {
  const emitter = new EventEmitter();
  // One listener per open chat stream: no fixed limit (the default of 10 would warn).
  emitter.setMaxListeners(0);
  const channel = (accountId: string) => `account:${accountId}`;
  return {
    publish(event) {
      // A throwing listener must not break the publisher (the payment is already committed).
      for (const listener of emitter.listeners(channel(event.accountId))) {
        try {
          (listener as (e: InvoicePaymentEvent) => void)(event);
        } catch (err) {
          opts.onListenerError?.(err);
        }
      }
    },
    subscribe(accountId, listener) {
      emitter.on(channel(accountId), listener);
      return () => {
        emitter.off(channel(accountId), listener);
      };
    },
    listenerCount: (accountId) => emitter.listenerCount(channel(accountId)),
  };
}
