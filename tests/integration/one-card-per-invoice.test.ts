import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvals, type EvalSummary } from '../../evals/run.js';
import { oneCardPerInvoice, repeatedInvoices } from '../../src/agent/card-set.js';
import type { Card, TurnEvent } from '../../src/agent/types.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { call, ScriptedModel, text, tools } from '../helpers/scripted-model.js';

/**
 * Issue #12: one card per invoice per answer. No invoice number appears twice among the `invoice`
 * cards and the `invoice_list` items of one answer, as it streams or once it completes (confirm
 * and receipt cards about the same invoice are fine). Checked over every turn of every offline
 * eval case, through the chat API ("pay the overdue ones"), and with a scripted model calling
 * getInvoice, listOutstanding and createPaymentLink on the same invoices.
 */

const CASES = path.join(import.meta.dirname, '../../evals/cases');

type InvoiceList = Extract<Card, { type: 'invoice_list' }>;
const lists = (cards: Card[]): InvoiceList[] => cards.filter((c): c is InvoiceList => c.type === 'invoice_list');
const invoiceNumbers = (cards: Card[]): string[] => cards.flatMap((c) => (c.type === 'invoice' ? [c.invoiceNumber] : []));

/** The turn events of an SSE body (the chat API's `accept: text/event-stream` mode). */
function sseEvents(body: string): TurnEvent[] {
  return body
    .split('\n\n')
    .map((block) => block.split('\n').find((l) => l.startsWith('data: ')))
    .filter((l): l is string => l !== undefined)
    .map((l) => JSON.parse(l.slice('data: '.length)) as TurnEvent);
}

/** What one answer showed: the cards streamed one by one, and the completed answer's cards. */
interface Shown {
  streamed: Card[];
  completed: Card[];
}

function shown(events: TurnEvent[]): Shown {
  const done = events.at(-1);
  if (done?.type !== 'completed') throw new Error(`the stream did not complete: ${JSON.stringify(events.at(-1))}`);
  return { streamed: events.flatMap((e) => (e.type === 'card' ? [e.card] : [])), completed: done.cards };
}

function expectOneCardPerInvoice(s: Shown): void {
  expect(repeatedInvoices(s.streamed), 'streamed cards').toEqual([]);
  expect(repeatedInvoices(s.completed), 'completed cards').toEqual([]);
}

describe('every offline answer of every eval case', () => {
  type Turn = EvalSummary['results'][number]['trials'][number]['turns'][number] & { id: string; at: number };
  let report: EvalSummary;
  let turns: Turn[];
  beforeAll(async () => {
    report = await runEvals({ cases: CASES, model: 'offline', trials: 1, quiet: true });
    turns = report.results.flatMap((r) => r.trials[0]!.turns.map((t, i) => ({ ...t, id: r.id, at: i + 1 })));
  }, 600_000);
  const where = (t: Turn) => `${t.id} turn ${t.at} ${JSON.stringify(t.user)}`;

  it('shows each invoice once among its invoice cards and list items', () => {
    const repeats = turns.flatMap((t) => {
      const numbers = repeatedInvoices(t.cards);
      return numbers.length > 0 ? [`${where(t)}: ${numbers.join(', ')} twice`] : [];
    });
    expect(repeats).toEqual([]);
    // The check had something to check: most cases, and hundreds of answers with invoice cards or lists.
    expect(report.summary.cases).toBeGreaterThanOrEqual(700);
    expect(turns.filter((t) => t.cards.some((c) => c.type === 'invoice' || c.type === 'invoice_list')).length).toBeGreaterThan(400);
    const payOverdue = turns.find((t) => t.id === 'followup/balance-then-pay-overdue' && t.user === 'pay the overdue ones');
    expect(payOverdue && invoiceNumbers(payOverdue.cards)).toEqual(['IN7654321', 'IN7654322']);
  });

  it('sums a list up in the text when its cards carry the rows, naming the invoices when five or fewer', () => {
    const withRows = turns.filter((t) => t.cards.some((c) => c.type === 'invoice_list' || c.type === 'payment_list' || c.type === 'credit_list'));
    expect(withRows.length).toBeGreaterThan(200);
    // No row of the cards written again as a "- " line.
    expect(withRows.filter((t) => /^\s*[-*•]\s+(IN\d{7}|PAY-|CM-)/m.test(t.reply)).map(where)).toEqual([]);
    // A list answer alone (no invoice card beside it) names each of its five or fewer invoices.
    const unnamed = withRows.flatMap((t) => {
      if (t.cards.some((c) => c.type === 'invoice')) return [];
      const missing = lists(t.cards).flatMap((l) => (l.items.length <= 5 ? l.items.map((i) => i.invoiceNumber).filter((n) => !t.reply.includes(n)) : []));
      return missing.length > 0 ? [`${where(t)}: ${missing.join(', ')}`] : [];
    });
    expect(unnamed).toEqual([]);
  });
});

