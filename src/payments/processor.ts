import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import { t } from '../i18n/index.js';
import type { Locale } from '../i18n/locales.js';

/** Stripe Checkout's locale for ours (Stripe has fr-CA, and 'en' for English). */
export const stripeLocale = (locale: Locale): 'fr-CA' | 'en' => (locale === 'fr-CA' ? 'fr-CA' : 'en');

/**
 * The payment processor behind the Pay button: Stripe Checkout, or (without STRIPE_SECRET_KEY,
 * development only) the built-in sandbox. Both hand out hosted pages; neither ever puts a card
 * field on our pages.
 */

export interface NewCheckoutSession {
  accountId: string;
  accountName: string;
  invoiceNumber: string;
  amountCents: bigint;
  /** ISO code, upper case (ours); sent to Stripe in lower case. */
  currency: string;
  /** Seconds since epoch. */
  expiresAt: number;
  successUrl: string;
  cancelUrl: string;
  /** The pay page's language: Stripe Checkout's `locale` and the line item's words. */
  locale: Locale;
  /** Same key, same parameters → the same session (Stripe idempotency; the sandbox derives the id from it). */
  idempotencyKey: string;
}

export interface CreatedCheckoutSession {
  id: string;
  url: string;
  /** Seconds since epoch. */
  expiresAt: number;
}

export interface CheckoutProcessor {
  readonly kind: 'stripe' | 'sandbox';
  createSession(input: NewCheckoutSession): Promise<CreatedCheckoutSession>;
  /** Expires an open session so it can no longer be paid (a newer one replaces it). */
  expireSession(sessionId: string): Promise<void>;
  /** Completed Checkout Sessions created at or after `since` (seconds since epoch), every page. */
  listCompletedSessions(since: number): AsyncIterable<unknown>;
}

/** The metadata we put on every session (and its PaymentIntent), checked on every event. */
export function sessionMetadata(i: { accountId: string; invoiceNumber: string; amountCents: bigint }): Record<string, string> {
  return { accountId: i.accountId, invoiceNumber: i.invoiceNumber, amountCents: i.amountCents.toString() };
}

/** `client_reference_id` (Stripe allows letters, digits, dashes and underscores). */
export function clientReference(accountId: string, invoiceNumber: string): string {
  return `${accountId}-${invoiceNumber}`;
}

export function createStripeProcessor(opts: { secretKey: string; maxNetworkRetries: number; timeoutMs?: number }): CheckoutProcessor {
  const stripe = new Stripe(opts.secretKey, {
    maxNetworkRetries: opts.maxNetworkRetries,
    timeout: opts.timeoutMs ?? 20_000,
    appInfo: { name: 'billing-assistant' },
  });
  return {
    kind: 'stripe',
    async createSession(i) {
      const metadata = sessionMetadata(i);
      const session = await stripe.checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: i.currency.toLowerCase(),
                unit_amount: Number(i.amountCents),
                product_data: {
                  name: t(i.locale, 'pay.checkout.product', { number: i.invoiceNumber }),
                  description: t(i.locale, 'pay.checkout.description', { name: i.accountName, account: i.accountId }),
                },
              },
            },
          ],
          metadata,
          payment_intent_data: { metadata, description: `Invoice ${i.invoiceNumber} (${i.accountId})` },
          client_reference_id: clientReference(i.accountId, i.invoiceNumber),
          expires_at: i.expiresAt,
          success_url: i.successUrl,
          cancel_url: i.cancelUrl,
          submit_type: 'pay',
          locale: stripeLocale(i.locale),
        },
        { idempotencyKey: i.idempotencyKey },
      );
      if (!session.url) throw new Error(`Stripe returned Checkout Session ${session.id} without a URL`);
      return { id: session.id, url: session.url, expiresAt: session.expires_at };
    },
    async expireSession(sessionId) {
      await stripe.checkout.sessions.expire(sessionId);
    },
    async *listCompletedSessions(since) {
      // Auto-pagination: the SDK follows `has_more` with `starting_after`.
      for await (const s of stripe.checkout.sessions.list({ created: { gte: since }, status: 'complete', limit: 100 })) yield s;
    },
  };
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** An unguessable alphanumeric id derived from a secret and a key (deterministic: idempotent). */
export function derivedId(prefix: string, secret: string, key: string, length = 40): string {
  const mac = createHmac('sha256', secret).update(key).digest();
  const more = createHmac('sha256', secret).update(`${key}#2`).digest();
  const bytes = Buffer.concat([mac, more]);
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[bytes[i]! % ALNUM.length];
  return `${prefix}${out}`;
}

/**
 * The sandbox processor (development only; production refuses to start without Stripe). Its
 * "hosted page" is `/sandbox/checkout/:id` on this server; the session id is derived from the
 * idempotency key, so a double click gets the same session, as with Stripe. Its events are
 * delivered by the sandbox page itself (see `sandbox.ts`), so there is nothing to reconcile.
 */
export function createSandboxProcessor(opts: { secret: string }): CheckoutProcessor {
  return {
    kind: 'sandbox',
    async createSession(i) {
      const id = derivedId('cs_sandbox_', opts.secret, i.idempotencyKey);
      // Relative: the sandbox is served by whichever host the reseller reached us on.
      return { id, url: `/sandbox/checkout/${id}`, expiresAt: i.expiresAt };
    },
    async expireSession() {
      // Nothing remote: the caller marks the session expired in our table.
    },
    async *listCompletedSessions() {
      // The sandbox delivers its events in-process; it keeps no list of its own.
    },
  };
}
