import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentsTestApp, newInvoice, payToken, pressPay, sessionsOf, sweepForCardNumbers, findCardNumbers, type PaymentsTestApp } from '../helpers/payments.js';

/**
 * The embedded default, end to end: the assistant's link → Pay → the sandbox checkout → its
 * signed Stripe-format events through the real webhook → Paid in the API, on the return page, in
 * the open chat stream and in the next balance answer.
 */

interface MoneyJson {
  amount: string;
  display: string;
}
interface Card {
  type: string;
  invoiceNumber?: string;
  payUrl?: string | null;
  balance?: MoneyJson;
}
interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads a server-sent event stream over a real socket. */
async function openStream(url: string, headers: Record<string, string>) {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' }, signal: ctrl.signal });
  const events: SseEvent[] = [];
  let buffer = '';
  const waiters: Array<() => void> = [];
  const pump = (async () => {
    if (!res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let idx;
        while ((idx = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, idx);
          buffer = buffer.slice(idx + 2);
          const event = /^event: (.+)$/m.exec(frame)?.[1];
          const data = /^data: (.+)$/m.exec(frame)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) as unknown });
        }
        for (const w of waiters.splice(0)) w();
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    async waitFor(pred: (e: SseEvent) => boolean, timeoutMs = 10_000): Promise<SseEvent> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = events.find(pred);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no matching event in ${JSON.stringify(events)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
    async close() {
      ctrl.abort();
      await pump.catch(() => undefined);
    },
  };
}

