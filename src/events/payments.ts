import { EventEmitter } from 'node:events';

/**
 * Payment events inside one process: open chat streams (`GET /v1/chat/conversations/:id/events`)
 * subscribe per account. The only publisher is this process's event relay
 * (src/eventlog/relay.ts), which reads the committed `payment.completed` rows of the event log,
 * whichever replica recorded them (woken by PostgreSQL NOTIFY, caught up from its cursor after a
 * lost connection); the webhook handler publishes nothing itself, so no stream sees a payment
 * twice. Subscribers only use the event as a signal and read the current state from the
 * database, so a late event is harmless: the next "what's my balance" always reads the database.
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
