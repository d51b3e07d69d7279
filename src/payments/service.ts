import type { Kysely } from 'kysely';
import type { Clock } from '../billing/dates.js';
import type { BillingService } from '../billing/service.js';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import { createPaymentEventBus, type PaymentEventBus } from '../events/payments.js';
import { checkoutUrls, startCheckout, type CheckoutClaims, type CheckoutContext, type CheckoutStart } from './checkout.js';
import type { PaymentsLog } from './context.js';
import type { FaultHook, ProcessorEvent, ProcessResult } from './processing.js';
import { createSandboxProcessor, createStripeProcessor, type CheckoutProcessor } from './processor.js';
import { returnStatus, sandboxSession } from './session-views.js';
import { processAndAnnounce, verifyWebhook, type PublishingContext } from './webhook.js';

// The service's public names, where its callers have always imported them.
export { IDEMPOTENCY_BUCKET_SECONDS, REUSE_MARGIN_SECONDS, type CheckoutStart } from './checkout.js';
export type { PaymentsLog } from './context.js';
export { CheckoutUnavailableError, WebhookSignatureError } from './errors.js';
export type { ReturnStatus, SandboxSessionView } from './session-views.js';

/** What tests (or an embedding app) may inject instead of the configured defaults. */
export interface PaymentsOptions {
  /** A processor instead of the configured one. */
  processor?: CheckoutProcessor;
  /** Wall clock for session expiry and idempotency buckets (the billing clock may be pinned to a day). */
  now?: () => Date;
  /** Fault injection for crash tests. */
  faults?: FaultHook;
  log?: PaymentsLog;
  /** Interval of the chat event stream's heartbeat. */
  heartbeatMs?: number;
  bus?: PaymentEventBus;
}

export type PaymentsService = ReturnType<typeof createPaymentsService>;

/** Stripe when a secret key is configured, else the sandbox (production config refuses the sandbox). */
export function configuredProcessor(config: Config): CheckoutProcessor {
  return config.STRIPE_SECRET_KEY
    ? createStripeProcessor({ secretKey: config.STRIPE_SECRET_KEY, maxNetworkRetries: config.STRIPE_MAX_NETWORK_RETRIES })
    : createSandboxProcessor({ secret: config.STRIPE_WEBHOOK_SECRET });
}

/**
 * Wires the payment functions (checkout.ts, session-views.ts, webhook.ts) to their dependencies.
 * `committed` runs after a transaction that recorded a payment commits (src/services.ts: the event
 * relay reads the log at once instead of waiting for the notification).
 */
export function createPaymentsService(deps: { db: Kysely<DB>; config: Config; clock: Clock; billing: BillingService; committed?: () => void } & PaymentsOptions) {
  const { db, config, clock, log } = deps;
  const now = deps.now ?? (() => new Date());
  const bus = deps.bus ?? createPaymentEventBus({ onListenerError: (err) => log?.error({ err }, 'payment event listener failed') });
  const processor = deps.processor ?? configuredProcessor(config);
  const urls = checkoutUrls(config.publicBaseUrl);
  const checkout: CheckoutContext = {
    db,
    billing: deps.billing,
    processor,
    now,
    log,
    urls,
    ttlSeconds: config.CHECKOUT_SESSION_TTL_MINUTES * 60,
    inflight: new Map<string, Promise<CheckoutStart>>(),
  };
  const publishing: PublishingContext = { db, today: () => clock.today(), faults: deps.faults, committed: deps.committed ?? (() => undefined) };
  const processEvent = (event: ProcessorEvent, source: 'webhook' | 'reconcile'): Promise<ProcessResult> => processAndAnnounce(publishing, event, source);

  return {
    mode: processor.kind,
    bus,
    now,
    /** Where Checkout sends the reseller back ({CHECKOUT_SESSION_ID} is filled in by the processor). */
    urls,
    heartbeatMs: deps.heartbeatMs ?? 15_000,
    /** The Pay button (checkout.ts). */
    startCheckout: (claims: CheckoutClaims): Promise<CheckoutStart> => startCheckout(checkout, claims),
    returnStatus: (sessionId: string) => returnStatus(checkout, sessionId),
    /** A session as the sandbox checkout page shows it (sandbox mode only). */
    sandboxSession: (sessionId: string) => sandboxSession(db, sessionId),
    /** Verifies a webhook on its raw bytes (Stripe's default tolerance) and processes it exactly once. */
    handleWebhook: async (rawBody: Buffer, signature: string | string[] | undefined): Promise<ProcessResult> =>
      processEvent(verifyWebhook(rawBody, signature, config.STRIPE_WEBHOOK_SECRET), 'webhook'),
    /** The one exactly-once path (webhooks and reconciliation); the event relay announces a recorded payment. */
    processEvent,
    processor,
  };
}