describe('sandbox checkout, end to end', () => {
  let t: PaymentsTestApp;
  let base: string;

  beforeAll(async () => {
    t = await createPaymentsTestApp({ payments: { heartbeatMs: 150 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => t.close());

  it('pay IN7654321 from the chat, in the sandbox: Paid in the API, the return page, the open chat and the next balance', async () => {
    expect(t.app.services.payments.mode).toBe('sandbox');
    const headers = await t.auth('R10042', 'jordan@mycompany.com');
    const conv = (await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers })).json<{ id: string }>();
    const say = async (text: string) => {
      const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv.id}/messages`, headers, payload: { text } });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ text: string; cards: Card[] }>();
    };

    const before = await say('What is my current account balance?');
    expect(before.cards.find((c) => c.type === 'balance')?.balance?.amount).toBe('2494.96');

    // A reseller types a card number: the guard keeps it out of everything (swept at the end).
    await say('Can I just give you my card? 4242 4242 4242 4242 exp 12/29 cvc 123');

    const pay = await say('Pay invoice IN7654321');
    const card = pay.cards.find((c) => c.type === 'invoice' && c.invoiceNumber === 'IN7654321');
    expect(card?.payUrl, JSON.stringify(pay)).toMatch(/^http:\/\/localhost:3000\/pay\/v1\./);
    const token = new URL(card!.payUrl!).pathname.slice('/pay/'.length);

    // The open widget's stream.
    const stream = await openStream(`${base}/v1/chat/conversations/${conv.id}/events`, headers);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toBe('text/event-stream; charset=utf-8');
    await stream.waitFor((e) => e.event === 'heartbeat');

    // The pay page, then Pay.
    const page = await t.app.inject({ method: 'GET', url: `/pay/${token}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`action="/pay/${token}/checkout"`);
    const checkout = await pressPay(t, token);
    expect(checkout.statusCode).toBe(303);
    const location = String(checkout.headers.location);
    expect(location).toMatch(/^\/sandbox\/checkout\/cs_sandbox_[A-Za-z0-9]+$/);
    const sessionId = location.split('/').pop()!;

    // The sandbox page: clearly marked, no card fields, three outcomes.
    const sandbox = await t.app.inject({ method: 'GET', url: location });
    expect(sandbox.statusCode).toBe(200);
    expect(sandbox.body).toContain('Sandbox — no real payment');
    expect(sandbox.body).toContain('$1,234.56');
    expect(sandbox.body).not.toMatch(/<input|<script/i);
    for (const v of ['success', 'fail', 'abandon']) expect(sandbox.body).toContain(`name="outcome" value="${v}"`);

    // Before the processor reports: Processing (the redirect alone proves nothing).
    const waiting = await t.app.inject({ method: 'GET', url: `/pay/return?session_id=${sessionId}` });
    expect(waiting.statusCode).toBe(200);
    expect(waiting.body).toContain('Processing your payment');
    expect(waiting.body).toMatch(/<meta http-equiv="refresh" content="3;url=\/pay\/return\?session_id=cs_sandbox_[A-Za-z0-9]+&amp;n=1">/);

    // Success: the sandbox signs a checkout.session.completed event and posts it to the webhook.
    const paid = await t.app.inject({ method: 'POST', url: location, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'outcome=success' });
    expect(paid.statusCode, paid.body).toBe(303);
    expect(paid.headers.location).toBe(`/pay/return?session_id=${sessionId}`);
    const ret = await t.app.inject({ method: 'GET', url: String(paid.headers.location) });
    expect(ret.body).toContain('Invoice IN7654321 is paid');
    expect(ret.body).not.toContain('http-equiv="refresh"');

    // The API.
    const inv = await t.app.inject({ method: 'GET', url: '/v1/billing/invoices/IN7654321', headers });
    expect(inv.json()).toMatchObject({ status: 'paid', statusLabel: 'Paid', amountDue: { amount: '0.00' }, paid: { amount: '1234.56' } });
    const bal = await t.app.inject({ method: 'GET', url: '/v1/billing/balance', headers });
    expect(bal.json<{ balance: MoneyJson }>().balance.amount).toBe('1260.40'); // 2,494.96 − 1,234.56
    const payments = await t.app.inject({ method: 'GET', url: '/v1/billing/payments', headers });
    expect(payments.json<{ items: Array<{ method: string; amount: MoneyJson }> }>().items[0]).toMatchObject({ method: 'Sandbox checkout (no real payment)', amount: { amount: '1234.56' } });

    // The open chat: the invoice card turns Paid.
    const update = await stream.waitFor((e) => e.event === 'invoice_updated');
    expect(update.data).toStrictEqual({
      invoiceNumber: 'IN7654321',
      status: 'paid',
      statusLabel: 'Paid',
      amountDue: { amount: '0.00', cents: 0, currency: 'CAD', display: '$0.00' },
    });
    await stream.close();

    // The next balance answer reflects it.
    const after = await say("what's my balance");
    expect(after.cards.find((c) => c.type === 'balance')?.balance?.amount).toBe('1260.40');
    expect(after.text).toContain('1,260.40');

    // Paying again: a clear page, no session.
    const again = await pressPay(t, token);
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('Invoice IN7654321 is already paid');
    expect(await sessionsOf(t, 'IN7654321')).toHaveLength(1);
  });

  it('fail and abandon: nothing recorded, the return page says so, and Pay starts a fresh session', async () => {
    const number = await newInvoice(t, 'R10042', 7_777n);
    const token = payToken(t, number);
    const first = String((await pressPay(t, token)).headers.location);
    const failed = await t.app.inject({ method: 'POST', url: first, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'outcome=fail' });
    expect(failed.statusCode).toBe(303);
    const failedPage = await t.app.inject({ method: 'GET', url: String(failed.headers.location) });
    expect(failedPage.body).toContain('The payment did not go through');
    expect((await sessionsOf(t, number))[0]!.state).toBe('failed');

    const second = String((await pressPay(t, token)).headers.location);
    expect(second).not.toBe(first);
    const abandoned = await t.app.inject({ method: 'POST', url: second, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'outcome=abandon' });
    expect(abandoned.headers.location).toMatch(/&cancelled=1$/);
    const abandonedPage = await t.app.inject({ method: 'GET', url: String(abandoned.headers.location) });
    expect(abandonedPage.body).toContain('This payment was not completed');
    expect(abandonedPage.body).toContain('Return to the payment page');
    // A closed sandbox session cannot be paid any more.
    const late = await t.app.inject({ method: 'POST', url: second, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'outcome=success' });
    expect(late.statusCode).toBe(303);
    const row = await t.database.db.selectFrom('invoices').select(['paid_cents']).where('number', '=', number).executeTakeFirstOrThrow();
    expect(row.paid_cents).toBe(0n);
    expect((await sessionsOf(t, number)).map((s) => s.state).sort()).toStrictEqual(['expired', 'failed']);
  });

  it('an unknown return or sandbox session is a clear 404 page', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/pay/return?session_id=cs_sandbox_nothere' });
    expect(r.statusCode).toBe(404);
    expect(r.body).toContain('We could not find this payment');
    expect((await t.app.inject({ method: 'GET', url: '/sandbox/checkout/cs_sandbox_nothere' })).statusCode).toBe(404);
  });

  it('the chat stream: authenticated, owned, and only about invoices shown in that conversation', async () => {
    const jordan = await t.auth('R10042', 'jordan@mycompany.com');
    const conv = (await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers: jordan })).json<{ id: string }>();
    const url = `${base}/v1/chat/conversations/${conv.id}/events`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: await t.auth('R20077') })).status).toBe(404);
    expect((await fetch(url, { headers: await t.auth('R10042', 'someone-else@mycompany.com') })).status).toBe(404);

    const shown = await newInvoice(t, 'R10042', 4_400n);
    const hidden = await newInvoice(t, 'R10042', 5_500n);
    const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv.id}/messages`, headers: jordan, payload: { text: `Show me invoice ${shown}` } });
    expect(res.json<{ cards: Card[] }>().cards.some((c) => c.invoiceNumber === shown)).toBe(true);

    const stream = await openStream(url, jordan);
    expect(t.app.services.payments.bus.listenerCount('R10042')).toBeGreaterThanOrEqual(1);
    for (const number of [hidden, shown]) {
      const loc = String((await pressPay(t, payToken(t, number))).headers.location);
      await t.app.inject({ method: 'POST', url: loc, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'outcome=success' });
    }
    const update = await stream.waitFor((e) => e.event === 'invoice_updated');
    expect(update.data).toMatchObject({ invoiceNumber: shown, status: 'paid' });
    await new Promise((r) => setTimeout(r, 300));
    expect(stream.events.filter((e) => e.event === 'invoice_updated').map((e) => (e.data as { invoiceNumber: string }).invoiceNumber)).toStrictEqual([shown]);
    await stream.close();
  });

  it('the sweep detects a planted card number, and finds none in this run’s database and logs', async () => {
    expect(findCardNumbers('ref 4242-4242-4242-4242 and 4000 0566 5566 5556')).toHaveLength(2);
    expect(findCardNumbers('IN7654321 on 2026-11-25, call 416-555-0199, 1234567890123')).toStrictEqual([]);
    const sweep = await sweepForCardNumbers(t.database.db, t.logs);
    expect(sweep.rows).toBeGreaterThan(50);
    expect(sweep.logLines).toBeGreaterThan(20);
    expect(sweep.found).toStrictEqual([]);
  });
});
