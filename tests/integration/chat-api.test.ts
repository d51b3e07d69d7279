import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CARD_POLICY_TEXT, type StoredMessage } from '../../src/agent/chat-service.js';
import type { Card, TurnEvent } from '../../src/agent/types.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { call, respond, ScriptedModel, text, tools } from '../helpers/scripted-model.js';

/**
 * The chat API over the default (offline) model. The offline engine's wording is still changing,
 * so these tests assert on tool calls, cards, events and storage, not on exact replies.
 */

type StoredMessageJson = StoredMessage;
interface ReplyJson {
  id: string;
  text: string;
  cards: Card[];
  promptVersion: string;
  model: string;
}
interface ErrorJson {
  error: { code: string; message: string; details?: unknown };
  requestId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BALANCE_QUESTION = 'What is my current account balance?';

function parseSse(body: string): TurnEvent[] {
  return body
    .split('\n\n')
    .map((block) => block.split('\n').find((l) => l.startsWith('data: ')))
    .filter((l): l is string => l !== undefined)
    .map((l) => JSON.parse(l.slice('data: '.length)) as TurnEvent);
}

/** Event types with runs of text_delta collapsed into one. */
function shape(events: TurnEvent[]): string[] {
  return events.map((e) => e.type).filter((type, i, all) => !(type === 'text_delta' && all[i - 1] === 'text_delta'));
}

function client(t: TestApp, headers: { authorization: string }) {
  return {
    async conversation(): Promise<string> {
      const res = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<{ id: string }>().id;
    },
    send(conv: string, payload: unknown, extra: Record<string, string> = {}) {
      return t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv}/messages`, headers: { ...headers, ...extra }, payload: payload as Record<string, unknown> });
    },
    async ask(conv: string, text: string): Promise<ReplyJson> {
      const res = await this.send(conv, { text });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<ReplyJson>();
    },
    history(conv: string) {
      return t.app.inject({ method: 'GET', url: `/v1/chat/conversations/${conv}/messages`, headers });
    },
    async messages(conv: string): Promise<StoredMessageJson[]> {
      const res = await this.history(conv);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ messages: StoredMessageJson[] }>().messages;
    },
  };
}

async function auditRows(t: TestApp, messageId: string) {
  return t.app.services.db
    .selectFrom('tool_call_audit')
    .select(['call_id', 'name', 'arguments', 'outcome', 'error', 'latency_ms', 'account_id', 'conversation_id'])
    .where('message_id', '=', messageId)
    .orderBy('id')
    .execute();
}

describe('chat API (offline model)', () => {
  let t: TestApp;
  let me: ReturnType<typeof client>;

  beforeAll(async () => {
    t = await createTestApp();
    me = client(t, await t.auth('R10042'));
  });
  afterAll(async () => t?.close());

  it('POST /v1/chat/conversations creates a conversation (201); without a token, 401', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers: await t.auth('R10042') });
    expect(res.statusCode).toBe(201);
    const body = res.json<{ id: string; createdAt: string }>();
    expect(Object.keys(body).sort()).toStrictEqual(['createdAt', 'id']);
    expect(body.id).toMatch(UUID);
    expect(new Date(body.createdAt).toISOString()).toBe(body.createdAt);
    const row = await t.app.services.db.selectFrom('conversations').select(['account_id', 'user_id']).where('id', '=', body.id).executeTakeFirst();
    expect(row).toStrictEqual({ account_id: 'R10042', user_id: 'user@r10042.test' });

    const anon = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations' });
    expect(anon.statusCode).toBe(401);
  });

  it('JSON mode returns the finished message {id, text, cards}; the tool call is audited', async () => {
    const conv = await me.conversation();
    const reply = await me.ask(conv, BALANCE_QUESTION);
    expect(Object.keys(reply).sort()).toStrictEqual(['cards', 'id', 'model', 'promptVersion', 'text']);
    expect(reply.id).toMatch(UUID);
    expect(reply.text.trim().length).toBeGreaterThan(0);
    expect(reply.model).toBe('offline');
    expect(reply.cards.map((c) => c.type)).toStrictEqual(['balance']);
    expect(reply.cards[0]).toMatchObject({
      type: 'balance',
      asOf: '2026-11-25',
      balance: { amount: '2494.96', cents: 249496, currency: 'CAD', display: '$2,494.96' },
    });

    const rows = await auditRows(t, reply.id);
    expect(rows.map((r) => ({ name: r.name, arguments: r.arguments, outcome: r.outcome, error: r.error, account: r.account_id, conv: r.conversation_id }))).toStrictEqual([
      { name: 'getBalance', arguments: {}, outcome: 'ok', error: null, account: 'R10042', conv },
    ]);
    expect(typeof rows[0]!.latency_ms).toBe('number');
    expect(rows[0]!.latency_ms).toBeGreaterThanOrEqual(0);
    expect(rows[0]!.latency_ms).toBeLessThan(5_000);
    expect(rows[0]!.call_id.length).toBeGreaterThan(0);
  });

  it('SSE mode streams tool_started, tool_finished, card, text deltas, completed — in that order', async () => {
    const conv = await me.conversation();
    const res = await me.send(conv, { text: BALANCE_QUESTION }, { accept: 'text/event-stream' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache, no-transform');
    expect(res.body.startsWith(': stream open\n\n')).toBe(true);
    // Every block is "event: <type>" + "data: <json of that type>".
    for (const block of res.body.split('\n\n').filter((b) => b.startsWith('event: '))) {
      const [ev, data] = block.split('\n');
      expect(JSON.parse(data!.slice('data: '.length))).toMatchObject({ type: ev!.slice('event: '.length) });
    }
    const events = parseSse(res.body);
    expect(shape(events)).toStrictEqual(['tool_started', 'tool_finished', 'card', 'text_delta', 'completed']);
    expect(events[0]).toMatchObject({ type: 'tool_started', name: 'getBalance' });
    expect(events[1]).toMatchObject({ type: 'tool_finished', name: 'getBalance', ok: true });
    expect(events[1]!.type === 'tool_finished' && events[0]!.type === 'tool_started' && events[1]!.id === events[0]!.id).toBe(true);
    const completed = events.at(-1)!;
    if (completed.type !== 'completed') throw new Error('last event is not completed');
    expect(completed.cards).toStrictEqual(events.flatMap((e) => (e.type === 'card' ? [e.card] : [])));
    expect(completed.cards.map((c) => c.type)).toStrictEqual(['balance']);
    expect(completed.text.trim().length).toBeGreaterThan(0);

    const stored = await me.messages(conv);
    expect(stored.map((m) => m.role)).toStrictEqual(['user', 'assistant']);
    expect(stored[1]).toMatchObject({ id: completed.messageId, text: completed.text, cards: completed.cards, status: 'complete' });
  });

  it('GET history returns the user and assistant messages, with the prompt version and model on the answer', async () => {
    const conv = await me.conversation();
    const reply = await me.ask(conv, BALANCE_QUESTION);
    const stored = await me.messages(conv);
    expect(stored).toHaveLength(2);
    const [user, assistant] = stored as [StoredMessageJson, StoredMessageJson];
    expect(user).toMatchObject({ role: 'user', text: BALANCE_QUESTION, cards: [], status: 'complete', promptVersion: null, model: null });
    expect(assistant).toMatchObject({ id: reply.id, role: 'assistant', text: reply.text, cards: reply.cards, status: 'complete', model: 'offline' });
    expect(assistant.promptVersion).toBe(t.app.services.prompt.version);
    expect(assistant.promptVersion).toMatch(/^system\.v1@[0-9a-f]{8}$/);
    expect(reply.promptVersion).toBe(assistant.promptVersion);
    expect(Date.parse(user.createdAt)).toBeLessThanOrEqual(Date.parse(assistant.createdAt));
  });

  describe('isolation', () => {
    let conv: string;
    let notFound: { error: ErrorJson['error'] };

    beforeAll(async () => {
      conv = await me.conversation();
      await me.ask(conv, BALANCE_QUESTION);
      const res = await me.history('00000000-0000-4000-8000-000000000000');
      expect(res.statusCode).toBe(404);
      notFound = { error: res.json<ErrorJson>().error };
      expect(notFound).toStrictEqual({ error: { code: 'not_found', message: 'Conversation not found' } });
    });

    it.each([
      ['another account', 'R20077', undefined],
      ['another user of the same account', 'R10042', 'someone.else@mycompany.com'],
    ])('%s gets 404 (the same body as a random id) on read and write, and nothing is stored', async (_label, accountId, userId) => {
      const other = client(t, { authorization: `Bearer ${await t.token(accountId, userId)}` });
      const read = await other.history(conv);
      expect(read.statusCode).toBe(404);
      expect({ error: read.json<ErrorJson>().error }).toStrictEqual(notFound);
      const write = await other.send(conv, { text: 'Show me invoice IN7654321' });
      expect(write.statusCode).toBe(404);
      expect({ error: write.json<ErrorJson>().error }).toStrictEqual(notFound);
      const sse = await other.send(conv, { text: 'hello' }, { accept: 'text/event-stream' });
      expect(sse.statusCode).toBe(404);
      expect((await me.messages(conv)).map((m) => m.role)).toStrictEqual(['user', 'assistant']);
    });
  });

  describe('validation', () => {
    it('a message over CHAT_MAX_MESSAGE_CHARS gets 413; exactly at the limit is accepted', async () => {
      const conv = await me.conversation();
      const max = t.app.services.config.CHAT_MAX_MESSAGE_CHARS;
      expect(max).toBe(4000);
      const over = await me.send(conv, { text: 'a'.repeat(max + 1) });
      expect(over.statusCode).toBe(413);
      expect(over.json<ErrorJson>().error).toStrictEqual({ code: 'payload_too_large', message: 'text: messages are limited to 4000 characters' });
      expect(await me.messages(conv)).toStrictEqual([]);
      const atLimit = await me.send(conv, { text: `${'a'.repeat(max - 9)} balance?` });
      expect(atLimit.statusCode, atLimit.body).toBe(200);
    });

    it.each([
      ['empty text', { text: '' }],
      ['blank text', { text: '   \n\t ' }],
      ['no text', {}],
      ['text not a string', { text: 42 }],
      ['an unknown field', { text: 'hi', accountId: 'R20077' }],
    ])('%s gets 400 and stores nothing', async (_label, payload) => {
      const conv = await me.conversation();
      const res = await me.send(conv, payload);
      expect(res.statusCode).toBe(400);
      expect(res.json<ErrorJson>().error.code).toBe('invalid_request');
      expect(await me.messages(conv)).toStrictEqual([]);
    });

    it('a conversation id that is not a uuid gets 400', async () => {
      const res = await me.history('not-a-uuid');
      expect(res.statusCode).toBe(400);
    });
  });

  describe('card data guard', () => {
    it('redacts the card number, expiry and CVC, answers with the fixed policy (no model, no tools) and a pay card', async () => {
      const spy = vi.spyOn(t.app.services.model, 'respond');
      try {
        const conv = await me.conversation();
        const reply = await me.ask(conv, 'pay IN7654321 with 4111 1111 1111 1111 exp 12/29 cvc 123');
        expect(spy).not.toHaveBeenCalled();
        expect(reply.model).toBe('policy');
        expect(reply.text.startsWith(CARD_POLICY_TEXT)).toBe(true);
        expect(reply.text).not.toMatch(/4111|12\/29|\b123\b/);
        expect(reply.cards).toHaveLength(1);
        const card = reply.cards[0]!;
        if (card.type !== 'invoice') throw new Error(`expected an invoice card, got ${card.type}`);
        expect(card).toMatchObject({ invoiceNumber: 'IN7654321', amountDue: { display: '$1,234.56' } });
        expect(card.payUrl).not.toBeNull();
        expect(t.app.services.links.isMinted(card.payUrl!)).toBe(true);
        const page = await t.app.inject({ method: 'GET', url: new URL(card.payUrl!).pathname });
        expect(page.statusCode).toBe(200);
        expect(page.body).toContain('IN7654321');

        const stored = await me.messages(conv);
        expect(stored.map((m) => m.role)).toStrictEqual(['user', 'assistant']);
        const userText = stored[0]!.text;
        // (The guard is being refined elsewhere: assert what must hold, not the exact wording around the markers.)
        expect(userText.startsWith('pay IN7654321 with [card number removed] ')).toBe(true);
        expect(userText).toContain('[expiry removed]');
        expect(userText).toMatch(/cvc \[security code removed\]$/);
        // No digit of the card, the expiry or the CVC survives: the only digits left are the invoice number's.
        expect(userText.replace('IN7654321', '')).not.toMatch(/\d/);
        const row = await t.app.services.db.selectFrom('chat_messages').select(['redacted', 'text']).where('id', '=', stored[0]!.id).executeTakeFirstOrThrow();
        expect(row).toStrictEqual({ redacted: true, text: userText });
        expect(stored[1]).toMatchObject({ id: reply.id, text: reply.text, cards: reply.cards, model: 'policy' });
        // The server (not a model) minted the pay link: that call is audited like any other.
        const audit = await auditRows(t, reply.id);
        expect(audit.map((a) => [a.name, a.arguments, a.outcome])).toStrictEqual([['createPaymentLink', { invoiceNumber: 'IN7654321' }, 'ok']]);
        expect(JSON.stringify(audit)).not.toMatch(/4111[\s-]*1111/);
        // Nothing anywhere in the conversation holds the number.
        const all = await t.app.services.db.selectFrom('chat_messages').select('text').where('conversation_id', '=', conv).execute();
        expect(all.map((m) => m.text).join('\n')).not.toMatch(/4111|1111/);
      } finally {
        spy.mockRestore();
      }
    });
  });
});

describe('chat API rate limit', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ CHAT_RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(async () => t?.close());

  it('the 4th message in a minute gets 429 with Retry-After; other accounts are not affected', async () => {
    const me = client(t, await t.auth('R10042'));
    const conv = await me.conversation();
    for (let i = 0; i < 3; i++) expect((await me.send(conv, { text: BALANCE_QUESTION })).statusCode).toBe(200);
    const limited = await me.send(conv, { text: BALANCE_QUESTION });
    expect(limited.statusCode).toBe(429);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.json<ErrorJson>().error).toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: retryAfter } });
    // Also in SSE mode: the 429 comes before the stream opens.
    const sse = await me.send(conv, { text: BALANCE_QUESTION }, { accept: 'text/event-stream' });
    expect(sse.statusCode).toBe(429);
    expect(sse.headers['retry-after']).toBeDefined();
    // The refused messages were not stored.
    expect(await me.messages(conv)).toHaveLength(6);
    // Per account: another account still gets through.
    const other = client(t, await t.auth('R20077'));
    expect((await other.send(await other.conversation(), { text: BALANCE_QUESTION })).statusCode).toBe(200);
  });
});

describe('chat API with a scripted model', () => {
  let t: TestApp;
  const model = new ScriptedModel();
  let me: ReturnType<typeof client>;
  let auth: { authorization: string };

  beforeAll(async () => {
    t = await createTestApp({}, { model });
    auth = await t.auth('R10042');
    me = client(t, auth);
  });
  afterAll(async () => t?.close());

  it('SSE events, exactly', async () => {
    model.enqueue(tools(call('getInvoice', { invoiceNumber: 'IN7654321' }, 'c1')), text('IN7654321 is overdue.', ['IN7654321 ', 'is ', 'overdue.']));
    const conv = await me.conversation();
    const res = await me.send(conv, { text: 'Show me invoice IN7654321' }, { accept: 'text/event-stream' });
    const events = parseSse(res.body);
    const stored = await me.messages(conv);
    const card = stored[1]!.cards[0]!;
    expect(card).toMatchObject({ type: 'invoice', invoiceNumber: 'IN7654321' });
    const finished = events[1];
    expect(events).toStrictEqual([
      { type: 'tool_started', id: 'c1', name: 'getInvoice', label: 'Looking up invoice IN7654321' },
      { type: 'tool_finished', id: 'c1', name: 'getInvoice', ok: true, latencyMs: finished?.type === 'tool_finished' ? finished.latencyMs : -1 },
      { type: 'card', card },
      { type: 'text_delta', text: 'IN7654321 ' },
      { type: 'text_delta', text: 'is ' },
      { type: 'text_delta', text: 'overdue.' },
      { type: 'completed', messageId: stored[1]!.id, text: 'IN7654321 is overdue.', cards: [card] },
    ]);
    model.assertComplete();
  });

  it('a client that disconnects mid-stream loses nothing: the turn completes and is stored', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const conv = await me.conversation();

    let firstChunk = '';
    let clientGone!: () => void;
    const gone = new Promise<void>((r) => (clientGone = r));
    const modelCalls = model.requests.length;
    model.enqueue(
      tools(call('getInvoice', { invoiceNumber: 'IN7654321' }, 'd1')),
      // The answer only comes once the client has hung up.
      respond(async () => {
        await gone;
        await new Promise((r) => setTimeout(r, 50));
        return { text: 'IN7654321: $1,234.56 is due.' };
      }),
    );

    const req = http.request(`${address}/v1/chat/conversations/${conv}/messages`, {
      method: 'POST',
      headers: { ...auth, accept: 'text/event-stream', 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      res.once('data', (chunk: Buffer) => {
        firstChunk = chunk.toString('utf8');
        req.destroy();
      });
    });
    req.on('error', () => undefined);
    req.on('close', () => clientGone());
    req.end(JSON.stringify({ text: 'Show me invoice IN7654321' }));
    await gone;
    expect(firstChunk.length).toBeGreaterThan(0);

    let stored: StoredMessageJson[] = [];
    for (let i = 0; i < 100 && stored.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      stored = await me.messages(conv);
    }
    expect(stored.map((m) => [m.role, m.text, m.status])).toStrictEqual([
      ['user', 'Show me invoice IN7654321', 'complete'],
      ['assistant', 'IN7654321: $1,234.56 is due.', 'complete'],
    ]);
    expect(stored[1]!.cards.map((c) => (c.type === 'invoice' ? c.invoiceNumber : c.type))).toStrictEqual(['IN7654321']);
    expect(model.requests.length - modelCalls).toBe(2);
    expect((await auditRows(t, stored[1]!.id)).map((r) => [r.call_id, r.name, r.outcome])).toStrictEqual([['d1', 'getInvoice', 'ok']]);
  });
});
