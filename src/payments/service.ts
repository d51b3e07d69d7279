import type { Kysely } from 'kysely';
import Stripe from 'stripe';
import type { Clock } from '../billing/dates.js';
import type { InvoiceDetail } from '../billing/queries.js';
import type { BillingService } from '../billing/service.js';
import type { Config } from '../config.js';
import type { CheckoutSessionState, DB } from '../db/schema.js';
import { AppError } from '../errors.js';
import { createPaymentEventBus, type PaymentEventBus } from '../events/payments.js';
import { markExpired, processEvent, type FaultHook, type ProcessorEvent, type ProcessResult } from './processing.js';
import { createSandboxProcessor, createStripeProcessor, type CheckoutProcessor } from './processor.js';

/** The slice of a pino/fastify logger the payments service uses. */
export interface PaymentsLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

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

/** The webhook's signature (or its header) is missing or does not verify: 400, nothing written. */
export class WebhookSignatureError extends AppError {
  constructor(message: string) {
    super(400, 'invalid_signature', message);
  }
}

/** The processor could not create a session (network, Stripe error): the reseller may retry. */
export class CheckoutUnavailableError extends AppError {
  constructor(cause: unknown) {
    super(503, 'checkout_unavailable', 'The payment processor is not reachable right now', { cause });
  }
}

/** Time buckets of the idempotency key: within one, the same invoice and amount get the same session. */
export const IDEMPOTENCY_BUCKET_SECONDS = 600;
/** An open session is reused only if it stays valid at least this long. */
export const REUSE_MARGIN_SECONDS = 5 * 60;

export type CheckoutStart =
  | { kind: 'redirect'; url: string; sessionId: string; reused: boolean }
  | { kind: 'not_found' }
  | { kind: 'not_payable'; reason: 'paid' | 'void' | 'nothing_due'; invoice: InvoiceDetail }
  | { kind: 'processing'; invoice: InvoiceDetail };

export interface ReturnStatus {
  sessionId: string;
  accountId: string;
  invoiceNumber: string;
  /** The session's state, with an open session past its expiry shown as expired. */
  state: CheckoutSessionState;
  amountCents: bigint;
  currency: string;
  invoice: InvoiceDetail | null;
}

export interface SandboxSessionView {
  id: string;
  accountId: string;
  accountName: string;
  invoiceNumber: string;
  amountCents: bigint;
  currency: string;
  state: CheckoutSessionState;
  expiresAt: Date;
  createdAt: Date;
}

export type PaymentsService = ReturnType<typeof createPaymentsService>;

