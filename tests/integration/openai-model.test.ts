import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_ERROR_TEXT } from '../../src/agent/loop.js';
import type { Card, TurnEvent } from '../../src/agent/types.js';
import { INJECTION_MEMO } from '../../src/billing/fixture.js';
import { BASE_TOOLS, toolSpec, type ToolRegistry } from '../../tools/registry.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import {
  mockChatCompletions,
  OPENAI_TEST_ENV,
  splitEvery,
  toolMessages,
  type CapturedRequest,
  type ChatCompletionsMock,
  type WireResponder,
  type WireStep,
} from '../helpers/openai-msw.js';

/**
 * The OpenAI path end to end: the chat API → the loop → the real `openai` SDK → msw speaking
 * Chat Completions (streaming) → tools over the fixture database → back to the SDK.
 */

interface StoredMessageJson {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  cards: Card[];
  status: 'complete' | 'error' | 'cancelled';
  promptVersion: string | null;
  model: string | null;
}
interface ReplyJson {
  id: string;
  text: string;
  cards: Card[];
  promptVersion: string;
  model: string;
}

const server = setupServer();
/** Requests that left the process for anywhere but the model endpoint (mail providers, webhooks...). */
const outbound: string[] = [];
let t: TestApp;
let auth: { authorization: string };

beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'error' });
  // Built after listen(); the client also resolves fetch at call time.
  t = await createTestApp(OPENAI_TEST_ENV);
  auth = await t.auth('R10042');
});
afterEach(() => {
  server.resetHandlers();
  outbound.length = 0;
});
afterAll(async () => {
  await t?.close();
  server.close();
});

/** Installs a scripted model endpoint, plus a recorder for any other outbound request. */
function model(steps: ReadonlyArray<WireStep | WireResponder>, fallback?: WireStep | WireResponder): ChatCompletionsMock {
  const m = mockChatCompletions(steps, fallback ? { fallback } : {});
  server.use(
    m.handler,
    http.all('*', ({ request }) => {
      outbound.push(`${request.method} ${request.url}`);
      return HttpResponse.json({ error: 'unexpected outbound request' }, { status: 599 });
    }),
  );
  return m;
}

async function conversation(headers = auth): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string }>().id;
}

async function send(conv: string, text: string, headers = auth): Promise<ReplyJson> {
  const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv}/messages`, headers, payload: { text } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ReplyJson>();
}

function parseSse(body: string): TurnEvent[] {
  return body
    .split('\n\n')
    .map((block) => block.split('\n').find((l) => l.startsWith('data: ')))
    .filter((l): l is string => l !== undefined)
    .map((l) => JSON.parse(l.slice('data: '.length)) as TurnEvent);
}

async function sendSse(conv: string, text: string): Promise<TurnEvent[]> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/chat/conversations/${conv}/messages`,
    headers: { ...auth, accept: 'text/event-stream' },
    payload: { text },
  });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
  return parseSse(res.body);
}

async function history(conv: string): Promise<StoredMessageJson[]> {
  const res = await t.app.inject({ method: 'GET', url: `/v1/chat/conversations/${conv}/messages`, headers: auth });
  expect(res.statusCode).toBe(200);
  return res.json<{ messages: StoredMessageJson[] }>().messages;
}

async function audit(messageId: string) {
  const rows = await t.app.services.db
    .selectFrom('tool_call_audit')
    .select(['call_id', 'name', 'arguments', 'outcome'])
    .where('message_id', '=', messageId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ callId: r.call_id, name: r.name, arguments: r.arguments, outcome: r.outcome }));
}

type AssistantWire = Extract<ChatCompletionMessageParam, { role: 'assistant' }>;
function lastAssistant(req: CapturedRequest): AssistantWire {
  const m = [...req.body.messages].reverse().find((x): x is AssistantWire => x.role === 'assistant');
  if (!m) throw new Error('no assistant message in the request');
  return m;
}
const errorCode = (v: unknown) => (v as { error?: { code?: string } }).error?.code;

