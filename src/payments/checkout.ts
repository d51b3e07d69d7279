import type { Kysely } from 'kysely';
import type { InvoiceDetail } from '../billing/queries.js';
import type { DB } from '../db/schema.js';
import type { PaymentsContext } from './context.js';
import { DEFAULT_LOCALE, type Locale } from '../i18n/locales.js';
import { CheckoutUnavailableError } from './errors.js';
import { markExpired } from './processing.js';

/**
 * The Pay button: a Checkout Session for the invoice's amount due read from the database now
 * (never from the link or the page). An open session for the same amount and language is reused; a
 * payment already under way is not started twice; a new session supersedes older open ones.
 */

/** Time buckets of the idempotency key: within one, the same invoice and amount get the same session. */
export const IDEMPOTENCY_BUCKET_SECONDS = 600;
/** An open session is reused only if it stays valid at least this long. */
export const REUSE_MARGIN_SECONDS = 5 * 60;

export type CheckoutStart =
  | { kind: 'redirect'; url: string; sessionId: string; reused: boolean }
  | { kind: 'not_found' }
  | { kind: 'not_payable'; reason: 'paid' | 'void' | 'nothing_due'; invoice: InvoiceDetail }
  | { kind: 'processing'; invoice: InvoiceDetail };

/** From the verified pay link. */
export interface CheckoutClaims {
  accountId: string;
  invoiceNumber: string;
  /** The pay page's language: the processor's page and our return page speak it (default en-CA). */
  locale?: Locale;
}

/** Where Checkout sends the reseller back ({CHECKOUT_SESSION_ID} is filled in by the processor). */
export interface CheckoutUrls {
  success: string;
  cancel: string;
}

export interface CheckoutContext extends PaymentsContext {
  urls: CheckoutUrls;
  ttlSeconds: number;
  /** One processor call per key at a time in this process (a double click); other replicas rely on the idempotency key. */
  inflight: Map<string, Promise<CheckoutStart>>;
}

export function checkoutUrls(publicBaseUrl: string): CheckoutUrls {
  const success = `${publicBaseUrl}/pay/return?session_id={CHECKOUT_SESSION_ID}`;
  return { success, cancel: `${success}&cancelled=1` };
}

async function payableInvoice(db: Kysely<DB>, accountId: string, invoiceNumber: string) {
  return db
    .selectFrom('invoices')
    .innerJoin('accounts', 'accounts.id', 'invoices.account_id')
    .select(['invoices.id', 'invoices.number', 'invoices.currency', 'invoices.amount_due_cents', 'invoices.voided_at', 'accounts.name as account_name'])
    .where('invoices.account_id', '=', accountId)
    .where('invoices.number', '=', invoiceNumber)
    .executeTakeFirst();
}
type PayableInvoice = NonNullable<Awaited<ReturnType<typeof payableInvoice>>>;

/** The invoice's checkout sessions, newest first. */
async function invoiceSessions(db: Kysely<DB>, invoiceId: bigint) {
  return db
    .selectFrom('checkout_sessions')
    .select(['id', 'url', 'state', 'amount_cents', 'currency', 'expires_at', 'idempotency_key'])
    .where('invoice_id', '=', invoiceId)
    .orderBy('created_at', 'desc')
    .execute();
}
type SessionRow = Awaited<ReturnType<typeof invoiceSessions>>[number];

async function invoiceDetail(ctx: PaymentsContext, accountId: string, invoiceNumber: string): Promise<InvoiceDetail> {
  const d = await ctx.billing.invoice(accountId, invoiceNumber);
  if (!d) throw new Error(`invoice ${invoiceNumber} vanished`);
  return d;
}

/** The idempotency key's ending that names the page language ('' for en-CA, so older keys read as English). */
const localeSuffix = (locale: Locale) => (locale === DEFAULT_LOCALE ? '' : `-${locale}`);

/** The language a stored session was created in, read back from its key. */
const sessionLocale = (s: SessionRow): Locale => (s.idempotency_key?.endsWith(localeSuffix('fr-CA')) ? 'fr-CA' : DEFAULT_LOCALE);

function reusableSession(sessions: SessionRow[], inv: PayableInvoice, nowMs: number, locale: Locale): SessionRow | undefined {
  const currency = inv.currency.trim();
  return sessions.find(
    (s) =>
      s.state === 'open' &&
      sessionLocale(s) === locale &&
      s.amount_cents === inv.amount_due_cents &&
      s.currency.trim() === currency &&
      new Date(s.expires_at).getTime() > nowMs + REUSE_MARGIN_SECONDS * 1000,
  );
}

