import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { z } from 'zod';
import { createCreditMemo, recordPayment } from '../billing/ledger.js';
import type { CheckoutSessionsTable, DB } from '../db/schema.js';
import { recordEvent } from '../eventlog/store.js';
import { clientReference } from './processor.js';

/**
 * Applying processor events exactly once.
 *
 * One transaction per event: (1) insert the event row keyed by event id, `on conflict do
 * nothing` (a duplicate, or a concurrent delivery that waits on the first one's row and then sees
 * it, is a no-op); (2) lock our checkout session row (`for update`), so two different events for
 * one session (completed and async_payment_succeeded, or reconciliation and a late webhook)
 * serialise; (3) check the event against what we created; (4) record the payment with
 * `processor_ref` = PaymentIntent id (unique), allocate it to the invoice up to its current amount
 * due, turn any excess into an unapplied credit memo; (5) mark the session paid. A crash anywhere
 * rolls everything back, the event row included, so the redelivery processes it once.
 *
 * Order independence: a session that is paid stays paid (expired or failed after completed are
 * ignored; nothing ever lowers an invoice's paid amount); a paid event always wins, even for a
 * session we considered expired, because the processor has taken the money.
 */

export const HANDLED_EVENT_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
] as const;
export type HandledEventType = (typeof HANDLED_EVENT_TYPES)[number];

/** The fields of a Checkout Session we rely on (validated: the event is signed, not trusted blindly). */
export const checkoutSessionObject = z.object({
  id: z.string().min(1).max(255),
  object: z.literal('checkout.session'),
  amount_total: z.number().int().nullable(),
  currency: z.string().nullable(),
  client_reference_id: z.string().nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable(),
  mode: z.string(),
  payment_intent: z.union([z.string(), z.object({ id: z.string() })]).nullable().optional(),
  payment_status: z.enum(['paid', 'unpaid', 'no_payment_required']),
  status: z.enum(['open', 'complete', 'expired']).nullable(),
});
export type CheckoutSessionObject = z.infer<typeof checkoutSessionObject>;

/** The envelope of a processor event (a verified Stripe event, or one synthesised by reconciliation). */
export interface ProcessorEvent {
  id: string;
  type: string;
  /** Seconds since epoch. */
  created: number;
  object: unknown;
}

export type ProcessOutcome =
  /** A payment was recorded. */
  | 'applied'
  /** This event id was processed before. */
  | 'duplicate'
  /** Another event (or reconciliation) already recorded this session's payment. */
  | 'already_applied'
  /** The session moved to processing, failed or expired. */
  | 'state_changed'
  /** Valid, but nothing to do (an event type we do not handle, or an out-of-order event). */
  | 'ignored'
  /** Did not match what we created: nothing written but the event row and an alert. */
  | 'rejected';

export interface ProcessResult {
  outcome: ProcessOutcome;
  eventId: string;
  eventType: string;
  reason?: string;
  /** Stable alert name when the event was rejected (logged at error level, stored in payment_alerts). */
  alert?: string;
  sessionId?: string;
  accountId?: string;
  invoiceNumber?: string;
  state?: string;
  paymentNumber?: string;
  creditMemoNumber?: string;
  allocatedCents?: bigint;
  creditCents?: bigint;
}

/** Points where a test can make processing fail, to prove a crash leaves nothing half-done. */
export type FaultStep = 'after_event_recorded' | 'after_payment_recorded' | 'after_credit_recorded' | 'before_session_update' | 'after_commit';
export type FaultHook = (step: FaultStep, ctx: { eventId: string }) => void | Promise<void>;

export const ALERT_UNKNOWN_SESSION = 'payment_event_unknown_session';
export const ALERT_MISMATCH = 'payment_event_mismatch';
export const ALERT_MALFORMED = 'payment_event_malformed';

type SessionRow = Selectable<CheckoutSessionsTable>;

/** What the event says against what we created; null when they agree. */
export function mismatch(row: SessionRow, s: CheckoutSessionObject): string | null {
  const meta = s.metadata ?? {};
  if (meta['accountId'] !== row.account_id) return 'account_mismatch';
  if (meta['invoiceNumber'] !== row.invoice_number) return 'invoice_mismatch';
  if (s.client_reference_id != null && s.client_reference_id !== clientReference(row.account_id, row.invoice_number)) return 'account_mismatch';
  if ((s.currency ?? '').toUpperCase() !== row.currency.trim().toUpperCase()) return 'currency_mismatch';
  if (meta['amountCents'] !== row.amount_cents.toString()) return 'amount_mismatch';
  if (s.amount_total === null || BigInt(s.amount_total) !== row.amount_cents) return 'amount_mismatch';
  if (s.mode !== 'payment') return 'mode_mismatch';
  return null;
}

const paymentIntentId = (s: CheckoutSessionObject): string | null =>
  s.payment_intent == null ? null : typeof s.payment_intent === 'string' ? s.payment_intent : s.payment_intent.id;