describe('through the chat API', () => {
  describe('offline engine', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ CHAT_RATE_LIMIT_PER_MINUTE: '1000' });
    });
    afterAll(async () => t.close());

    async function conversation(account: string): Promise<(text: string) => Promise<Shown>> {
      const headers = await t.auth(account);
      const conv = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers });
      const id = conv.json<{ id: string }>().id;
      return async (text) => {
        const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${id}/messages`, headers: { ...headers, accept: 'text/event-stream' }, payload: { text } });
        expect(res.statusCode, res.body).toBe(200);
        return shown(sseEvents(res.body));
      };
    }

    it('"pay the overdue ones": one invoice card with its Pay link per overdue invoice, no list repeating them', async () => {
      const say = await conversation('R10042');
      await say('What is my current account balance?');
      const pay = await say('pay the overdue ones');
      expectOneCardPerInvoice(pay);
      expect(invoiceNumbers(pay.completed)).toEqual(['IN7654321', 'IN7654322']);
      expect(lists(pay.completed)).toEqual([]);
      for (const c of pay.completed) if (c.type === 'invoice') expect(c.payUrl).toMatch(/\/pay\/v1\./);
    });

    it('a broad set of messages, one conversation after another', async () => {
      const messages = [
        'pay all my overdue invoices',
        'List my outstanding invoices',
        'pay everything I owe',
        'show me the biggest unpaid invoice',
        'the oldest unpaid one',
        'list my outstanding invoices and pay the oldest one',
        'show me IN7654321 and list my outstanding invoices',
        'pay IN7654321 and IN7654322',
        'what is overdue? pay them',
        'I want to pay my invoice',
        'invoice history',
      ];
      for (const m of messages) {
        const say = await conversation('R10042');
        const s = await say(m);
        expect(repeatedInvoices(s.streamed), `${m}: streamed`).toEqual([]);
        expect(repeatedInvoices(s.completed), `${m}: completed`).toEqual([]);
      }
    });
  });

  describe('a scripted model calling getInvoice, listOutstanding and createPaymentLink on the same invoices', () => {
    let t: TestApp;
    const model = new ScriptedModel();
    beforeAll(async () => {
      t = await createTestApp({ CHAT_RATE_LIMIT_PER_MINUTE: '1000' }, { model });
    });
    afterAll(async () => t.close());

    async function turn(): Promise<Shown> {
      const headers = await t.auth('R10042');
      const conv = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers });
      const id = conv.json<{ id: string }>().id;
      const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${id}/messages`, headers: { ...headers, accept: 'text/event-stream' }, payload: { text: 'pay the overdue ones' } });
      expect(res.statusCode, res.body).toBe(200);
      model.assertComplete();
      const s = shown(sseEvents(res.body));
      // What was stored is what completed.
      const history = await t.app.inject({ method: 'GET', url: `/v1/chat/conversations/${id}/messages`, headers });
      expect(history.json<{ messages: Array<{ role: string; cards: Card[] }> }>().messages.at(-1)!.cards).toStrictEqual(s.completed);
      return s;
    }

    it('list, then a link for each overdue invoice: the invoice cards stay, the list repeating them goes', async () => {
      model.enqueue(
        tools(call('listInvoices', { status: 'overdue', from: null, to: null, dateField: null, over: null, under: null, limit: null })),
        tools(call('createPaymentLink', { invoiceNumber: 'IN7654321' }), call('createPaymentLink', { invoiceNumber: 'IN7654322' })),
        text('Here are the links for your two overdue invoices, IN7654321 and IN7654322.'),
      );
      const s = await turn();
      expectOneCardPerInvoice(s);
      expect(s.completed.map((c) => c.type)).toEqual(['invoice', 'invoice']);
      expect(invoiceNumbers(s.completed)).toEqual(['IN7654321', 'IN7654322']);
    });

    it('outstanding list, then the invoice looked up and linked: its detailed card stays, the list shows the others', async () => {
      model.enqueue(
        tools(call('listOutstanding', { limit: null })),
        tools(call('getInvoice', { invoiceNumber: 'IN7654321' }), call('createPaymentLink', { invoiceNumber: 'IN7654321' }), call('createPaymentLink', { invoiceNumber: 'IN7654322' })),
        text('IN7654321 and IN7654322 are overdue; the Pay buttons are on their cards.'),
      );
      const s = await turn();
      expectOneCardPerInvoice(s);
      expect(s.completed.map((c) => c.type)).toEqual(['invoice', 'invoice', 'invoice_list']);
      const [first, second, rest] = s.completed;
      expect(first?.type === 'invoice' && first.invoiceNumber === 'IN7654321' && first.lines?.length).toBeGreaterThan(0);
      expect(first?.type === 'invoice' && first.payUrl).toMatch(/\/pay\/v1\./);
      expect(second?.type === 'invoice' && second.invoiceNumber).toBe('IN7654322');
      expect(rest).toMatchObject({ type: 'invoice_list', title: 'Other outstanding invoices', total: { amount: '855.40' } });
      expect(lists(s.completed)[0]!.items.map((i) => i.invoiceNumber)).toEqual(['IN7654323', 'IN7654320']);
      // While streaming, the list came first and the cards it already showed were held back.
      expect(s.streamed.map((c) => c.type)).toEqual(['invoice_list']);
    });

    it('all in one round, with an overlapping second list: each invoice once, the most detailed card kept', async () => {
      model.enqueue(
        tools(
          call('createPaymentLink', { invoiceNumber: 'IN7654322' }),
          call('getInvoice', { invoiceNumber: 'IN7654322' }),
          call('listOutstanding', { limit: null }),
          call('listInvoices', { status: 'overdue', from: null, to: null, dateField: null, over: null, under: null, limit: null }),
        ),
        text('Here you are.'),
      );
      const s = await turn();
      expectOneCardPerInvoice(s);
      expect(s.completed.map((c) => c.type)).toEqual(['invoice', 'invoice_list']);
      const [card, list] = s.completed;
      expect(card?.type === 'invoice' && card.invoiceNumber === 'IN7654322' && card.lines?.length).toBeGreaterThan(0);
      expect(list?.type === 'invoice_list' && list.items.map((i) => i.invoiceNumber)).toEqual(['IN7654323', 'IN7654320', 'IN7654321']);
    });
  });
});

