import Stripe from 'stripe';
import type { PaymentEventBus } from '../events/payments.js';
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

export interface PublishingContext extends Pick<PaymentsContext, 'db' | 'now'> {
  bus: PaymentEventBus;
  /** The billing day a payment is recorded on. */
  today: () => string;
  faults: FaultHook | undefined;
}

/**
 * The one exactly-once path (webhooks and reconciliation). A recorded payment is announced on the
 * event bus after its transaction commits; subscribers (the chat streams) read the database.
 */
export async function processAndPublish(ctx: PublishingContext, event: ProcessorEvent, source: 'webhook' | 'reconcile'): Promise<ProcessResult> {
  const result = await processEvent({ db: ctx.db, today: ctx.today, faults: ctx.faults }, event, source);
  if (result.outcome === 'applied' && result.accountId && result.invoiceNumber) {
    ctx.bus.publish({
      type: 'invoice_payment',
      accountId: result.accountId,
      invoiceNumber: result.invoiceNumber,
      paymentNumber: result.paymentNumber ?? null,
      at: ctx.now().toISOString(),
    });
  }
  return result;
}
