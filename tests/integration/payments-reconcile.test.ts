import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearBillingData } from '../../src/billing/fixture.js';
import { reconcileCheckoutSessions } from '../../src/payments/reconcile.js';
import {
  countRows,
  createPaymentsTestApp,
  deliver,
  expectOutcome,
  invoiceRow,
  newInvoice,
  paidSession,
  paymentsFor,
  payToken,
  pressPay,
  stripeEvent,
  STRIPE_ENV,
  type PaymentsTestApp,
} from '../helpers/payments.js';
import { createStripeMock, letters, type MockSession } from '../helpers/stripe-msw.js';

/** `payments:reconcile`: completed sessions from Stripe, missed webhooks applied once. */

const stripe = createStripeMock();
const server = setupServer(...stripe.handlers);
const DAY = 86_400;

describe('reconciliation', () => {
  let t: PaymentsTestApp;
  const reconcile = (days: number) =>
    reconcileCheckoutSessions({ db: t.database.db, payments: t.app.services.payments, now: () => new Date() }, { days });

  beforeAll(async () => {
    server.listen({ onUnhandledRequest: 'error' });
    t = await createPaymentsTestApp({ env: STRIPE_ENV });
  });
  afterAll(async () => {
    await t.close();
    server.close();
  });

  async function openSession(cents: bigint): Promise<{ number: string; session: MockSession }> {
    const number = await newInvoice(t, 'R10042', cents);
    const res = await pressPay(t, payToken(t, number));
    expect(res.statusCode).toBe(303);
    return { number, session: stripe.sessions.get(String(res.headers.location).split('/').pop()!)! };
  }

  it('applies a missed event once, ignores applied, open, foreign and old sessions, and alerts on an unknown one of ours', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    // A: paid, webhook delivered. B: paid, webhook missed. C: still open. D: paid, delayed method pending.
    const a = await openSession(10_100n);
    const b = await openSession(20_200n);
    const c = await openSession(30_300n);
    const d = await openSession(40_400n);
    const aObj = stripe.complete(a.session.id);
    expectOutcome(await deliver(t.app, stripeEvent('checkout.session.completed', aObj)), 'applied');
    const bObj = stripe.complete(b.session.id);
    stripe.complete(d.session.id, { paid: false });
    // 105 sessions of another integration on the same Stripe account (more than one page of 100).
    for (let i = 0; i < 105; i++) stripe.add(paidSession({ id: `cs_test_${letters(30)}`, amount_total: 999, created: nowSec - i }));
    // A completed session carrying our metadata that we never recorded: money we cannot place.
    const ghost = paidSession({ id: `cs_test_${letters(30)}`, amount_total: 5_000, created: nowSec - 60, metadata: { accountId: 'R10042', invoiceNumber: c.number, amountCents: '5000' } });
    stripe.add(ghost);
    // Our session, missed, but older than the window.
    const old = await openSession(50_500n);
    stripe.complete(old.session.id);
    stripe.sessions.get(old.session.id)!.created = nowSec - 10 * DAY;

    const startedAt = Math.floor(Date.now() / 1000);
    const first = await reconcile(3);
    const endedAt = Math.ceil(Date.now() / 1000);
    const listCalls = stripe.requests.filter((r) => r.method === 'GET' && r.path === '/v1/checkout/sessions');
    expect(listCalls.length).toBe(2); // auto-pagination: 110 sessions, 100 a page
    expect(Number(listCalls[0]!.query.get('created[gte]'))).toBeGreaterThanOrEqual(startedAt - 3 * DAY);
    expect(Number(listCalls[0]!.query.get('created[gte]'))).toBeLessThanOrEqual(endedAt - 3 * DAY);
    expect(listCalls[0]!.query.get('status')).toBe('complete');
    expect(listCalls[1]!.query.get('starting_after')).toBeTruthy();
    expect(first).toMatchObject({ scanned: 109, applied: 1, alreadyApplied: 1, notPaid: 1, foreign: 105, rejected: 1 });
    expect(first.items.find((i) => i.sessionId === b.session.id)).toMatchObject({ outcome: 'applied', invoiceNumber: b.number });
    expect(first.items.find((i) => i.sessionId === ghost.id)).toMatchObject({ outcome: 'rejected', reason: 'unknown_session', alert: 'payment_event_unknown_session' });
    expect(await invoiceRow(t, b.number)).toMatchObject({ paid_cents: 20_200n, amount_due_cents: 0n });
    expect(await paymentsFor(t, b.number)).toStrictEqual([expect.objectContaining({ amount_cents: 20_200n, processor_ref: bObj.payment_intent })]);
    expect((await invoiceRow(t, old.number)).paid_cents).toBe(0n);
    expect((await invoiceRow(t, c.number)).paid_cents).toBe(0n);
    expect((await invoiceRow(t, d.number)).paid_cents).toBe(0n);
    const ev = await t.database.db.selectFrom('stripe_events').select(['id', 'source', 'outcome']).where('session_id', '=', b.session.id).execute();
    expect(ev).toStrictEqual([{ id: `reconcile_${b.session.id}`, source: 'reconcile', outcome: 'applied' }]);

    // Again: nothing new applied; the unknown one is still reported.
    const paymentsBefore = await countRows(t, 'payments');
    const alertsBefore = await countRows(t, 'payment_alerts');
    const second = await reconcile(3);
    expect(second).toMatchObject({ applied: 0, alreadyApplied: 2, rejected: 1 });
    expect(await countRows(t, 'payments')).toBe(paymentsBefore);
    expect(await countRows(t, 'payment_alerts')).toBe(alertsBefore);

    // The missed webhook finally arrives: a no-op.
    expectOutcome(await deliver(t.app, stripeEvent('checkout.session.completed', bObj)), 'already_applied');
    expect(await paymentsFor(t, b.number)).toHaveLength(1);
    expect((await invoiceRow(t, b.number)).paid_cents).toBe(20_200n);

    // A wider window picks up the old one, once.
    const wide = await reconcile(30);
    expect(wide.applied).toBe(1);
    expect(await invoiceRow(t, old.number)).toMatchObject({ amount_due_cents: 0n });
  });

  it('clearBillingData (db:seed --reset) clears the payment tables too (their foreign keys cascade)', async () => {
    for (const table of ['checkout_sessions', 'stripe_events', 'payment_alerts'] as const) expect(await countRows(t, table), table).toBeGreaterThan(0);
    await clearBillingData(t.database.db);
    for (const table of ['checkout_sessions', 'stripe_events', 'payment_alerts', 'payments'] as const) expect(await countRows(t, table), table).toBe(0);
  });
});