export interface ProcessDeps {
  db: Kysely<DB>;
  /** Today's date in the billing time zone (the payment's received date). */
  today: () => string;
  faults?: FaultHook | undefined;
}

/** One event on its way through its transaction. */
interface EventRun {
  event: ProcessorEvent;
  source: 'webhook' | 'reconcile';
  base: { eventId: string; eventType: string };
  sessionId: string | null;
  fault: (step: FaultStep) => Promise<void>;
  today: () => string;
}

/** The result fields of an event matched to one of our sessions. */
type SessionResult = EventRun['base'] & { sessionId: string; accountId: string; invoiceNumber: string };

/** Stores the outcome on the event row and returns the result. */
async function finish(trx: Transaction<DB>, run: EventRun, r: ProcessResult, paymentId: bigint | null = null): Promise<ProcessResult> {
  await trx
    .updateTable('stripe_events')
    .set({ outcome: r.outcome, reason: r.reason ?? null, account_id: r.accountId ?? null, payment_id: paymentId })
    .where('id', '=', run.event.id)
    .execute();
  return r;
}

/** Nothing written but the event row and an alert (payment_alerts). */
async function reject(
  trx: Transaction<DB>,
  run: EventRun,
  alert: string,
  reason: string,
  details: Record<string, unknown>,
  accountId?: string,
): Promise<ProcessResult> {
  const { event, source, sessionId } = run;
  const row = await trx
    .insertInto('payment_alerts')
    .values({ alert, event_id: event.id, session_id: sessionId, account_id: accountId ?? null, details: JSON.stringify({ reason, eventType: event.type, source, ...details }) })
    .returning('id')
    .executeTakeFirstOrThrow();
  await recordEvent(trx, { type: 'alert.raised', accountId: accountId ?? null, payload: { alertId: row.id.toString(), alert, reason, processorEventId: event.id, checkoutSessionId: sessionId } });
  return finish(trx, run, { ...run.base, outcome: 'rejected', alert, reason, ...(sessionId ? { sessionId } : {}), ...(accountId ? { accountId } : {}) });
}

/** The alert's details of a mismatch: what we created against what the event says. */
function mismatchDetails(row: SessionRow, s: CheckoutSessionObject): Record<string, unknown> {
  return {
    expected: { accountId: row.account_id, invoiceNumber: row.invoice_number, amountCents: row.amount_cents.toString(), currency: row.currency.trim() },
    received: {
      accountId: s.metadata?.['accountId'] ?? null,
      invoiceNumber: s.metadata?.['invoiceNumber'] ?? null,
      amountTotal: s.amount_total,
      metadataAmountCents: s.metadata?.['amountCents'] ?? null,
      currency: s.currency,
    },
  };
}

/** Moves an unpaid session to `state` when it is in one of the `from` states; otherwise ignores the event. */
async function setSessionState(
  trx: Transaction<DB>,
  run: EventRun,
  row: SessionRow,
  ctx: SessionResult,
  state: 'processing' | 'failed' | 'expired',
  from: ReadonlyArray<SessionRow['state']>,
): Promise<ProcessResult> {
  if (!from.includes(row.state)) return finish(trx, run, { ...ctx, outcome: 'ignored', reason: `session_${row.state}`, state: row.state });
  await trx.updateTable('checkout_sessions').set({ state, updated_at: sql`now()` }).where('id', '=', row.id).execute();
  return finish(trx, run, { ...ctx, outcome: 'state_changed', state });
}

/** Step (4) and (5): the payment, allocated up to the invoice's amount due now, any excess as a credit memo; the session paid. */
async function applyPaid(trx: Transaction<DB>, run: EventRun, row: SessionRow, s: CheckoutSessionObject, ctx: SessionResult): Promise<ProcessResult> {
  if (row.payment_id !== null) return finish(trx, run, { ...ctx, outcome: 'already_applied', state: row.state });
  const inv = await trx.selectFrom('invoices').select(['amount_due_cents', 'voided_at']).where('id', '=', row.invoice_id).forUpdate().executeTakeFirstOrThrow();
  const amount = row.amount_cents;
  const due = inv.voided_at || inv.amount_due_cents < 0n ? 0n : inv.amount_due_cents;
  const allocate = amount < due ? amount : due;
  const currency = row.currency.trim();
  const pi = paymentIntentId(s);
  const today = run.today();
  const pay = await recordPayment(trx, row.account_id, {
    receivedOn: today,
    amountCents: amount,
    currency,
    method: row.processor === 'stripe' ? 'Stripe Checkout' : 'Sandbox checkout (no real payment)',
    processorRef: pi ?? row.id,
    allocations: allocate > 0n ? [{ invoiceNumber: row.invoice_number, amountCents: allocate }] : [],
  });
  await recordEvent(trx, {
    type: 'payment.completed',
    accountId: row.account_id,
    payload: { paymentNumber: pay.number, invoiceNumber: row.invoice_number, amountCents: amount, allocatedCents: allocate, creditCents: amount - allocate, currency, receivedOn: today },
  });
  await run.fault('after_payment_recorded');
  let credit: { number: string } | null = null;
  if (amount > allocate) {
    credit = await createCreditMemo(trx, row.account_id, {
      issuedOn: today,
      amountCents: amount - allocate,
      currency,
      reason:
        allocate > 0n
          ? `Overpayment: ${pay.number} exceeded the amount due on ${row.invoice_number}`
          : `Payment ${pay.number} for ${row.invoice_number}, which had nothing due`,
    });
    await recordEvent(trx, { type: 'credit_memo.created', accountId: row.account_id, payload: { creditMemoNumber: credit.number, amountCents: amount - allocate, currency, issuedOn: today, paymentNumber: pay.number, invoiceNumber: row.invoice_number } });
    await run.fault('after_credit_recorded');
  }
  await run.fault('before_session_update');
  await trx
    .updateTable('checkout_sessions')
    .set({ state: 'paid', payment_id: pay.id, payment_intent: pi, updated_at: sql`now()` })
    .where('id', '=', row.id)
    .execute();
  const applied: ProcessResult = {
    ...ctx,
    outcome: 'applied',
    state: 'paid',
    paymentNumber: pay.number,
    allocatedCents: allocate,
    creditCents: amount - allocate,
    ...(credit ? { creditMemoNumber: credit.number } : {}),
  };
  return finish(trx, run, applied, pay.id);
}

