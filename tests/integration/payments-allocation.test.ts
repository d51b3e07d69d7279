import { sql } from 'kysely';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyCredit, recordPayment } from '../../src/billing/ledger.js';
import { TEST_TODAY } from '../helpers/constants.js';
import {
  createPaymentsTestApp,
  deliver,
  expectOutcome,
  invoiceRow,
  paymentsFor,
  payToken,
  pressPay,
  stripeEvent,
  STRIPE_ENV,
  type PaymentsTestApp,
} from '../helpers/payments.js';
import { createStripeMock, type MockSession } from '../helpers/stripe-msw.js';

/**
 * Allocation: a payment goes to its invoice up to the amount due at the time it lands; what
 * exceeds becomes an unapplied credit; a payment below the amount due leaves it partially paid.
 * Figures are R10042's (balance $2,494.96 in the fixture), checked to the cent.
 */

const stripe = createStripeMock();
const server = setupServer(...stripe.handlers);

interface MoneyJson {
  amount: string;
  cents: number;
}
interface BalanceJson {
  balance: MoneyJson;
  outstanding: MoneyJson;
  unappliedCredits: MoneyJson;
  overdue: MoneyJson;
}
interface InvoiceJson {
  status: string;
  statusLabel: string;
  partiallyPaid: boolean;
  amountDue: MoneyJson;
  paid: MoneyJson;
  credited: MoneyJson;
}