export function createPaymentsService(
  deps: {
    db: Kysely<DB>;
    config: Config;
    clock: Clock;
    billing: BillingService;
  } & PaymentsOptions,
) {
  const { db, config } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log;
  const bus = deps.bus ?? createPaymentEventBus({ onListenerError: (err) => log?.error({ err }, 'payment event listener failed') });
  const processor: CheckoutProcessor =
    deps.processor ??
    (config.STRIPE_SECRET_KEY
      ? createStripeProcessor({ secretKey: config.STRIPE_SECRET_KEY, maxNetworkRetries: config.STRIPE_MAX_NETWORK_RETRIES })
      : createSandboxProcessor({ secret: config.STRIPE_WEBHOOK_SECRET }));
  const ttlSeconds = config.CHECKOUT_SESSION_TTL_MINUTES * 60;
  const returnUrl = `${config.publicBaseUrl}/pay/return?session_id={CHECKOUT_SESSION_ID}`;
  const cancelUrl = `${returnUrl}&cancelled=1`;
  /** One processor call per key at a time in this process (a double click); other replicas rely on the idempotency key. */
  const inflight = new Map<string, Promise<CheckoutStart>>();

  async function payableInvoice(accountId: string, invoiceNumber: string) {
    return db
      .selectFrom('invoices')
      .innerJoin('accounts', 'accounts.id', 'invoices.account_id')
      .select(['invoices.id', 'invoices.number', 'invoices.currency', 'invoices.amount_due_cents', 'invoices.voided_at', 'accounts.name as account_name'])
      .where('invoices.account_id', '=', accountId)
      .where('invoices.number', '=', invoiceNumber)
      .executeTakeFirst();
  }

  async function createSession(
    claims: { accountId: string; invoiceNumber: string },
    inv: NonNullable<Awaited<ReturnType<typeof payableInvoice>>>,
    key: string,
    expiresAt: number,
  ): Promise<CheckoutStart> {
    const currency = inv.currency.trim();
    let created;
    try {
      created = await processor.createSession({
        accountId: claims.accountId,
        accountName: inv.account_name,
        invoiceNumber: inv.number,
        amountCents: inv.amount_due_cents,
        currency,
        expiresAt,
        successUrl: returnUrl,
        cancelUrl,
        idempotencyKey: key,
      });
    } catch (err) {
      throw new CheckoutUnavailableError(err);
    }
    await db
      .insertInto('checkout_sessions')
      .values({
        id: created.id,
        account_id: claims.accountId,
        invoice_id: inv.id,
        invoice_number: inv.number,
        processor: processor.kind,
        amount_cents: inv.amount_due_cents,
        currency,
        url: created.url,
        idempotency_key: key,
        expires_at: new Date(created.expiresAt * 1000),
        payment_intent: null,
        payment_id: null,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    // Older open sessions of this invoice (another amount) must not be paid any more.
    const stale = await db
      .selectFrom('checkout_sessions')
      .select('id')
      .where('invoice_id', '=', inv.id)
      .where('state', '=', 'open')
      .where('id', '!=', created.id)
      .execute();
    for (const s of stale) {
      try {
        await processor.expireSession(s.id);
        await markExpired(db, s.id);
      } catch (err) {
        // It may have just been completed or expired at the processor; its webhook will tell.
        log?.warn({ err: err instanceof Error ? err.message : String(err), sessionId: s.id, alert: 'checkout_session_expire_failed' }, 'could not expire a superseded checkout session');
      }
    }
    return { kind: 'redirect', url: created.url, sessionId: created.id, reused: false };
  }

  async function invoiceDetail(accountId: string, invoiceNumber: string): Promise<InvoiceDetail> {
    const d = await deps.billing.invoice(accountId, invoiceNumber);
    if (!d) throw new Error(`invoice ${invoiceNumber} vanished`);
    return d;
  }

  const service = {
    mode: processor.kind,
    bus,
    now,
    /** Where Checkout sends the reseller back ({CHECKOUT_SESSION_ID} is filled in by the processor). */
    urls: { success: returnUrl, cancel: cancelUrl },
    heartbeatMs: deps.heartbeatMs ?? 15_000,

    /**
     * The Pay button: a Checkout Session for the invoice's amount due read from the database now
     * (never from the link or the page). An open session for the same amount is reused.
     */
    async startCheckout(claims: { accountId: string; invoiceNumber: string }): Promise<CheckoutStart> {
      const inv = await payableInvoice(claims.accountId, claims.invoiceNumber);
      if (!inv) return { kind: 'not_found' };
      if (inv.voided_at) return { kind: 'not_payable', reason: 'void', invoice: await invoiceDetail(claims.accountId, inv.number) };
      if (inv.amount_due_cents <= 0n) {
        const invoice = await invoiceDetail(claims.accountId, inv.number);
        return { kind: 'not_payable', reason: invoice.status === 'paid' ? 'paid' : 'nothing_due', invoice };
      }
      const currency = inv.currency.trim();
      const nowMs = now().getTime();
      const sessions = await db
        .selectFrom('checkout_sessions')
        .select(['id', 'url', 'state', 'amount_cents', 'currency', 'expires_at'])
        .where('invoice_id', '=', inv.id)
        .orderBy('created_at', 'desc')
        .execute();
      // A payment already under way (an asynchronous method) for this amount: do not start a second one.
      if (sessions.some((s) => s.state === 'processing' && s.amount_cents >= inv.amount_due_cents)) {
        return { kind: 'processing', invoice: await invoiceDetail(claims.accountId, inv.number) };
      }
      const reusable = sessions.find(
        (s) =>
          s.state === 'open' &&
          s.amount_cents === inv.amount_due_cents &&
          s.currency.trim() === currency &&
          new Date(s.expires_at).getTime() > nowMs + REUSE_MARGIN_SECONDS * 1000,
      );
      if (reusable) return { kind: 'redirect', url: reusable.url, sessionId: reusable.id, reused: true };

      // Same invoice, amount and time bucket → same key and identical parameters (expiry included),
      // so a retried or concurrent request gets the same session from Stripe.
      const bucket = Math.floor(nowMs / 1000 / IDEMPOTENCY_BUCKET_SECONDS);
      const expiresAt = (bucket + 1) * IDEMPOTENCY_BUCKET_SECONDS + ttlSeconds;
      // Sessions that ended unpaid bump a generation, so a new attempt in the same bucket is a new session.
      const generation = sessions.filter((s) => s.state === 'expired' || s.state === 'failed').length;
      const key = `checkout-${claims.accountId}-${inv.number}-${inv.amount_due_cents}-${currency}-${bucket}-g${generation}`;
      const running = inflight.get(key);
      if (running) return running;
      const p = createSession(claims, inv, key, expiresAt).finally(() => inflight.delete(key));
      inflight.set(key, p);
      return p;
    },

    /** The return page's facts: the session and the invoice as they are in our database now. */
    async returnStatus(sessionId: string): Promise<ReturnStatus | null> {
      const row = await db
        .selectFrom('checkout_sessions')
        .select(['id', 'account_id', 'invoice_number', 'state', 'amount_cents', 'currency', 'expires_at'])
        .where('id', '=', sessionId)
        .executeTakeFirst();
      if (!row) return null;
      const expired = row.state === 'open' && new Date(row.expires_at).getTime() <= now().getTime();
      return {
        sessionId: row.id,
        accountId: row.account_id,
        invoiceNumber: row.invoice_number,
        state: expired ? 'expired' : row.state,
        amountCents: row.amount_cents,
        currency: row.currency.trim(),
        invoice: await deps.billing.invoice(row.account_id, row.invoice_number),
      };
    },

    /** A session as the sandbox checkout page shows it (sandbox mode only). */
    async sandboxSession(sessionId: string): Promise<SandboxSessionView | null> {
      const row = await db
        .selectFrom('checkout_sessions')
        .innerJoin('accounts', 'accounts.id', 'checkout_sessions.account_id')
        .select([
          'checkout_sessions.id',
          'checkout_sessions.account_id',
          'accounts.name as account_name',
          'checkout_sessions.invoice_number',
          'checkout_sessions.amount_cents',
          'checkout_sessions.currency',
          'checkout_sessions.state',
          'checkout_sessions.expires_at',
          'checkout_sessions.created_at',
        ])
        .where('checkout_sessions.id', '=', sessionId)
        .where('checkout_sessions.processor', '=', 'sandbox')
        .executeTakeFirst();
      if (!row) return null;
      return {
        id: row.id,
        accountId: row.account_id,
        accountName: row.account_name,
        invoiceNumber: row.invoice_number,
        amountCents: row.amount_cents,
        currency: row.currency.trim(),
        state: row.state,
        expiresAt: new Date(row.expires_at),
        createdAt: new Date(row.created_at),
      };
    },

    /** Verifies a webhook on its raw bytes (Stripe's default tolerance) and processes it exactly once. */
    async handleWebhook(rawBody: Buffer, signature: string | string[] | undefined): Promise<ProcessResult> {
      if (typeof signature !== 'string' || signature.length === 0) throw new WebhookSignatureError('Missing Stripe-Signature header');
      let event: Stripe.Event;
      try {
        event = Stripe.webhooks.constructEvent(rawBody, signature, config.STRIPE_WEBHOOK_SECRET);
      } catch (err) {
        // The SDK's error carries the payload: keep only its message.
        const reason = err instanceof Error ? err.message : 'verification failed';
        throw new WebhookSignatureError(`Invalid Stripe signature: ${reason.split('\n')[0]}`);
      }
      return service.processEvent({ id: event.id, type: event.type, created: event.created, object: event.data.object }, 'webhook');
    },

    /** The one exactly-once path (webhooks and reconciliation); publishes after commit. */
    async processEvent(event: ProcessorEvent, source: 'webhook' | 'reconcile'): Promise<ProcessResult> {
      const result = await processEvent({ db, today: () => deps.clock.today(), faults: deps.faults }, event, source);
      if (result.outcome === 'applied' && result.accountId && result.invoiceNumber) {
        bus.publish({
          type: 'invoice_payment',
          accountId: result.accountId,
          invoiceNumber: result.invoiceNumber,
          paymentNumber: result.paymentNumber ?? null,
          at: now().toISOString(),
        });
      }
      return result;
    },

    processor,
  };
  return service;
}