/** Steps (1) to (5) inside the event's transaction. */
async function applyEvent(
  trx: Transaction<DB>,
  run: EventRun,
  type: HandledEventType,
  parsed: ReturnType<typeof checkoutSessionObject.safeParse>,
): Promise<ProcessResult> {
  const { event, sessionId } = run;
  const inserted = await trx
    .insertInto('stripe_events')
    .values({
      id: event.id,
      type: event.type,
      source: run.source,
      session_id: sessionId,
      outcome: 'processing',
      event_created_at: Number.isFinite(event.created) ? new Date(event.created * 1000) : null,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return { ...run.base, outcome: 'duplicate', ...(sessionId ? { sessionId } : {}) };
  await run.fault('after_event_recorded');

  if (!parsed.success) return reject(trx, run, ALERT_MALFORMED, 'malformed_session', { issues: parsed.error.issues.map((i) => i.path.join('.')).slice(0, 10) });
  const s = parsed.data;
  const row = await trx.selectFrom('checkout_sessions').selectAll().where('id', '=', s.id).forUpdate().executeTakeFirst();
  // Unknown accounts are not stored as the alert's account (it may not exist): only in details.
  if (!row) {
    return reject(trx, run, ALERT_UNKNOWN_SESSION, 'unknown_session', { claimedAccountId: s.metadata?.['accountId'] ?? null, claimedInvoice: s.metadata?.['invoiceNumber'] ?? null });
  }
  const wrong = mismatch(row, s);
  if (wrong) return reject(trx, run, ALERT_MISMATCH, wrong, mismatchDetails(row, s), row.account_id);
  const ctx: SessionResult = { ...run.base, sessionId: row.id, accountId: row.account_id, invoiceNumber: row.invoice_number };

  const paid = type === 'checkout.session.async_payment_succeeded' || (type === 'checkout.session.completed' && s.payment_status === 'paid');
  if (paid) return applyPaid(trx, run, row, s, ctx);
  if (type === 'checkout.session.completed') return setSessionState(trx, run, row, ctx, 'processing', ['open', 'expired']);
  if (type === 'checkout.session.async_payment_failed') return setSessionState(trx, run, row, ctx, 'failed', ['open', 'processing']);
  return setSessionState(trx, run, row, ctx, 'expired', ['open']);
}

export async function processEvent(deps: ProcessDeps, event: ProcessorEvent, source: 'webhook' | 'reconcile'): Promise<ProcessResult> {
  const base = { eventId: event.id, eventType: event.type };
  if (!(HANDLED_EVENT_TYPES as readonly string[]).includes(event.type)) return { ...base, outcome: 'ignored', reason: 'unhandled_event_type' };
  const type = event.type as HandledEventType;
  const parsed = checkoutSessionObject.safeParse(event.object);
  const sessionId = parsed.success ? parsed.data.id : typeof (event.object as { id?: unknown })?.id === 'string' ? (event.object as { id: string }).id : null;
  const run: EventRun = {
    event,
    source,
    base,
    sessionId,
    fault: async (step) => deps.faults?.(step, { eventId: event.id }),
    today: deps.today,
  };
  const result = await deps.db.transaction().execute((trx) => applyEvent(trx, run, type, parsed));
  await run.fault('after_commit');
  return result;
}

/** Marks a session expired in our table when it is still open (a newer session replaced it). */
export async function markExpired(db: Kysely<DB> | Transaction<DB>, sessionId: string): Promise<void> {
  await db.updateTable('checkout_sessions').set({ state: 'expired', updated_at: sql`now()` }).where('id', '=', sessionId).where('state', '=', 'open').execute();
}