describe('payment allocation', () => {
  let t: PaymentsTestApp;
  let headers: { authorization: string };

  beforeAll(() => {
    server.listen({ onUnhandledRequest: 'error' });
  });
  beforeEach(async () => {
    t = await createPaymentsTestApp({ env: STRIPE_ENV });
    headers = await t.auth('R10042');
  });
  afterEach(async () => {
    await t.close();
    stripe.reset();
  });
  afterAll(() => {
    server.close();
  });

  async function api<T>(url: string): Promise<T> {
    const res = await t.app.inject({ method: 'GET', url, headers });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<T>();
  }
  const balance = () => api<BalanceJson>('/v1/billing/balance');
  const invoice = (n: string) => api<InvoiceJson>(`/v1/billing/invoices/${n}`);

  async function openSession(number: string): Promise<MockSession> {
    const res = await pressPay(t, payToken(t, number));
    expect(res.statusCode, res.body).toBe(303);
    return stripe.sessions.get(String(res.headers.location).split('/').pop()!)!;
  }

  it('paying IN7654321 in full: balance 2,494.96 → 1,260.40, the invoice Paid', async () => {
    expect((await balance()).balance.amount).toBe('2494.96');
    const session = await openSession('IN7654321');
    expect(session.amount_total).toBe(123_456);
    expectOutcome(await deliver(t.app, stripeEvent('checkout.session.completed', stripe.complete(session.id))), 'applied');
    const b = await balance();
    expect(b.balance.amount).toBe('1260.40');
    expect(b.outstanding.amount).toBe('1335.40');
    expect(b.overdue.amount).toBe('480.00');
    expect(b.unappliedCredits.amount).toBe('75.00');
    const inv = await invoice('IN7654321');
    expect(inv).toMatchObject({ status: 'paid', statusLabel: 'Paid', amountDue: { amount: '0.00' }, paid: { amount: '1234.56' } });
    const pays = await paymentsFor(t, 'IN7654321');
    expect(pays).toHaveLength(1);
    expect(pays[0]).toMatchObject({ amount_cents: 123_456n, allocated: 123_456n });
    const p = await t.database.db.selectFrom('payments').select(['method', 'received_on', 'currency']).where('number', '=', pays[0]!.number).executeTakeFirstOrThrow();
    expect(p).toMatchObject({ method: 'Stripe Checkout', received_on: TEST_TODAY, currency: 'CAD' });
  });

  it('overpayment (a credit lowered the amount due after the link): the excess becomes an unapplied credit', async () => {
    const session = await openSession('IN7654321'); // for $1,234.56
    // CM-100202 ($75.00) is applied to IN7654321 after the session was created: $1,159.56 due.
    await t.database.db.transaction().execute((trx) =>
      applyCredit(trx, 'R10042', { creditNumber: 'CM-100202', invoiceNumber: 'IN7654321', amountCents: 7_500n, appliedOn: TEST_TODAY }),
    );
    const before = await balance();
    expect(before.balance.amount).toBe('2494.96');
    expect(before.unappliedCredits.amount).toBe('0.00');
    expect((await invoice('IN7654321')).amountDue.amount).toBe('1159.56');

    const res = await deliver(t.app, stripeEvent('checkout.session.completed', stripe.complete(session.id)));
    expectOutcome(res, 'applied');
    const inv = await invoice('IN7654321');
    expect(inv).toMatchObject({ status: 'paid', amountDue: { amount: '0.00' }, paid: { amount: '1159.56' }, credited: { amount: '75.00' } });
    const pays = await paymentsFor(t, 'IN7654321');
    expect(pays).toHaveLength(1);
    expect(pays[0]).toMatchObject({ amount_cents: 123_456n, allocated: 115_956n });
    const credit = await t.database.db
      .selectFrom('credit_memos')
      .select(['number', 'amount_cents', 'applied_cents', 'reason'])
      .where('account_id', '=', 'R10042')
      .where('reason', 'like', 'Overpayment%')
      .executeTakeFirstOrThrow();
    expect(credit).toMatchObject({ amount_cents: 7_500n, applied_cents: 0n });
    expect(credit.reason).toBe(`Overpayment: ${pays[0]!.number} exceeded the amount due on IN7654321`);
    const after = await balance();
    expect(after.outstanding.amount).toBe('1335.40');
    expect(after.unappliedCredits.amount).toBe('75.00');
    expect(after.balance.amount).toBe('1260.40');
    expect(t.logs.some((l) => l.includes('"creditCents":"7500"'))).toBe(true);
  });

  it('partial payment (the amount due rose after the link): the invoice stays Partially paid with the rest due', async () => {
    const session = await openSession('IN7654320'); // for $640.00
    // A $50.00 adjustment line is added to IN7654320 after the session was created: $690.00 due.
    await sql`insert into invoice_lines (invoice_id, position, kind, description, quantity, unit_cents, amount_cents)
      select id, 2, 'adjustment', 'Licence true-up', 1, 5000, 5000 from invoices where number = 'IN7654320'`.execute(t.database.db);
    await sql`update invoices set total_cents = total_cents + 5000 where number = 'IN7654320'`.execute(t.database.db);
    expect((await balance()).balance.amount).toBe('2544.96');

    expectOutcome(await deliver(t.app, stripeEvent('checkout.session.completed', stripe.complete(session.id))), 'applied');
    const inv = await invoice('IN7654320');
    expect(inv).toMatchObject({ status: 'partially_paid', statusLabel: 'Partially paid', partiallyPaid: true, amountDue: { amount: '50.00' }, paid: { amount: '640.00' } });
    expect(await invoiceRow(t, 'IN7654320')).toMatchObject({ total_cents: 69_000n, paid_cents: 64_000n, amount_due_cents: 5_000n });
    const b = await balance();
    expect(b.outstanding.amount).toBe('1979.96');
    expect(b.balance.amount).toBe('1904.96');
    // The pay page now asks for the $50.00 left, in a new session.
    const again = await pressPay(t, payToken(t, 'IN7654320'));
    expect(again.statusCode).toBe(303);
    expect(stripe.creates().at(-1)!.body.get('line_items[0][price_data][unit_amount]')).toBe('5000');
  });

  it('a payment for an invoice settled meanwhile (by cheque) becomes an unapplied credit in full', async () => {
    const session = await openSession('IN7654323'); // $215.40
    await t.database.db.transaction().execute((trx) =>
      recordPayment(trx, 'R10042', {
        receivedOn: TEST_TODAY,
        amountCents: 21_540n,
        currency: 'CAD',
        method: 'Cheque',
        allocations: [{ invoiceNumber: 'IN7654323', amountCents: 21_540n }],
      }),
    );
    expect((await balance()).balance.amount).toBe('2279.56');
    expectOutcome(await deliver(t.app, stripeEvent('checkout.session.completed', stripe.complete(session.id))), 'applied');
    const b = await balance();
    expect(b.outstanding.amount).toBe('2354.56');
    expect(b.unappliedCredits.amount).toBe('290.40'); // CM-100202 $75.00 + the $215.40 paid twice
    expect(b.balance.amount).toBe('2064.16');
    const pays = await t.database.db.selectFrom('payments').select(['number', 'amount_cents']).where('method', '=', 'Stripe Checkout').execute();
    expect(pays).toHaveLength(1);
    expect(await t.database.db.selectFrom('payment_allocations').where('payment_id', 'in', t.database.db.selectFrom('payments').select('id').where('method', '=', 'Stripe Checkout')).selectAll().execute()).toHaveLength(0);
    const credit = await t.database.db.selectFrom('credit_memos').select(['amount_cents', 'reason']).where('reason', 'like', `Payment ${pays[0]!.number}%`).executeTakeFirstOrThrow();
    expect(credit).toStrictEqual({ amount_cents: 21_540n, reason: `Payment ${pays[0]!.number} for IN7654323, which had nothing due` });
  });
});
