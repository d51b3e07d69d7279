import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultHook, FaultStep } from '../../src/payments/processing.js';
import {
  countRows,
  createPaymentsTestApp,
  deliver,
  expectOutcome,
  invoiceRow,
  ledgerSnapshot,
  newInvoice,
  paidSession,
  paymentsFor,
  payToken,
  pressPay,
  sessionsOf,
  stripeEvent,
  STRIPE_ENV,
  sweepForCardNumbers,
  type PaymentsTestApp,
} from '../helpers/payments.js';
import { createStripeMock, letters, type MockSession } from '../helpers/stripe-msw.js';

/** POST /webhooks/stripe: signature, exactly once, order, mismatches, crashes. */

const stripe = createStripeMock();
const server = setupServer(...stripe.handlers);
let fault: FaultHook | undefined;

describe('Stripe webhook', () => {
  let t: PaymentsTestApp;

  beforeAll(async () => {
    server.listen({ onUnhandledRequest: 'error' });
    t = await createPaymentsTestApp({ env: STRIPE_ENV, payments: { faults: (step, ctx) => fault?.(step, ctx) } });
  });
  afterEach(() => {
    fault = undefined;
  });
  afterAll(async () => {
    await t.close();
    server.close();
  });

  /** A new invoice of `cents`, its Pay button pressed: the Stripe session (open). */
  async function openSession(cents: bigint, accountId = 'R10042'): Promise<{ number: string; session: MockSession }> {
    const number = await newInvoice(t, accountId, cents);
    const res = await pressPay(t, payToken(t, number, accountId));
    expect(res.statusCode, res.body).toBe(303);
    const id = String(res.headers.location).split('/').pop()!;
    return { number, session: stripe.sessions.get(id)! };
  }

  const completed = (s: MockSession, id?: string) => stripeEvent('checkout.session.completed', stripe.complete(s.id), id);

  describe('signature', () => {
    it('one-byte body change, missing header, wrong secret, stale timestamp, garbage header → 400, nothing written', async () => {
      const { number, session } = await openSession(10_000n);
      const event = completed(session);
      const body = JSON.stringify(event);
      const before = await ledgerSnapshot(t);
      const eventsBefore = await countRows(t, 'stripe_events');

      const cases = {
        oneByte: await deliver(t.app, body, { tamper: (b) => b.replace('"amount_total":10000', '"amount_total":10001') }),
        missingHeader: await deliver(t.app, body, { signature: null }),
        wrongSecret: await deliver(t.app, body, { secret: 'whsec_someone_else_0123456789abcdef' }),
        staleTimestamp: await deliver(t.app, body, { timestamp: Math.floor(Date.now() / 1000) - 301 }),
        garbageHeader: await deliver(t.app, body, { signature: 't=1700000000,v1=deadbeef' }),
        emptyHeader: await deliver(t.app, body, { signature: '' }),
      };
      for (const [name, res] of Object.entries(cases)) {
        expect(res.statusCode, `${name}: ${res.body}`).toBe(400);
        expect(res.json<{ error: { code: string } }>().error.code, name).toBe('invalid_signature');
      }
      expect(await ledgerSnapshot(t)).toStrictEqual(before);
      expect(await countRows(t, 'stripe_events')).toBe(eventsBefore);
      expect(t.logs.filter((l) => l.includes('"alert":"stripe_webhook_signature_invalid"')).length).toBeGreaterThanOrEqual(6);

      // Within the tolerance, and the untouched body: accepted.
      expectOutcome(await deliver(t.app, body, { timestamp: Math.floor(Date.now() / 1000) - 250 }), 'applied');
      expect((await invoiceRow(t, number)).amount_due_cents).toBe(0n);
    });

    it('a body that is not JSON is refused (415) before anything runs', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/webhooks/stripe', headers: { 'content-type': 'text/plain', 'stripe-signature': 't=1,v1=x' }, payload: 'hello' });
      expect(res.statusCode).toBe(415);
    });
  });

  describe('exactly once', () => {
    it('one event delivered 3 times in sequence → one payment, invoice paid once', async () => {
      const { number, session } = await openSession(25_000n);
      const event = completed(session);
      const outcomes = [];
      for (let i = 0; i < 3; i++) {
        const res = await deliver(t.app, event);
        expect(res.statusCode).toBe(200);
        outcomes.push(res.json<{ outcome: string }>().outcome);
      }
      expect(outcomes).toStrictEqual(['applied', 'duplicate', 'duplicate']);
      const pays = await paymentsFor(t, number);
      expect(pays).toHaveLength(1);
      expect(pays[0]).toMatchObject({ amount_cents: 25_000n, allocated: 25_000n, processor_ref: event.data.object.payment_intent });
      expect(await invoiceRow(t, number)).toMatchObject({ paid_cents: 25_000n, amount_due_cents: 0n });
      const rows = await sessionsOf(t, number);
      expect(rows[0]).toMatchObject({ state: 'paid', payment_intent: event.data.object.payment_intent });
    });

    it('one event delivered 10 times concurrently → one payment, all answered 200', async () => {
      const { number, session } = await openSession(33_300n);
      const event = completed(session);
      const res = await Promise.all(Array.from({ length: 10 }, () => deliver(t.app, event)));
      expect(res.map((r) => r.statusCode)).toStrictEqual(Array(10).fill(200));
      const outcomes = res.map((r) => r.json<{ outcome: string }>().outcome).sort();
      expect(outcomes).toStrictEqual(['applied', ...Array(9).fill('duplicate')]);
      expect(await paymentsFor(t, number)).toHaveLength(1);
      expect(await invoiceRow(t, number)).toMatchObject({ paid_cents: 33_300n, amount_due_cents: 0n });
      const ev = await t.database.db.selectFrom('stripe_events').select(['outcome']).where('id', '=', event.id).execute();
      expect(ev).toStrictEqual([{ outcome: 'applied' }]);
    });

    it('different events for one session, concurrently (completed + async_payment_succeeded) → one payment', async () => {
      const { number, session } = await openSession(41_000n);
      const obj = stripe.complete(session.id);
      const events = [stripeEvent('checkout.session.completed', obj), stripeEvent('checkout.session.async_payment_succeeded', obj)];
      const res = await Promise.all([...events, ...events].map((e) => deliver(t.app, e)));
      const outcomes = res.map((r) => r.json<{ outcome: string }>().outcome).sort();
      expect(outcomes).toStrictEqual(['already_applied', 'applied', 'duplicate', 'duplicate']);
      expect(await paymentsFor(t, number)).toHaveLength(1);
    });

    it('an event type we do not handle is acknowledged and ignored', async () => {
      const before = await ledgerSnapshot(t);
      const res = await deliver(t.app, stripeEvent('payment_intent.succeeded', { id: `pi_${letters(20)}`, object: 'payment_intent' }));
      expectOutcome(res, 'ignored', 'unhandled_event_type');
      expect(await ledgerSnapshot(t)).toStrictEqual(before);
    });
  });

  describe('order', () => {
    it('expired or async_payment_failed after completed never turn a paid invoice unpaid', async () => {
      const { number, session } = await openSession(12_000n);
      const obj = stripe.complete(session.id);
      expectOutcome(await deliver(t.app, stripeEvent('checkout.session.completed', obj)), 'applied');
      expectOutcome(await deliver(t.app, stripeEvent('checkout.session.expired', { ...obj, status: 'expired', payment_status: 'unpaid' })), 'ignored', 'session_paid');
      expectOutcome(await deliver(t.app, stripeEvent('checkout.session.async_payment_failed', { ...obj, payment_status: 'unpaid' })), 'ignored', 'session_paid');
      expect(await invoiceRow(t, number)).toMatchObject({ paid_cents: 12_000n, amount_due_cents: 0n });
      expect((await sessionsOf(t, number))[0]!.state).toBe('paid');
    });

    it('a delayed payment: completed (unpaid) → processing, then async_payment_succeeded → paid', async () => {
      const { number, session } = await openSession(13_000n);
      const unpaid = stripe.complete(session.id, { paid: false });
      expectOutcome(await deliver(t.app, stripeEvent('checkout.session.completed', unpaid)), 'state_changed');
      expect((await sessionsOf(t, number))[0]!.state).toBe('processing');
      expect((await invoiceRow(t, number)).paid_cents).toBe(0n);
      // While it is processing, Pay does not start a second payment.
      const again = await pressPay(t, payToken(t, number));
      expect(again.statusCode).toBe(409);
      expect(again.body).toContain('is being processed');
      expectOutcome(await deliver(t.app, stripeEvent('checkout.session.async_payment_succeeded', { ...unpaid, payment_status: 'paid' })), 'applied');
      expect(await invoiceRow(t, number)).toMatchObject({ amount_due_cents: 0n });
    });

    it('async_payment_succeeded before completed: paid once; the late completed (unpaid) changes nothing', async () => {
      const { number, session } = await openSession(14_000n);
      const unpaid = stripe.complete(session.id, { paid: false });
      expectOutcome(await deliver(t.app, stripeEvent('checkout.session.async_payment_succeeded', { ...unpaid, payment_status: 'paid' })), 'applied');
      expectOutcome(await deliver(t.app, stripeEvent('checkout.session.completed', unpaid)), 'ignored', 'session_paid');
      expect((await sessionsOf(t, number))[0]!.state).toBe('paid');
      expect(await paymentsFor(t, number)).toHaveLength(1);
    });

    it('a failed delayed payment leaves the invoice unpaid; a paid event after expiry is still recorded (the money was taken)', async () => {
      const a = await openSession(15_000n);
      const unpaid = stripe.complete(a.session.id, { paid: false });
      expectOutcome(await deliver(t.app, stripeEvent('checkout.session.completed', unpaid)), 'state_changed');
      expectOutcome(await deliver(t.app, stripeEvent('checkout.session.async_payment_failed', unpaid)), 'state_changed');
      expect((await sessionsOf(t, a.number))[0]!.state).toBe('failed');
      expect((await invoiceRow(t, a.number)).paid_cents).toBe(0n);

      const b = await openSession(16_000n);
      expectOutcome(await deliver(t.app, stripeEvent('checkout.session.expired', { ...b.session, status: 'expired', url: null })), 'state_changed');
      expect((await sessionsOf(t, b.number))[0]!.state).toBe('expired');
      expectOutcome(await deliver(t.app, completed(b.session)), 'applied');
      expect((await sessionsOf(t, b.number))[0]!.state).toBe('paid');
      expect((await invoiceRow(t, b.number)).amount_due_cents).toBe(0n);
    });
  });

  describe('mismatches are rejected, alerted and never paid', () => {
    it.each([
      ['amount', (s: MockSession) => ({ amount_total: s.amount_total - 1, amount_subtotal: s.amount_total - 1 }), 'amount_mismatch'],
      ['amount in metadata', (s: MockSession) => ({ metadata: { ...s.metadata, amountCents: '1' } }), 'amount_mismatch'],
      ['currency', () => ({ currency: 'usd' }), 'currency_mismatch'],
      ['account', (s: MockSession) => ({ metadata: { ...s.metadata, accountId: 'R20077' }, client_reference_id: `R20077-${s.metadata['invoiceNumber']}` }), 'account_mismatch'],
      ['account (client reference only)', (s: MockSession) => ({ client_reference_id: `R20077-${s.metadata['invoiceNumber']}` }), 'account_mismatch'],
      ['invoice', (s: MockSession) => ({ metadata: { ...s.metadata, invoiceNumber: 'IN7654321' } }), 'invoice_mismatch'],
    ] as const)('%s', async (_name, forge, reason) => {
      const { number, session } = await openSession(17_500n);
      const before = await ledgerSnapshot(t);
      const alertsBefore = await countRows(t, 'payment_alerts');
      const forged = stripeEvent('checkout.session.completed', paidSession(session, forge(session)));
      const res = await deliver(t.app, forged);
      expectOutcome(res, 'rejected', reason);
      expect(await ledgerSnapshot(t)).toStrictEqual(before);
      expect(await countRows(t, 'payment_alerts')).toBe(alertsBefore + 1);
      const alert = await t.database.db.selectFrom('payment_alerts').selectAll().where('event_id', '=', forged.id).executeTakeFirstOrThrow();
      expect(alert).toMatchObject({ alert: 'payment_event_mismatch', session_id: session.id, account_id: 'R10042' });
      expect(alert.details).toMatchObject({ reason });
      const line = t.logs.find((l) => l.includes(forged.id) && l.includes('"alert":"payment_event_mismatch"'));
      expect(line, 'alert log line').toBeDefined();
      expect(JSON.parse(line!)).toMatchObject({ level: 50, alert: 'payment_event_mismatch', reason, sessionId: session.id });
      // Redelivered: still nothing paid, no second alert.
      expectOutcome(await deliver(t.app, forged), 'duplicate');
      expect(await countRows(t, 'payment_alerts')).toBe(alertsBefore + 1);
      // The genuine event for the session is still applied.
      expectOutcome(await deliver(t.app, completed(session)), 'applied');
      expect((await invoiceRow(t, number)).amount_due_cents).toBe(0n);
    });

    it('an unknown session is rejected and alerted', async () => {
      const before = await ledgerSnapshot(t);
      const forged = stripeEvent(
        'checkout.session.completed',
        paidSession({ id: `cs_test_${letters(30)}`, amount_total: 123_456, metadata: { accountId: 'R10042', invoiceNumber: 'IN7654321', amountCents: '123456' } }),
      );
      expectOutcome(await deliver(t.app, forged), 'rejected', 'unknown_session');
      expect(await ledgerSnapshot(t)).toStrictEqual(before);
      const alert = await t.database.db.selectFrom('payment_alerts').selectAll().where('event_id', '=', forged.id).executeTakeFirstOrThrow();
      expect(alert).toMatchObject({ alert: 'payment_event_unknown_session', account_id: null });
      expect(t.logs.some((l) => l.includes(forged.id) && l.includes('"alert":"payment_event_unknown_session"') && l.includes('"level":50'))).toBe(true);
    });

    it('a session object that is not a Checkout Session is rejected as malformed', async () => {
      const before = await ledgerSnapshot(t);
      const res = await deliver(t.app, stripeEvent('checkout.session.completed', { id: 'cs_test_x', object: 'payment_intent' }));
      expectOutcome(res, 'rejected', 'malformed_session');
      expect(await ledgerSnapshot(t)).toStrictEqual(before);
    });
  });

  describe('a crash between steps, then redelivery → processed once', () => {
    const crash = (at: FaultStep): FaultHook => {
      let armed = true;
      return (step) => {
        if (armed && step === at) {
          armed = false;
          throw new Error(`simulated crash at ${step}`);
        }
      };
    };

    it.each(['after_event_recorded', 'after_payment_recorded', 'before_session_update'] as const)('crash %s: rolled back, redelivery applies it once', async (step) => {
      const { number, session } = await openSession(18_800n);
      const event = completed(session);
      const before = await ledgerSnapshot(t);
      const eventsBefore = await countRows(t, 'stripe_events');
      fault = crash(step);
      const first = await deliver(t.app, event);
      expect(first.statusCode).toBe(500);
      expect(first.json<{ error: { code: string; message: string } }>().error).toStrictEqual({ code: 'internal', message: 'Internal error' });
      expect(await ledgerSnapshot(t)).toStrictEqual(before);
      expect(await countRows(t, 'stripe_events')).toBe(eventsBefore);
      expectOutcome(await deliver(t.app, event), 'applied');
      expectOutcome(await deliver(t.app, event), 'duplicate');
      expect(await paymentsFor(t, number)).toHaveLength(1);
      expect(await invoiceRow(t, number)).toMatchObject({ paid_cents: 18_800n, amount_due_cents: 0n });
    });

    it('crash after commit (no 2xx reached Stripe): the redelivery is a duplicate', async () => {
      const { number, session } = await openSession(19_900n);
      const event = completed(session);
      fault = crash('after_commit');
      expect((await deliver(t.app, event)).statusCode).toBe(500);
      expect(await paymentsFor(t, number)).toHaveLength(1);
      expectOutcome(await deliver(t.app, event), 'duplicate');
      expect(await paymentsFor(t, number)).toHaveLength(1);
      expect((await invoiceRow(t, number)).paid_cents).toBe(19_900n);
    });
  });

  it('leaves no card number in the database or the logs', async () => {
    const sweep = await sweepForCardNumbers(t.database.db, t.logs);
    expect(sweep.columns).toBeGreaterThan(20);
    expect(sweep.logLines).toBeGreaterThan(50);
    expect(sweep.found).toStrictEqual([]);
  });
});
