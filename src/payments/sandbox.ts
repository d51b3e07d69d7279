import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import type { HandledEventType } from './processing.js';
import { clientReference, derivedId, sessionMetadata } from './processor.js';
import type { SandboxSessionView } from './session-views.js';

/**
 * The sandbox processor's events: Stripe-format Checkout Session events, signed with the
 * configured webhook secret exactly as Stripe signs them, and delivered to the same
 * `POST /webhooks/stripe` handler (in-process, through `app.inject`, so the raw-body parser and
 * the signature check run too). Development only: production refuses to start without Stripe.
 */

export const SANDBOX_OUTCOMES = ['success', 'fail', 'abandon'] as const;
export type SandboxOutcome = (typeof SANDBOX_OUTCOMES)[number];

/** The Checkout Session fields Stripe sends that we model (a typed subset of Stripe's own type). */
export type SandboxSessionObject = Pick<
  Stripe.Checkout.Session,
  | 'id'
  | 'object'
  | 'amount_subtotal'
  | 'amount_total'
  | 'cancel_url'
  | 'client_reference_id'
  | 'created'
  | 'currency'
  | 'customer'
  | 'customer_email'
  | 'expires_at'
  | 'livemode'
  | 'metadata'
  | 'mode'
  | 'payment_intent'
  | 'payment_status'
  | 'status'
  | 'success_url'
  | 'url'
>;

export type SandboxEvent = Pick<Stripe.Event, 'id' | 'object' | 'api_version' | 'created' | 'livemode' | 'pending_webhooks' | 'request'> & {
  type: HandledEventType;
  data: { object: SandboxSessionObject };
};

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

export function sandboxSessionObject(
  s: SandboxSessionView,
  urls: { success: string; cancel: string; page: string },
  state: { status: 'open' | 'complete' | 'expired'; paymentStatus: 'paid' | 'unpaid'; paymentIntent: string | null },
): SandboxSessionObject {
  return {
    id: s.id,
    object: 'checkout.session',
    amount_subtotal: Number(s.amountCents),
    amount_total: Number(s.amountCents),
    cancel_url: urls.cancel,
    client_reference_id: clientReference(s.accountId, s.invoiceNumber),
    created: seconds(s.createdAt),
    currency: s.currency.toLowerCase(),
    customer: null,
    customer_email: null,
    expires_at: seconds(s.expiresAt),
    livemode: false,
    metadata: sessionMetadata(s),
    mode: 'payment',
    payment_intent: state.paymentIntent,
    payment_status: state.paymentStatus,
    status: state.status,
    success_url: urls.success,
    // Stripe clears the URL once the session is complete or expired.
    url: state.status === 'open' ? urls.page : null,
  };
}

export function sandboxEvent(type: HandledEventType, object: SandboxSessionObject, now: Date): SandboxEvent {
  return {
    id: `evt_sandbox_${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}`,
    object: 'event',
    api_version: Stripe.API_VERSION,
    created: seconds(now),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

/** The events Stripe would send for each outcome of the sandbox page. */
export function sandboxEventsFor(
  outcome: SandboxOutcome,
  s: SandboxSessionView,
  urls: { success: string; cancel: string; page: string },
  secret: string,
  now: Date,
): SandboxEvent[] {
  const paymentIntent = derivedId('pi_sandbox_', secret, `${s.id}:payment_intent`, 24);
  switch (outcome) {
    case 'success':
      return [sandboxEvent('checkout.session.completed', sandboxSessionObject(s, urls, { status: 'complete', paymentStatus: 'paid', paymentIntent }), now)];
    case 'fail': {
      // A delayed payment method (e.g. a bank debit) that is later declined.
      const object = sandboxSessionObject(s, urls, { status: 'complete', paymentStatus: 'unpaid', paymentIntent });
      return [sandboxEvent('checkout.session.completed', object, now), sandboxEvent('checkout.session.async_payment_failed', object, now)];
    }
    case 'abandon':
      return [sandboxEvent('checkout.session.expired', sandboxSessionObject(s, urls, { status: 'expired', paymentStatus: 'unpaid', paymentIntent: null }), now)];
  }
}

/** Signs an event with the webhook secret (Stripe's scheme) and posts it to our own webhook route. */
export async function deliverSandboxEvent(app: FastifyInstance, event: SandboxEvent, secret: string): Promise<number> {
  const payload = JSON.stringify(event, null, 2);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret });
  const res = await app.inject({
    method: 'POST',
    url: '/webhooks/stripe',
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature, 'user-agent': 'Stripe/1.0 (sandbox)' },
    payload,
  });
  return res.statusCode;
}
