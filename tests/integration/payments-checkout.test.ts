import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyCredit } from '../../src/billing/ledger.js';
import { IDEMPOTENCY_BUCKET_SECONDS } from '../../src/payments/service.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { createPaymentsTestApp, newInvoice, payToken, pressPay, sessionsOf, STRIPE_ENV, type PaymentsTestApp } from '../helpers/payments.js';
import { createStripeMock } from '../helpers/stripe-msw.js';

/** Pay Now through the real stripe SDK, answered by msw. */

const stripe = createStripeMock();
const server = setupServer(...stripe.handlers);

/** A wall clock the tests move (session expiry and idempotency buckets use it). */
let wall = Date.parse('2026-11-25T15:00:00Z');
const now = () => new Date(wall);

describe('Pay Now → Stripe Checkout Session', () => {
  let t: PaymentsTestApp;

  beforeAll(async () => {
    server.listen({ onUnhandledRequest: 'error' });
    t = await createPaymentsTestApp({ env: STRIPE_ENV, payments: { now } });
  });
  afterEach(() => {
    stripe.reset();
  });
  afterAll(async () => {
    await t.close();
    server.close();
  });

  it('creates one session for the amount due read from the database, then redirects (303) to Stripe', async () => {
    const res = await pressPay(t, payToken(t, 'IN7654321'));
    expect(res.statusCode, res.body).toBe(303);
    const creates = stripe.creates();
    expect(creates).toHaveLength(1);
    const req = creates[0]!;
    const session = [...stripe.sessions.values()][0]!;
    expect(res.headers.location).toBe(session.url);
    expect(res.headers.location).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);

    // Form-encoded parameters, as the SDK sends them.
    const b = req.body;
    expect(b.get('mode')).toBe('payment');
    expect(b.get('line_items[0][quantity]')).toBe('1');
    expect(b.get('line_items[0][price_data][unit_amount]')).toBe('123456');
    expect(b.get('line_items[0][price_data][currency]')).toBe('cad');
    expect(b.get('line_items[0][price_data][product_data][name]')).toBe('Invoice IN7654321');
    expect(b.get('metadata[accountId]')).toBe('R10042');
    expect(b.get('metadata[invoiceNumber]')).toBe('IN7654321');
    expect(b.get('metadata[amountCents]')).toBe('123456');
    expect(b.get('payment_intent_data[metadata][invoiceNumber]')).toBe('IN7654321');
    expect(b.get('client_reference_id')).toBe('R10042-IN7654321');
    // Stripe's page and our return page in the pay page's language (en-CA: Stripe's 'en').
    expect(b.get('locale')).toBe('en');
    expect(b.get('success_url')).toBe('http://localhost:3000/pay/return?session_id={CHECKOUT_SESSION_ID}&lang=en-CA');
    expect(b.get('cancel_url')).toBe('http://localhost:3000/pay/return?session_id={CHECKOUT_SESSION_ID}&cancelled=1&lang=en-CA');
    // Expiry: at least Stripe's 30 minutes, at most the TTL plus one bucket.
    const expiresAt = Number(b.get('expires_at'));
    expect(expiresAt - wall / 1000).toBeGreaterThanOrEqual(30 * 60);
    expect(expiresAt - wall / 1000).toBeLessThanOrEqual(30 * 60 + IDEMPOTENCY_BUCKET_SECONDS);
    // No card data parameter of any kind.
    expect([...b.keys()].some((k) => /card|cvc|cvv|exp_month|exp_year|payment_method_data/i.test(k))).toBe(false);

    // Idempotency key per invoice and amount (+ time bucket and generation).
    const bucket = Math.floor(wall / 1000 / IDEMPOTENCY_BUCKET_SECONDS);
    expect(req.idempotencyKey).toBe(`checkout-R10042-IN7654321-123456-CAD-${bucket}-g0`);

    const rows = await sessionsOf(t, 'IN7654321');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: session.id, account_id: 'R10042', amount_cents: 123456n, currency: 'CAD', state: 'open', processor: 'stripe', idempotency_key: req.idempotencyKey });
    expect(new Date(rows[0]!.expires_at).getTime()).toBe(expiresAt * 1000);
  });

  it('a French pay page opens Stripe Checkout in French and comes back to a French return page; an English page gets its own session in English', async () => {
    const number = await newInvoice(t, 'R10042', 27_700n);
    const press = (headers: Record<string, string>, payload = '') =>
      t.app.inject({ method: 'POST', url: `/pay/${payToken(t, number)}/checkout`, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload });
    const fr = await press({ 'accept-language': 'fr-CA,fr;q=0.9,en;q=0.5' });
    expect(fr.statusCode, fr.body).toBe(303);
    const [c] = stripe.creates();
    expect(c!.body.get('locale')).toBe('fr-CA');
    expect(c!.body.get('line_items[0][price_data][product_data][name]')).toBe(`Facture ${number}`);
    expect(c!.body.get('line_items[0][price_data][product_data][description]')).toContain('(compte R10042)');
    expect(c!.body.get('success_url')).toBe('http://localhost:3000/pay/return?session_id={CHECKOUT_SESSION_ID}&lang=fr-CA');
    expect(c!.body.get('cancel_url')).toBe('http://localhost:3000/pay/return?session_id={CHECKOUT_SESSION_ID}&cancelled=1&lang=fr-CA');
    // The French page again (its lang field this time) reuses the French session.
    const again = await press({}, 'lang=fr-CA');
    expect(again.headers.location).toBe(fr.headers.location);
    expect(stripe.creates()).toHaveLength(1);
    // An English page (lang=en-CA beats a French browser) gets a session in English; the French one is expired.
    const en = await press({ 'accept-language': 'fr-CA' }, 'lang=en-CA');
    expect(en.statusCode).toBe(303);
    expect(en.headers.location).not.toBe(fr.headers.location);
    const creates = stripe.creates();
    expect(creates).toHaveLength(2);
    expect(creates[1]!.body.get('locale')).toBe('en');
    expect(creates[1]!.body.get('line_items[0][price_data][product_data][name]')).toBe(`Invoice ${number}`);
    expect(creates[1]!.idempotencyKey).not.toBe(creates[0]!.idempotencyKey);
    const rows = await sessionsOf(t, number);
    expect(rows.map((r) => r.state)).toEqual(['open', 'expired']);
  });

  it('double click, a second link and a repeated tool call all reuse the one open session', async () => {
    const number = await newInvoice(t, 'R10042', 31_500n);
    const token = payToken(t, number);
    // A double click: two concurrent posts.
    const [a, b] = await Promise.all([pressPay(t, token), pressPay(t, token)]);
    expect(a.statusCode).toBe(303);
    expect(b.statusCode).toBe(303);
    expect(a.headers.location).toBe(b.headers.location);
    // A second link (another createPaymentLink call mints another token) and another click later.
    const c = await pressPay(t, payToken(t, number));
    wall += 60_000;
    const d = await pressPay(t, token);
    for (const r of [c, d]) expect(r.headers.location).toBe(a.headers.location);
    expect(stripe.creates()).toHaveLength(1);
    expect(stripe.sessions.size).toBe(1);
    expect(await sessionsOf(t, number)).toHaveLength(1);
  });

  it('the assistant’s repeated createPaymentLink → Pay: one session', async () => {
    const number = await newInvoice(t, 'R10042', 12_345n);
    const headers = await t.auth('R10042');
    const conv = (await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers })).json<{ id: string }>();
    const urls: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv.id}/messages`, headers, payload: { text: `Pay invoice ${number}` } });
      expect(res.statusCode, res.body).toBe(200);
      const card = res.json<{ cards: Array<{ type: string; invoiceNumber?: string; payUrl?: string | null }> }>().cards.find((x) => x.type === 'invoice' && x.invoiceNumber === number);
      expect(card?.payUrl, res.body).toMatch(/\/pay\/v1\./);
      urls.push(card!.payUrl!);
    }
    const locations = [];
    for (const url of urls) {
      const res = await pressPay(t, new URL(url).pathname.replace('/pay/', ''));
      expect(res.statusCode).toBe(303);
      locations.push(res.headers.location);
    }
    expect(new Set(locations).size).toBe(1);
    expect(stripe.creates()).toHaveLength(1);
  });

  it('a retried request after a lost response gets the same session from Stripe (same key, same parameters)', async () => {
    const number = await newInvoice(t, 'R10042', 22_222n);
    await pressPay(t, payToken(t, number));
    // Our row is lost (say, the response never reached us): Stripe answers the replay with the same session.
    await t.database.db.deleteFrom('checkout_sessions').where('invoice_number', '=', number).execute();
    await pressPay(t, payToken(t, number));
    const creates = stripe.creates();
    expect(creates).toHaveLength(2);
    expect(creates[0]!.idempotencyKey).toBe(creates[1]!.idempotencyKey);
    expect(creates[0]!.body.toString()).toBe(creates[1]!.body.toString());
    expect(stripe.sessions.size).toBe(1);
    expect(await sessionsOf(t, number)).toHaveLength(1);
  });

  it('a session about to expire is replaced by a new one under a new key', async () => {
    const number = await newInvoice(t, 'R10042', 44_400n);
    const first = await pressPay(t, payToken(t, number));
    wall += 35 * 60_000; // less than the reuse margin (5 min) left of its 30-40 minutes
    const second = await pressPay(t, payToken(t, number));
    expect(second.headers.location).not.toBe(first.headers.location);
    const keys = stripe.creates().map((r) => r.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('when the amount due changed, the new session has the new amount and the old one is expired at Stripe', async () => {
    const number = await newInvoice(t, 'R10042', 20_000n);
    await pressPay(t, payToken(t, number));
    const old = (await sessionsOf(t, number))[0]!;
    // A credit lowers the amount due to $150.00.
    await t.database.db.transaction().execute(async (trx) => {
      const { createCreditMemo } = await import('../../src/billing/ledger.js');
      await createCreditMemo(trx, 'R10042', { number: 'CM-900001', issuedOn: TEST_TODAY, amountCents: 5_000n, currency: 'CAD', reason: 'test' });
      await applyCredit(trx, 'R10042', { creditNumber: 'CM-900001', invoiceNumber: number, amountCents: 5_000n, appliedOn: TEST_TODAY });
    });
    const res = await pressPay(t, payToken(t, number));
    expect(res.statusCode).toBe(303);
    const creates = stripe.creates();
    expect(creates).toHaveLength(2);
    expect(creates[1]!.body.get('line_items[0][price_data][unit_amount]')).toBe('15000');
    expect(creates[1]!.body.get('metadata[amountCents]')).toBe('15000');
    expect(stripe.requests.some((r) => r.path === `/v1/checkout/sessions/${old.id}/expire`)).toBe(true);
    const rows = await sessionsOf(t, number);
    expect(rows.map((r) => [r.amount_cents, r.state])).toStrictEqual([
      [15_000n, 'open'],
      [20_000n, 'expired'],
    ]);
  });

  it('paid, void and nothing-due invoices get a clear page and no session', async () => {
    for (const number of ['IN7650001', 'IN7653310']) {
      const res = await pressPay(t, payToken(t, number));
      expect(res.statusCode, number).toBe(409);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain(`Invoice ${number} is already paid`);
      expect(res.body).toContain('nothing was charged');
    }
    const voided = await newInvoice(t, 'R10042', 9_900n);
    await t.database.db.updateTable('invoices').set({ voided_at: new Date() }).where('number', '=', voided).execute();
    const v = await pressPay(t, payToken(t, voided));
    expect(v.statusCode).toBe(409);
    expect(v.body).toContain(`Invoice ${voided} is void`);
    expect(stripe.creates()).toHaveLength(0);
  });

  it('an expired link explains how to get a new one; a tampered or other-account link is refused', async () => {
    const expired = payToken(t, 'IN7654321', 'R10042', 60);
    wall += 0;
    const { createLinkSigner } = await import('../../src/links/signer.js');
    const pastSigner = createLinkSigner({ keys: t.config.linkKeys, ttlSeconds: 60, baseUrl: t.config.publicBaseUrl, now: () => new Date(Date.parse(`${TEST_TODAY}T12:00:00Z`) - 3_600_000) });
    const old = pastSigner.mint({ purpose: 'pay', accountId: 'R10042', invoiceNumber: 'IN7654321' });
    const res = await pressPay(t, old);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('This payment link has expired');
    expect(res.body).toContain('Ask the Billing Assistant for a new one');
    const tampered = `${expired.slice(0, -3)}${expired.slice(-3) === 'AAA' ? 'BBB' : 'AAA'}`;
    expect((await pressPay(t, tampered)).statusCode).toBe(403);
    // A link minted for another account's invoice number is still scoped to the account it names.
    const foreign = await pressPay(t, payToken(t, 'IN7654321', 'R20077'));
    expect(foreign.statusCode).toBe(404);
    expect(stripe.creates()).toHaveLength(0);
  });

  it('a Stripe outage gives a retry page (503), nothing stored', async () => {
    const number = await newInvoice(t, 'R10042', 5_000n);
    stripe.failNextCreates(1);
    const res = await pressPay(t, payToken(t, number));
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('The payment page is not available right now');
    expect(await sessionsOf(t, number)).toHaveLength(0);
    expect(t.logs.some((l) => l.includes('"alert":"checkout_unavailable"'))).toBe(true);
  });

  it('no page of ours has a card field; the pay page may hand over to Stripe Checkout', async () => {
    const page = await t.app.inject({ method: 'GET', url: `/pay/${payToken(t, 'IN7654320')}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/<input/i);
    expect(String(page.headers['content-security-policy'])).toContain("form-action 'self' https://checkout.stripe.com");
    expect(String(page.headers['content-security-policy'])).not.toContain('script-src');
  });
});
