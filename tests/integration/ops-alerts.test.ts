import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signOperatorToken, type OpsScope } from '../../src/identity/operator.js';
import { createPaymentsTestApp, deliver, expectOutcome, newInvoice, paidSession, payToken, pressPay, stripeEvent, STRIPE_ENV, type PaymentsTestApp } from '../helpers/payments.js';
import { createStripeMock, letters, type MockSession } from '../helpers/stripe-msw.js';

/**
 * GET /v1/ops/alerts and POST /v1/ops/alerts/:id/resolve: the payment alerts a rejected webhook
 * raises, listed and resolved with a note by an operator holding the 'alerts' scope, audited.
 */

interface AlertJson {
  id: string;
  alert: string;
  status: 'open' | 'resolved';
  accountId: string | null;
  processorEventId: string | null;
  checkoutSessionId: string | null;
  details: Record<string, unknown>;
  createdAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
}
interface PageJson {
  items: AlertJson[];
  nextCursor: string | null;
}
interface ErrorJson {
  error: { code: string; message: string };
}

const stripe = createStripeMock();
const server = setupServer(...stripe.handlers);

describe('operator alerts', () => {
  let t: PaymentsTestApp;
  let mismatchEventId = '';
  let unknownEventId = '';
  let sessionId = '';

  const ops = async (operatorId = 'ops-alice', scopes: OpsScope[] = ['alerts']) => ({
    authorization: `Bearer ${await signOperatorToken(t.config, { operatorId, scopes })}`,
  });
  const list = async (query = '') => t.app.inject({ url: `/v1/ops/alerts${query}`, headers: await ops() });
  const resolve = async (id: string, note: unknown, operatorId = 'ops-alice') =>
    t.app.inject({ method: 'POST', url: `/v1/ops/alerts/${id}/resolve`, headers: await ops(operatorId), payload: { note } });

  beforeAll(async () => {
    server.listen({ onUnhandledRequest: 'error' });
    t = await createPaymentsTestApp({ env: STRIPE_ENV });

    // A session opened through the pay page, then a completed event whose amount does not match it.
    const number = await newInvoice(t, 'R10042', 17_500n);
    const pressed = await pressPay(t, payToken(t, number));
    expect(pressed.statusCode, pressed.body).toBe(303);
    const session: MockSession = stripe.sessions.get(String(pressed.headers.location).split('/').pop()!)!;
    sessionId = session.id;
    const forged = stripeEvent('checkout.session.completed', paidSession(session, { amount_total: session.amount_total - 1, amount_subtotal: session.amount_total - 1 }));
    mismatchEventId = forged.id;
    expectOutcome(await deliver(t.app, forged), 'rejected', 'amount_mismatch');

    // And one for a session we never created (no account).
    const unknown = stripeEvent(
      'checkout.session.completed',
      paidSession({ id: `cs_test_${letters(30)}`, amount_total: 123_456, metadata: { accountId: 'R10042', invoiceNumber: 'IN7654321', amountCents: '123456' } }),
    );
    unknownEventId = unknown.id;
    expectOutcome(await deliver(t.app, unknown), 'rejected', 'unknown_session');
  });
  afterAll(async () => {
    await t?.close();
    server.close();
  });

  it('lists the open alerts newest first, with what was expected and what the event said', async () => {
    const res = await list();
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json<PageJson>();
    expect(page.nextCursor).toBeNull();
    expect(page.items.map((a) => a.processorEventId)).toStrictEqual([unknownEventId, mismatchEventId]);
    const [unknown, mismatch] = page.items;
    expect(unknown).toMatchObject({ alert: 'payment_event_unknown_session', status: 'open', accountId: null, resolvedAt: null, resolvedBy: null, resolutionNote: null });
    expect(mismatch).toMatchObject({
      alert: 'payment_event_mismatch',
      status: 'open',
      accountId: 'R10042',
      checkoutSessionId: sessionId,
      details: { reason: 'amount_mismatch', eventType: 'checkout.session.completed', expected: { amountCents: '17500' }, received: { amountTotal: 17_499 } },
    });
    expect(Date.parse(mismatch!.createdAt)).not.toBeNaN();
  });

  it('pages with a cursor', async () => {
    const first = (await list('?limit=1')).json<PageJson>();
    expect(first.items.map((a) => a.processorEventId)).toStrictEqual([unknownEventId]);
    expect(first.nextCursor).toBe(first.items[0]!.id);
    const second = (await list(`?limit=1&cursor=${first.nextCursor}`)).json<PageJson>();
    expect(second.items.map((a) => a.processorEventId)).toStrictEqual([mismatchEventId]);
    expect(second.nextCursor).toBeNull();
    const bad = await list('?cursor=abc');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<ErrorJson>().error.message).toContain('cursor');
  });

  it('resolves an alert with a note (who, when, what), once: a second resolve → 409, an unknown id → 404', async () => {
    const alert = (await list()).json<PageJson>().items.find((a) => a.processorEventId === mismatchEventId)!;

    for (const [note, field] of [['   ', 'must say how it was resolved'], ['x'.repeat(2001), 'at most 2000 characters'], [42, 'note']] as const) {
      const res = await resolve(alert.id, note);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json<ErrorJson>().error.message).toContain(field);
    }
    const missing = await t.app.inject({ method: 'POST', url: `/v1/ops/alerts/${alert.id}/resolve`, headers: await ops(), payload: {} });
    expect(missing.statusCode).toBe(400);

    const res = await resolve(alert.id, '  Refunded the 1 cent difference in Stripe; customer paid by cheque.  ');
    expect(res.statusCode, res.body).toBe(200);
    const resolved = res.json<AlertJson>();
    expect(resolved).toMatchObject({
      id: alert.id,
      status: 'resolved',
      resolvedBy: 'ops-alice',
      resolutionNote: 'Refunded the 1 cent difference in Stripe; customer paid by cheque.',
    });
    expect(Date.parse(resolved.resolvedAt!)).not.toBeNaN();

    const again = await resolve(alert.id, 'me too', 'ops-bob');
    expect(again.statusCode, again.body).toBe(409);
    expect(again.json<ErrorJson>().error.message).toMatch(new RegExp(`^Payment alert ${alert.id} is already resolved \\(by ops-alice at `));

    const unknown = await resolve('999999', 'no such alert');
    expect(unknown.statusCode).toBe(404);
    expect((await resolve('0', 'zero')).statusCode).toBe(400);

    // Open, resolved, all.
    expect((await list()).json<PageJson>().items.map((a) => a.processorEventId)).toStrictEqual([unknownEventId]);
    expect((await list('?status=resolved')).json<PageJson>().items.map((a) => a.id)).toStrictEqual([alert.id]);
    expect((await list('?status=all')).json<PageJson>().items).toHaveLength(2);

    // The row says the same.
    const row = await t.database.db.selectFrom('payment_alerts').selectAll().where('id', '=', BigInt(alert.id)).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ resolved_by: 'ops-alice', resolution_note: 'Refunded the 1 cent difference in Stripe; customer paid by cheque.' });
    expect(row.resolved_at).toBeInstanceOf(Date);
  });

  it('two operators resolving at once: one wins, the other gets 409', async () => {
    const open = (await list()).json<PageJson>().items[0]!;
    const results = await Promise.all([resolve(open.id, 'matched by hand', 'ops-carol'), resolve(open.id, 'matched by hand', 'ops-dave')]);
    expect(results.map((r) => r.statusCode).sort()).toStrictEqual([200, 409]);
  });

  it('every call is audited with the operator; the resolve with the alert\'s account', async () => {
    const rows = await t.database.db
      .selectFrom('audit_log')
      .select(['actor_id', 'action', 'outcome', 'account_id', 'details'])
      .where('actor_type', '=', 'operator')
      .where('action', '=', 'ops.alerts.resolve')
      .orderBy('id')
      .execute();
    const ok = rows.filter((r) => r.outcome === 'ok');
    expect(ok[0]).toStrictEqual({
      actor_id: 'ops-alice',
      action: 'ops.alerts.resolve',
      outcome: 'ok',
      account_id: 'R10042',
      details: { method: 'POST', route: '/v1/ops/alerts/:id/resolve', status: 200 },
    });
    expect(rows.find((r) => r.actor_id === 'ops-bob')).toMatchObject({ outcome: 'rejected', details: { status: 409 } });
    expect(ok).toHaveLength(2);
    const lists = await t.database.db.selectFrom('audit_log').select('id').where('action', '=', 'ops.alerts.list').where('actor_id', '=', 'ops-alice').execute();
    expect(lists.length).toBeGreaterThanOrEqual(8);
  });

  it("needs the 'alerts' scope", async () => {
    const res = await t.app.inject({ url: '/v1/ops/alerts', headers: await ops('billing-system', ['billing:write', 'billing:read']) });
    expect(res.statusCode).toBe(403);
    expect(res.json<ErrorJson>().error.message).toContain("'alerts'");
    const resolveRes = await t.app.inject({ method: 'POST', url: '/v1/ops/alerts/1/resolve', headers: await ops('billing-system', ['feedback']), payload: { note: 'x' } });
    expect(resolveRes.statusCode).toBe(403);
  });

  it('is documented under the ops tag with the operator bearer scheme', async () => {
    const doc = (await t.app.inject({ url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { tags: string[]; security: unknown; responses: Record<string, unknown> }>>;
      components: { securitySchemes: Record<string, unknown> };
    }>();
    expect(doc.components.securitySchemes['opsBearer']).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    const get = doc.paths['/v1/ops/alerts']!['get']!;
    const post = doc.paths['/v1/ops/alerts/{id}/resolve']!['post']!;
    for (const op of [get, post]) {
      expect(op.tags).toStrictEqual(['ops']);
      expect(op.security).toStrictEqual([{ opsBearer: [] }]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
    }
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['404', '409']));
  });
});