/**
 * Same invoice, amount and time bucket → same key and identical parameters (expiry included),
 * so a retried or concurrent request gets the same session from Stripe.
 */
function idempotency(accountId: string, inv: PayableInvoice, sessions: SessionRow[], nowMs: number, ttlSeconds: number, locale: Locale) {
  const bucket = Math.floor(nowMs / 1000 / IDEMPOTENCY_BUCKET_SECONDS);
  const expiresAt = (bucket + 1) * IDEMPOTENCY_BUCKET_SECONDS + ttlSeconds;
  // Sessions that ended unpaid bump a generation, so a new attempt in the same bucket is a new session.
  const generation = sessions.filter((s) => s.state === 'expired' || s.state === 'failed').length;
  const key = `checkout-${accountId}-${inv.number}-${inv.amount_due_cents}-${inv.currency.trim()}-${bucket}-g${generation}${localeSuffix(locale)}`;
  return { key, expiresAt };
}

/** Older open sessions of this invoice (another amount) must not be paid any more. */
async function expireSuperseded(ctx: PaymentsContext, invoiceId: bigint, currentId: string): Promise<void> {
  const stale = await ctx.db
    .selectFrom('checkout_sessions')
    .select('id')
    .where('invoice_id', '=', invoiceId)
    .where('state', '=', 'open')
    .where('id', '!=', currentId)
    .execute();
  for (const s of stale) {
    try {
      await ctx.processor.expireSession(s.id);
      await markExpired(ctx.db, s.id);
    } catch (err) {
      // It may have just been completed or expired at the processor; its webhook will tell.
      ctx.log?.warn(
        { err: err instanceof Error ? err.message : String(err), sessionId: s.id, alert: 'checkout_session_expire_failed' },
        'could not expire a superseded checkout session',
      );
    }
  }
}

async function createSession(ctx: CheckoutContext, claims: CheckoutClaims, inv: PayableInvoice, key: string, expiresAt: number): Promise<CheckoutStart> {
  const { db, processor } = ctx;
  const currency = inv.currency.trim();
  const locale = claims.locale ?? DEFAULT_LOCALE;
  const withLang = (url: string) => `${url}&lang=${locale}`;
  let created;
  try {
    created = await processor.createSession({
      accountId: claims.accountId,
      accountName: inv.account_name,
      invoiceNumber: inv.number,
      amountCents: inv.amount_due_cents,
      currency,
      expiresAt,
      successUrl: withLang(ctx.urls.success),
      cancelUrl: withLang(ctx.urls.cancel),
      locale,
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
  await expireSuperseded(ctx, inv.id, created.id);
  return { kind: 'redirect', url: created.url, sessionId: created.id, reused: false };
}

export async function startCheckout(ctx: CheckoutContext, claims: CheckoutClaims): Promise<CheckoutStart> {
  const inv = await payableInvoice(ctx.db, claims.accountId, claims.invoiceNumber);
  if (!inv) return { kind: 'not_found' };
  if (inv.voided_at) return { kind: 'not_payable', reason: 'void', invoice: await invoiceDetail(ctx, claims.accountId, inv.number) };
  if (inv.amount_due_cents <= 0n) {
    const invoice = await invoiceDetail(ctx, claims.accountId, inv.number);
    return { kind: 'not_payable', reason: invoice.status === 'paid' ? 'paid' : 'nothing_due', invoice };
  }
  const nowMs = ctx.now().getTime();
  const sessions = await invoiceSessions(ctx.db, inv.id);
  // A payment already under way (an asynchronous method) for this amount: do not start a second one.
  if (sessions.some((s) => s.state === 'processing' && s.amount_cents >= inv.amount_due_cents)) {
    return { kind: 'processing', invoice: await invoiceDetail(ctx, claims.accountId, inv.number) };
  }
  const locale = claims.locale ?? DEFAULT_LOCALE;
  const reusable = reusableSession(sessions, inv, nowMs, locale);
  if (reusable) return { kind: 'redirect', url: reusable.url, sessionId: reusable.id, reused: true };

  const { key, expiresAt } = idempotency(claims.accountId, inv, sessions, nowMs, ctx.ttlSeconds, locale);
  const running = ctx.inflight.get(key);
  if (running) return running;
  const p = createSession(ctx, claims, inv, key, expiresAt).finally(() => ctx.inflight.delete(key));
  ctx.inflight.set(key, p);
  return p;
}