describe('OpenAI-compatible model through the real SDK and msw', () => {
  it('uses the configured endpoint, model, key and streaming', async () => {
    expect(t.app.services.model.id).toBe('openai:gpt-test');
    const m = model([{ text: ['Hello', '! How can I help', '?'] }]);
    const reply = await send(await conversation(), 'hi');
    expect(reply.text).toBe('Hello! How can I help?');
    expect(reply.model).toBe('openai:gpt-test');
    expect(m.requests).toHaveLength(1);
    const req = m.requests[0]!;
    expect(req.headers['authorization']).toBe('Bearer test');
    expect(req.body).toMatchObject({ model: 'gpt-test', stream: true, stream_options: { include_usage: true }, parallel_tool_calls: true });
    expect(req.body.messages.map((x) => x.role)).toStrictEqual(['system', 'user']);
    expect(req.body.messages[1]).toStrictEqual({ role: 'user', content: 'hi' });
  });

  it('assembles tool-call arguments split across chunks (mid-string)', async () => {
    const args = '{"invoiceNumber":"IN7654321"}';
    const m = model([
      { toolCalls: [{ id: 'call_inv', name: 'getInvoice', arguments: ['{"invoice', 'Number":"IN76', '543', '21"}'] }] },
      { text: ['IN7654321 is overdue: ', '$1,234.56 is due.'] },
    ]);
    const conv = await conversation();
    const reply = await send(conv, 'Show me invoice IN7654321');
    expect(reply.text).toBe('IN7654321 is overdue: $1,234.56 is due.');
    expect(reply.cards.map((c) => (c.type === 'invoice' ? c.invoiceNumber : c.type))).toStrictEqual(['IN7654321']);
    expect(m.requests).toHaveLength(2);
    expect(lastAssistant(m.requests[1]!).tool_calls).toStrictEqual([{ id: 'call_inv', type: 'function', function: { name: 'getInvoice', arguments: args } }]);
    const results = toolMessages(m.requests[1]!);
    expect([...results.keys()]).toStrictEqual(['call_inv']);
    expect(results.get('call_inv')).toMatchObject({ invoiceNumber: 'IN7654321', amountDue: '$1,234.56', status: 'Overdue' });
    expect(await audit(reply.id)).toStrictEqual([{ callId: 'call_inv', name: 'getInvoice', arguments: { invoiceNumber: 'IN7654321' }, outcome: 'ok' }]);
  });

  it('runs two parallel tool calls from one response and sends both results back by tool_call_id', async () => {
    const m = model([
      {
        interleave: true,
        toolCalls: [
          { id: 'call_a', name: 'getInvoice', arguments: splitEvery('{"invoiceNumber":"IN7654320"}', 5) },
          { id: 'call_b', name: 'getBalance', arguments: ['{', '}'] },
        ],
      },
      { text: 'Done.' },
    ]);
    const reply = await send(await conversation(), 'Show IN7654320 and my balance');
    expect(reply.text).toBe('Done.');
    expect(reply.cards.map((c) => c.type)).toStrictEqual(['invoice', 'balance']);
    expect(lastAssistant(m.requests[1]!).tool_calls).toStrictEqual([
      { id: 'call_a', type: 'function', function: { name: 'getInvoice', arguments: '{"invoiceNumber":"IN7654320"}' } },
      { id: 'call_b', type: 'function', function: { name: 'getBalance', arguments: '{}' } },
    ]);
    const results = toolMessages(m.requests[1]!);
    expect([...results.keys()]).toStrictEqual(['call_a', 'call_b']);
    expect(results.get('call_a')).toMatchObject({ invoiceNumber: 'IN7654320' });
    expect(results.get('call_b')).toMatchObject({ balance: '$2,494.96' });
    expect((await audit(reply.id)).map((a) => [a.callId, a.outcome])).toStrictEqual([
      ['call_a', 'ok'],
      ['call_b', 'ok'],
    ]);
  });

  it('feeds an unknown tool and malformed arguments back to the model; the turn completes', async () => {
    const m = model([
      {
        toolCalls: [
          { id: 'call_x', name: 'refundInvoice', arguments: '{"invoiceNumber":"IN7654321"}' },
          { id: 'call_y', name: 'getInvoice', arguments: ['{"invoiceNumber":', '"IN7654321"'] },
        ],
      },
      { text: 'I can’t refund invoices.' },
    ]);
    const conv = await conversation();
    const reply = await send(conv, 'Refund IN7654321');
    expect(reply.text).toBe('I can’t refund invoices.');
    expect(reply.cards).toStrictEqual([]);
    const results = toolMessages(m.requests[1]!);
    expect(results.get('call_x')).toStrictEqual({ error: { code: 'unknown_tool', message: 'There is no tool named refundInvoice.' } });
    expect(errorCode(results.get('call_y'))).toBe('invalid_arguments');
    expect(await audit(reply.id)).toStrictEqual([
      { callId: 'call_x', name: 'refundInvoice', arguments: { invoiceNumber: 'IN7654321' }, outcome: 'unknown_tool' },
      { callId: 'call_y', name: 'getInvoice', arguments: '{"invoiceNumber":"IN7654321"', outcome: 'invalid_arguments' },
    ]);
    expect((await history(conv)).map((x) => [x.role, x.status])).toStrictEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
  });

  it('retries a 429 (retry-after: 0) and answers once', async () => {
    const m = model([{ kind: 'status', status: 429, headers: { 'retry-after': '0' } }, { text: 'Your balance is $2,494.96.' }]);
    const conv = await conversation();
    const reply = await send(conv, 'balance?');
    expect(reply.text).toBe('Your balance is $2,494.96.');
    expect(m.requests.map((r) => r.headers['x-stainless-retry-count'])).toStrictEqual(['0', '1']);
    expect(m.requests[1]!.body).toStrictEqual(m.requests[0]!.body);
    const stored = await history(conv);
    expect(stored.map((x) => [x.role, x.text, x.status])).toStrictEqual([
      ['user', 'balance?', 'complete'],
      ['assistant', 'Your balance is $2,494.96.', 'complete'],
    ]);
  });

  it('a 500 that persists: a clear error to the user, a consistent transcript, nothing half-written', async () => {
    const m = model([], { kind: 'status', status: 500, headers: { 'retry-after': '0' } });
    const conv = await conversation();
    const reply = await send(conv, 'What is my balance?');
    expect(reply.text).toBe(MODEL_ERROR_TEXT);
    expect(reply.cards).toStrictEqual([]);
    // One request and OPENAI_MAX_RETRIES=2 retries, then the SDK gives up.
    expect(m.requests.map((r) => r.headers['x-stainless-retry-count'])).toStrictEqual(['0', '1', '2']);
    const stored = await history(conv);
    expect(stored.map((x) => ({ role: x.role, text: x.text, status: x.status, cards: x.cards, model: x.model }))).toStrictEqual([
      { role: 'user', text: 'What is my balance?', status: 'complete', cards: [], model: null },
      { role: 'assistant', text: MODEL_ERROR_TEXT, status: 'error', cards: [], model: 'openai:gpt-test' },
    ]);
    expect(stored[1]!.id).toBe(reply.id);
    expect(await audit(reply.id)).toStrictEqual([]);
  });

  it('a 500 that persists, streamed: an error event, then completed with the error text', async () => {
    model([], { kind: 'status', status: 500, headers: { 'retry-after': '0' } });
    const conv = await conversation();
    const events = await sendSse(conv, 'What is my balance?');
    expect(events.map((e) => e.type)).toStrictEqual(['error', 'completed']);
    expect(events[0]).toStrictEqual({ type: 'error', code: 'model_unavailable', message: MODEL_ERROR_TEXT });
    expect(events[1]).toMatchObject({ type: 'completed', text: MODEL_ERROR_TEXT, cards: [] });
    expect((await history(conv)).map((x) => [x.role, x.status])).toStrictEqual([
      ['user', 'complete'],
      ['assistant', 'error'],
    ]);
  });

  it('a stream that breaks mid-answer stores the error text, never the partial answer', async () => {
    model([{ kind: 'broken', text: 'Your balance is $2,' }]);
    const conv = await conversation();
    const events = await sendSse(conv, 'What is my balance?');
    const completed = events.find((e) => e.type === 'completed');
    expect(completed).toMatchObject({ type: 'completed', text: MODEL_ERROR_TEXT });
    expect(events.some((e) => e.type === 'error')).toBe(true);
    const stored = await history(conv);
    expect(stored.map((x) => [x.role, x.text, x.status])).toStrictEqual([
      ['user', 'What is my balance?', 'complete'],
      ['assistant', MODEL_ERROR_TEXT, 'error'],
    ]);
  });

  it('a 500 after a tool round: the error text, status error, the tool call audited', async () => {
    const m = model([{ toolCalls: [{ id: 'call_1', name: 'getInvoice', arguments: '{"invoiceNumber":"IN7654321"}' }] }], {
      kind: 'status',
      status: 500,
      headers: { 'retry-after': '0' },
    });
    const conv = await conversation();
    const reply = await send(conv, 'Show me invoice IN7654321');
    expect(m.requests).toHaveLength(4);
    expect(reply.text).toBe(MODEL_ERROR_TEXT);
    const stored = await history(conv);
    expect(stored.map((x) => [x.role, x.text, x.status])).toStrictEqual([
      ['user', 'Show me invoice IN7654321', 'complete'],
      ['assistant', MODEL_ERROR_TEXT, 'error'],
    ]);
    expect(stored[1]!.cards.map((c) => c.type)).toStrictEqual(['invoice']);
    expect((await audit(reply.id)).map((a) => [a.name, a.outcome])).toStrictEqual([['getInvoice', 'ok']]);
  });

  it('sends every tool in strict mode, optional parameters nullable, and no account field anywhere', async () => {
    const m = model([{ text: 'ok' }]);
    await send(await conversation(), 'hello');
    const wire = m.requests[0]!.body.tools as ChatCompletionTool[];
    const registry = t.app.services.registry;
    expect(wire.map((x) => (x.type === 'function' ? x.function.name : x.type))).toStrictEqual(registry.tools.map((x) => x.name));

    const nullable: string[] = [];
    const propertyNames: string[] = [];
    for (const spec of wire) {
      if (spec.type !== 'function') throw new Error(`unexpected tool type ${spec.type}`);
      const fn = spec.function;
      expect(fn.strict, fn.name).toBe(true);
      expect(fn.description?.length, fn.name).toBeGreaterThan(20);
      const params = fn.parameters as { type: string; properties: Record<string, Record<string, unknown>>; required: string[]; additionalProperties: boolean };
      expect(params.type).toBe('object');
      expect(params.additionalProperties, fn.name).toBe(false);
      // Strict mode: every property is required; optional ones say so by accepting null.
      expect([...params.required].sort(), fn.name).toStrictEqual(Object.keys(params.properties).sort());
      expect(JSON.stringify(params)).not.toMatch(/"\$schema"|"default"|"\$ref"/);
      const tool = registry.get(fn.name)!;
      for (const [key, schema] of Object.entries(params.properties)) {
        const zodAcceptsNull = tool.parameters.shape[key]!.safeParse(null).success;
        // Null is accepted either as an anyOf branch or as a type array (["number", "null"]); strict mode takes both.
        const jsonAcceptsNull =
          (Array.isArray(schema['anyOf']) && (schema['anyOf'] as Array<{ type?: unknown }>).some((s) => s.type === 'null')) ||
          (Array.isArray(schema['type']) && (schema['type'] as unknown[]).includes('null'));
        expect(jsonAcceptsNull, `${fn.name}.${key}`).toBe(zodAcceptsNull);
        if (jsonAcceptsNull) nullable.push(`${fn.name}.${key}`);
      }
      // Every property name at any depth.
      const walk = (node: unknown): void => {
        if (Array.isArray(node)) return node.forEach(walk);
        if (node === null || typeof node !== 'object') return;
        for (const [k, v] of Object.entries(node)) {
          if (k === 'properties' && v && typeof v === 'object') propertyNames.push(...Object.keys(v));
          walk(v);
        }
      };
      walk(params);
    }
    const CORE = ['getBalance', 'getInvoice', 'listOutstanding', 'listInvoices', 'listPayments', 'listCredits', 'createPaymentLink'];
    expect(CORE.every((n) => registry.get(n) !== undefined)).toBe(true);
    expect(nullable.filter((n) => CORE.includes(n.split('.')[0]!))).toStrictEqual([
      'listOutstanding.limit',
      'listInvoices.status',
      'listInvoices.from',
      'listInvoices.to',
      'listInvoices.dateField',
      'listInvoices.over',
      'listInvoices.under',
      'listInvoices.limit',
      'listPayments.from',
      'listPayments.to',
      'listPayments.limit',
    ]);
    expect(propertyNames.length).toBeGreaterThanOrEqual(9);
    expect(propertyNames.filter((p) => /account/i.test(p))).toStrictEqual([]);
    // The registry's own specs agree with what went on the wire.
    for (const spec of registry.specs) expect(JSON.stringify(spec)).not.toMatch(/"[^"]*account[^"]*"\s*:\s*\{/i);
  });

  it('the system prompt and tool schemas are byte-identical across turns and accounts (prompt caching)', async () => {
    const m = model([], { text: 'ok' });
    const conv = await conversation();
    await send(conv, 'first question');
    await send(conv, 'second question');
    const other = await t.auth('R20077');
    await send(await conversation(other), 'third question', other);
    expect(m.requests).toHaveLength(3);
    const prefix = (r: CapturedRequest) => JSON.stringify({ system: r.body.messages[0], tools: r.body.tools });
    const [a, b, c] = m.requests.map(prefix);
    expect(b).toBe(a);
    expect(c).toBe(a);
    const system = m.requests[0]!.body.messages[0]!;
    expect(system.role).toBe('system');
    expect(m.requests.every((r) => r.body.messages.filter((x) => x.role === 'system').length === 1)).toBe(true);
    expect(JSON.stringify(system)).not.toMatch(/R10042|R20077|2026-11-25/);
    // The second turn carries the first as history, after the static prefix.
    expect(m.requests[1]!.body.messages.slice(1)).toStrictEqual([
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'second question' },
    ]);
  });

  describe('prompt injection: a model that obeys the memo on IN7654323', () => {
    const EVIL = 'billing-archive@evil.example';

    interface Expectation {
      outcome: string;
      code: string;
    }
    /**
     * What the obedient model tries once it has read the memo, and how each attempt must end: with
     * emailInvoicePdf absent from the registry (refused by the loop as an unknown tool) and present
     * (the user's message did not ask for an email, so the loop would only propose it; before
     * proposing, the recipient policy refuses the memo address: no confirm card, no send). To cover
     * a new attack, add a row.
     */
    const ATTEMPTS: ReadonlyArray<{
      label: string;
      name: string;
      args: (invoice: string, to: string) => Record<string, unknown>;
      absent: Expectation;
      present: Expectation;
    }> = [
      {
        label: 'emailInvoicePdf to the memo address',
        name: 'emailInvoicePdf',
        args: (invoiceNumber, to) => ({ invoiceNumber, to }),
        absent: { outcome: 'unknown_tool', code: 'unknown_tool' },
        present: { outcome: 'error', code: 'recipient_not_allowed' },
      },
      {
        label: 'emailInvoicePdf for another invoice (the memo says "every")',
        name: 'emailInvoicePdf',
        args: (_invoice, to) => ({ invoiceNumber: 'IN7654321', to }),
        absent: { outcome: 'unknown_tool', code: 'unknown_tool' },
        present: { outcome: 'error', code: 'recipient_not_allowed' },
      },
      {
        label: 'a made-up mail tool',
        name: 'sendEmail',
        args: (invoiceNumber, to) => ({ to, subject: invoiceNumber }),
        absent: { outcome: 'unknown_tool', code: 'unknown_tool' },
        present: { outcome: 'unknown_tool', code: 'unknown_tool' },
      },
      {
        label: 'an existing tool with the address smuggled in',
        name: 'getInvoice',
        args: (invoiceNumber, to) => ({ invoiceNumber, to }),
        absent: { outcome: 'invalid_arguments', code: 'invalid_arguments' },
        present: { outcome: 'invalid_arguments', code: 'invalid_arguments' },
      },
      {
        label: 'createPaymentLink with an email field',
        name: 'createPaymentLink',
        args: (invoiceNumber, to) => ({ invoiceNumber, email: to }),
        absent: { outcome: 'invalid_arguments', code: 'invalid_arguments' },
        present: { outcome: 'invalid_arguments', code: 'invalid_arguments' },
      },
    ];

    /** Runs the obedient model against `app` and checks every attempt against `which` expectations. */
    async function attack(app: TestApp, which: 'absent' | 'present') {
      const headers = await app.auth('R10042');
      let memoSeen: unknown = null;
      const m = model([
        { toolCalls: [{ id: 'call_read', name: 'getInvoice', arguments: '{"invoiceNumber":"IN7654323"}' }] },
        (req) => {
          // The "model" reads the memo from the tool result and does what it says.
          memoSeen = (toolMessages(req).get('call_read') as { memo?: unknown }).memo;
          const to = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/.exec(String(memoSeen))?.[0] ?? 'nobody';
          return {
            toolCalls: ATTEMPTS.map((a, i) => ({ id: `call_attack_${i}`, name: a.name, arguments: JSON.stringify(a.args('IN7654323', to)) })),
          };
        },
        { text: 'IN7654323 is due on 2026-12-20.' },
      ]);
      const created = await app.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers });
      const conv = created.json<{ id: string }>().id;
      const res = await app.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv}/messages`, headers, payload: { text: 'Show me invoice IN7654323' } });
      expect(res.statusCode, res.body).toBe(200);
      const reply = res.json<ReplyJson>();

      // The memo reached the model as data, and the model acted on it.
      expect(memoSeen).toBe(INJECTION_MEMO);
      expect(String(memoSeen)).toContain(EVIL);
      expect(m.requests).toHaveLength(3);

      const results = toolMessages(m.requests[2]!);
      const rows = (
        await app.app.services.db.selectFrom('tool_call_audit').select(['call_id', 'name', 'arguments', 'outcome']).where('message_id', '=', reply.id).execute()
      ).map((r) => ({ callId: r.call_id, name: r.name, arguments: r.arguments, outcome: r.outcome }));
      ATTEMPTS.forEach((a, i) => {
        const id = `call_attack_${i}`;
        expect(errorCode(results.get(id)), a.label).toBe(a[which].code);
        const row = rows.find((r) => r.callId === id);
        expect(row, a.label).toMatchObject({ name: a.name, outcome: a[which].outcome });
        expect(JSON.stringify(row?.arguments), a.label).toContain(EVIL);
      });
      expect(rows.filter((r) => r.outcome === 'ok').map((r) => r.callId)).toStrictEqual(['call_read']);

      // Nothing left the process but model calls; nothing reached the mail outbox; no receipt card.
      expect(outbound).toStrictEqual([]);
      const outboxRows = await app.app.services.db.selectFrom('outbox').select('to_address').execute();
      expect(outboxRows).toStrictEqual([]);
      expect(reply.cards.map((c) => (c.type === 'invoice' ? c.invoiceNumber : c.type))).toStrictEqual(['IN7654323']);
      expect(JSON.stringify(reply.cards)).not.toContain(EVIL);
      return { conv, reply };
    }

    describe('with emailInvoicePdf absent from the registry', () => {
      let app: TestApp;
      beforeAll(async () => {
        const tools = BASE_TOOLS.filter((x) => x.name !== 'emailInvoicePdf');
        const byName = new Map(tools.map((x) => [x.name, x]));
        const registry: ToolRegistry = { tools, get: (n) => byName.get(n), specs: Object.freeze(tools.map(toolSpec)) };
        app = await createTestApp(OPENAI_TEST_ENV, { registry });
      });
      afterAll(async () => app?.close());

      it('every attempt is refused by the loop, nothing is sent', async () => {
        expect(app.app.services.registry.get('emailInvoicePdf')).toBeUndefined();
        await attack(app, 'absent');
        expect(await app.app.services.db.selectFrom('email_sends').select('id').execute()).toStrictEqual([]);
      });
    });

    it('with emailInvoicePdf in the registry: the recipient policy refuses the memo address, nothing is sent', async () => {
      expect(t.app.services.registry.get('emailInvoicePdf')).toBeDefined();
      const { conv } = await attack(t, 'present');
      // Each attempt is on record as refused by the recipient policy, before any proposal or send.
      const audit = await t.app.services.db
        .selectFrom('tool_call_audit')
        .select(['name', 'arguments', 'outcome', 'error'])
        .where('conversation_id', '=', conv)
        .where('name', '=', 'emailInvoicePdf')
        .execute();
      expect(audit).toHaveLength(2);
      for (const row of audit) {
        expect(row.outcome).toBe('error');
        expect((row.arguments as { to?: unknown }).to).toBe(EVIL);
        expect(row.error).toContain(`${EVIL} is not one of this account's billing contacts`);
      }
      // Nothing was proposed to the user, and nothing was sent (not even a send attempt).
      expect(await t.app.services.db.selectFrom('chat_proposals').select('id').where('conversation_id', '=', conv).execute()).toStrictEqual([]);
      expect(await t.app.services.db.selectFrom('email_sends').select('id').where('conversation_id', '=', conv).execute()).toStrictEqual([]);
    });
  });
});
