import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { checkoutSessionObject, type ProcessResult } from './processing.js';
import type { PaymentsService } from './service.js';

/**
 * Reconciliation: asks the processor for the Checkout Sessions completed in the last N days and
 * applies any whose webhook we missed, through the same exactly-once path as the webhook. The
 * synthesised event is keyed by the session (`reconcile_<session id>`), so running it again is a
 * no-op, and the real webhook arriving later finds the session paid and is a no-op too.
 */

export interface ReconcileItem {
  sessionId: string;
  outcome: 'applied' | 'already_applied' | 'not_paid' | 'foreign' | 'rejected' | 'malformed' | ProcessResult['outcome'];
  reason?: string;
  alert?: string;
  invoiceNumber?: string;
  paymentNumber?: string;
}

export interface ReconcileSummary {
  since: string;
  scanned: number;
  applied: number;
  alreadyApplied: number;
  /** Completed but not paid yet (a delayed payment method): its async_payment_* webhook will settle it. */
  notPaid: number;
  /** Sessions without our metadata (another integration on the same Stripe account). */
  foreign: number;
  /** Did not match what we created, or unknown to us although they carry our metadata: alerts. */
  rejected: number;
  items: ReconcileItem[];
}

export const RECONCILE_EVENT_PREFIX = 'reconcile_';

export async function reconcileCheckoutSessions(
  deps: { db: Kysely<DB>; payments: Pick<PaymentsService, 'processor' | 'processEvent'>; now: () => Date },
  opts: { days: number },
): Promise<ReconcileSummary> {
  const nowSec = Math.floor(deps.now().getTime() / 1000);
  const since = nowSec - Math.round(opts.days * 86_400);
  const summary: ReconcileSummary = {
    since: new Date(since * 1000).toISOString(),
    scanned: 0,
    applied: 0,
    alreadyApplied: 0,
    notPaid: 0,
    foreign: 0,
    rejected: 0,
    items: [],
  };
  for await (const raw of deps.payments.processor.listCompletedSessions(since)) {
    summary.scanned++;
    const parsed = checkoutSessionObject.safeParse(raw);
    const rawId = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : '(no id)';
    if (!parsed.success) {
      summary.rejected++;
      summary.items.push({ sessionId: rawId, outcome: 'malformed' });
      continue;
    }
    const s = parsed.data;
    if (!s.metadata?.['accountId'] || !s.metadata?.['invoiceNumber']) {
      summary.foreign++;
      summary.items.push({ sessionId: s.id, outcome: 'foreign' });
      continue;
    }
    if (s.payment_status !== 'paid') {
      summary.notPaid++;
      summary.items.push({ sessionId: s.id, outcome: 'not_paid' });
      continue;
    }
    const known = await deps.db.selectFrom('checkout_sessions').select(['payment_id']).where('id', '=', s.id).executeTakeFirst();
    if (known?.payment_id) {
      summary.alreadyApplied++;
      summary.items.push({ sessionId: s.id, outcome: 'already_applied' });
      continue;
    }
    // Unknown sessions that carry our metadata go through too: they are rejected and raise an alert.
    const r = await deps.payments.processEvent(
      { id: `${RECONCILE_EVENT_PREFIX}${s.id}`, type: 'checkout.session.completed', created: nowSec, object: raw },
      'reconcile',
    );
    let outcome: ReconcileItem['outcome'] = r.outcome;
    let reason = r.reason;
    if (r.outcome === 'duplicate') {
      // Reconciled before: an event rejected then is still an open problem (until an operator resolves it).
      const prior = await deps.db.selectFrom('stripe_events').select(['outcome', 'reason']).where('id', '=', r.eventId).executeTakeFirst();
      outcome = prior?.outcome === 'rejected' ? 'rejected' : 'already_applied';
      reason = prior?.reason ?? undefined;
    }
    if (outcome === 'applied') summary.applied++;
    else if (outcome === 'rejected') summary.rejected++;
    else if (outcome === 'already_applied') summary.alreadyApplied++;
    summary.items.push({
      sessionId: s.id,
      outcome,
      ...(reason ? { reason } : {}),
      ...(r.alert ? { alert: r.alert } : {}),
      ...(r.invoiceNumber ? { invoiceNumber: r.invoiceNumber } : {}),
      ...(r.paymentNumber ? { paymentNumber: r.paymentNumber } : {}),
    });
  }
  return summary;
}
