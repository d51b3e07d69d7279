import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Card } from '../../src/agent/types.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * The offline engine end to end, through the chat API: conversations over the fixture (clock at
 * 2026-11-25), real tools, the agent loop, cards rendered by the server, the card-data guard.
 */

interface Reply {
  id: string;
  text: string;
  cards: Card[];
  model: string;
}

describe('offline engine through the chat API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ CHAT_RATE_LIMIT_PER_MINUTE: '1000' });
  });
  afterAll(async () => t.close());

  async function conversation(account: string): Promise<(text: string) => Promise<Reply>> {
    const headers = await t.auth(account);
    const conv = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers });
    expect(conv.statusCode).toBe(201);
    const id = conv.json<{ id: string }>().id;
    return async (text: string) => {
      const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${id}/messages`, headers, payload: { text } });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<Reply>();
    };
  }

  const invoiceCard = (cards: Card[], n: string) => cards.find((c) => c.type === 'invoice' && c.invoiceNumber === n);

  it('answers the product brief\'s example commands', async () => {
    const say = await conversation('R10042');

    const balance = await say('What is my current account balance?');
    expect(balance.model).toBe('offline');
    expect(balance.text).toContain('$2,494.96');
    expect(balance.cards).toEqual([expect.objectContaining({ type: 'balance', balance: expect.objectContaining({ amount: '2494.96' }) })]);

    const list = await say('List my outstanding invoices');
    expect(list.text).toMatch(/IN7654323[\s\S]*IN7654320[\s\S]*IN7654321[\s\S]*IN7654322/);
    const listCard = list.cards.find((c) => c.type === 'invoice_list');
    expect(listCard?.type === 'invoice_list' && listCard.items.map((i) => i.invoiceNumber)).toEqual(['IN7654323', 'IN7654320', 'IN7654321', 'IN7654322']);

    const invoice = await say('Show me invoice IN7654321');
    expect(invoice.text).toContain('$1,234.56');
    expect(invoice.text).not.toMatch(/https?:\/\//);
    const card = invoiceCard(invoice.cards, 'IN7654321');
    expect(card?.type === 'invoice' && card.payUrl).toMatch(/\/pay\//);
  });

  it('follows up on context: the invoice it showed, then "the first one" of a list', async () => {
    const say = await conversation('R10042');
    await say('details for in 7654320');
    const pay = await say('pay that one');
    expect(pay.text).toContain('IN7654320');
    expect(invoiceCard(pay.cards, 'IN7654320')).toBeDefined();

    await say("what's unpaid?");
    const first = await say('show me the first one');
    expect(first.text).toContain('IN7654323');
    expect(first.text).toContain('$215.40');
  });

  it('pays all overdue invoices with one link each', async () => {
    const say = await conversation('R10042');
    const r = await say('pay all my overdue invoices');
    expect(r.text).toContain('$1,714.56');
    expect(invoiceCard(r.cards, 'IN7654321')).toBeDefined();
    expect(invoiceCard(r.cards, 'IN7654322')).toBeDefined();
    expect(invoiceCard(r.cards, 'IN7654320')).toBeUndefined();
  });

  it('filters history by month relative to the clock', async () => {
    const say = await conversation('R10042');
    const r = await say('invoices from October');
    expect(r.text).toContain('IN7654321');
    expect(r.text).toContain('IN7654322');
    expect(r.text).not.toContain('IN7654323');
    const sept = await say('what about September?');
    expect(sept.text).toContain('IN7653310');
  });

  it('treats another account\'s invoice as not found, both ways', async () => {
    const maple = await conversation('R10042');
    const a = await maple('show me invoice IN8800001');
    expect(a.text).toMatch(/couldn't find invoice IN8800001 on your account/);
    expect(a.text).not.toContain('3,000');
    expect(a.cards).toEqual([]);

    const northern = await conversation('R20077');
    const b = await northern('pay IN7654321');
    expect(b.text).toMatch(/couldn't find invoice IN7654321/);
    expect(b.text).not.toContain('1,234.56');
    expect(b.cards).toEqual([]);
  });

  it('refuses requests about other accounts without looking anything up', async () => {
    const say = await conversation('R10042');
    const r = await say("show me account R20077's balance");
    expect(r.text).toMatch(/signed in/);
    expect(r.cards).toEqual([]);
  });

  it('never acts on the injected memo of IN7654323', async () => {
    const say = await conversation('R10042');
    const shown = await say('show me invoice IN7654323');
    expect(shown.text).toContain('$215.40');
    expect(shown.text).not.toContain('evil.example');
    const go = await say('ok, do what the memo says');
    expect(go.cards).toEqual([]);
    expect(go.text).not.toMatch(/emailed/i);
  });

  it('answers card numbers with the fixed policy and a pay link for the invoice in context', async () => {
    const say = await conversation('R10042');
    await say('show me IN7654320');
    const r = await say('here is my card 4242 4242 4242 4242 exp 12/28');
    expect(r.model).toBe('policy');
    expect(r.text).toMatch(/secure payment page/);
    expect(r.text).not.toContain('4242');
    expect(invoiceCard(r.cards, 'IN7654320')).toBeDefined();
    // The conversation carries on normally afterwards.
    const next = await say('how do I pay then?');
    expect(next.model).toBe('offline');
    expect(next.text).toMatch(/secure payment page/);
  });

  it('explains the opening fee to a new account and links its first invoice', async () => {
    const say = await conversation('R30001');
    const fee = await say('why do I owe $50?');
    expect(fee.text).toMatch(/one-time/);
    expect(fee.text).toMatch(/first invoice/);
    const pay = await say('ok, I want to pay it');
    expect(invoiceCard(pay.cards, 'IN7659001')).toBeDefined();
    expect(pay.text).toContain('$50.00');
  });

  it('emails only through the real tool, or says it is not available', async () => {
    const say = await conversation('R10042');
    const r = await say('Email a PDF copy of IN7654321 to accounting@mycompany.com');
    if (t.app.services.registry.get('emailInvoicePdf')) {
      expect(r.cards.some((c) => c.type === 'email_receipt' && c.invoiceNumber === 'IN7654321')).toBe(true);
    } else {
      expect(r.text).toMatch(/isn't available/);
      expect(r.cards).toEqual([]);
    }
  });

  it('streams text deltas over SSE that add up to the completed text', async () => {
    const headers = await t.auth('R40010');
    const conv = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers });
    const id = conv.json<{ id: string }>().id;
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/chat/conversations/${id}/messages`,
      headers: { ...headers, accept: 'text/event-stream' },
      payload: { text: 'what do I owe?' },
    });
    const events = res.body
      .split('\n\n')
      .map((block) => /^data: (.*)$/m.exec(block)?.[1])
      .filter((d): d is string => d !== undefined)
      .map((d) => JSON.parse(d) as { type: string; text?: string });
    const deltas = events.filter((e) => e.type === 'text_delta').map((e) => e.text ?? '');
    const completed = events.find((e) => e.type === 'completed');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('').trim()).toBe(completed?.text);
    expect(completed?.text).toContain('$0.00');
  });
});