describe('oneCardPerInvoice', () => {
  const money = (cents: number) => ({ amount: (cents / 100).toFixed(2), cents, currency: 'CAD', display: `$${(cents / 100).toFixed(2)}` });
  const item = (n: string, cents: number) => ({
    invoiceNumber: n,
    issuedOn: '2026-10-01',
    dueOn: '2026-10-31',
    total: money(cents),
    amountDue: money(cents),
    status: 'overdue',
    statusLabel: 'Overdue',
    url: `/pay/v1.${n}`,
    payUrl: `/pay/v1.${n}`,
  });
  const invoice = (n: string, lines = 0): Card => ({ type: 'invoice', ...item(n, 100), ...(lines ? { lines: Array.from({ length: lines }, () => ({ description: 'x', amount: money(100) })) } : {}) });
  const list = (title: string, ...ns: string[]): Card => ({ type: 'invoice_list', title, items: ns.map((n) => item(n, 100)), total: money(100 * ns.length), more: false });

  it('leaves answers without repeats as they are', () => {
    const cards = [list('Outstanding invoices', 'A', 'B'), invoice('C'), { type: 'email_receipt', invoiceNumber: 'A', to: 'x@y.example', sentAt: '', status: 'sent', duplicate: false } as Card];
    expect(oneCardPerInvoice(cards)).toStrictEqual(cards);
  });

  it('keeps confirm and receipt cards about an invoice that also has its card', () => {
    const receipt: Card = { type: 'email_receipt', invoiceNumber: 'A', to: 'x@y.example', sentAt: '', status: 'sent', duplicate: false };
    expect(oneCardPerInvoice([invoice('A'), receipt, invoice('A')])).toStrictEqual([invoice('A'), receipt]);
  });

  it('of two cards for one invoice, keeps the one with lines in the first one’s place', () => {
    expect(oneCardPerInvoice([invoice('A'), invoice('B'), invoice('A', 2)])).toStrictEqual([invoice('A', 2), invoice('B')]);
  });

  it('a list left with other invoices says so and totals what it shows; a later list gives up what an earlier one showed', () => {
    const out = oneCardPerInvoice([list('Invoices (overdue)', 'A', 'B', 'C'), invoice('B'), list('Outstanding invoices', 'A', 'D')]);
    expect(out.map((c) => (c.type === 'invoice_list' ? `${c.title}: ${c.items.map((i) => i.invoiceNumber).join(' ')} = ${c.total?.display}` : c.type))).toEqual([
      'invoice',
      'Other invoices (overdue): A C = $2.00',
      'Other outstanding invoices: D = $1.00',
    ]);
    expect(repeatedInvoices(out)).toEqual([]);
  });
});
