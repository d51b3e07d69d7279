import Stripe from 'stripe';
import type { PaymentsContext } from './context.js';
import { WebhookSignatureError } from './errors.js';
import { processEvent, type FaultHook, type ProcessorEvent, type ProcessResult } from './processing.js';

/** Verifies a webhook on its raw bytes (Stripe's default tolerance) and returns its envelope. */
export function verifyWebhook(rawBody: Buffer, signature: string | string[] | undefined, secret: string): ProcessorEvent {
  if (typeof signature !== 'string' || signature.length === 0) throw new WebhookSignatureError('Missing Stripe-Signature header');
  let event: Stripe.Event;
  try {
    event = Stripe.webhooks.constructEvent(rawBody, signature, secret);
  } catch (err) {
    // The SDK's error carries the payload: keep only its message.
    const reason = err instanceof Error ? err.message : 'verification failed';
    throw new WebhookSignatureError(`Invalid Stripe signature: ${reason.split('\n')[0]}`);
  }
  return { id: event.id, type: event.type, created: event.created, object: event.data.object };
}

export interface PublishingContext extends Pick<PaymentsContext, 'db'> {
  /** The billing day a payment is recorded on. */
  today: () => string;
  faults: FaultHook | undefined;
  /** Called after a transaction that recorded a payment committed (the event relay reads the log now). */
  committed: () => void;
}

/**
 * The one exactly-once path (webhooks and reconciliation). A recorded payment is announced
 * through the event log only: its `payment.completed` row commits with it, and every replica's
 * event relay (src/eventlog/relay.ts) publishes it to that replica's open chat streams. Nothing is
 * published from here, so the replica that processed the webhook does not announce it twice.
 */
export async function processAndAnnounce(ctx: PublishingContext, event: ProcessorEvent, source: 'webhook' | 'reconcile'): Promise<ProcessResult> {
  const result = await processEvent({ db: ctx.db, today: ctx.today, faults: ctx.faults }, event, source);
  if (result.outcome === 'applied') ctx.committed();
  return result;
}
