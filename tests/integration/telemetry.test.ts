import http from 'node:http';
import type net from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { http as mswHttp, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testConfig } from '../../src/config.js';
import { signSessionToken } from '../../src/identity/session.js';
import { fastifyTracing, startTracing, stopTracing, tracingEnabled } from '../../src/telemetry/tracing.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';
import { mockChatCompletions, OPENAI_TEST_ENV, OPENAI_TEST_MODEL } from '../helpers/openai-msw.js';
import { spawnServer, type ServerProcess } from '../helpers/server-process.js';

/**
 * Traces: the span shape of real chat turns (offline engine, and the OpenAI path through the real
 * SDK and msw) read from an in-memory exporter; what LOG_PROMPTS changes; nothing recorded with
 * tracing off; and a real `src/server.ts` process exporting OTLP/HTTP to a local receiver, with
 * its request, agent and (on PostgreSQL) pg spans in one trace.
 */

const CARD = '4111 1111 1111 1111';

// One exporter per provider: a provider's shutdown (stopTracing) also stops its exporter.
let exporter = new InMemorySpanExporter();
const msw = setupServer();

function byName(spans: readonly ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((s) => s.name === name);
}

function one(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = byName(spans, name);
  expect(found.map((s) => s.name), `spans: ${spans.map((s) => s.name).join(', ')}`).toEqual([name]);
  return found[0]!;
}

function parentOf(s: ReadableSpan): string | undefined {
  return s.parentSpanContext?.spanId;
}

/** Every attribute value of every span, as text (to prove what is not there). */
function allAttributeText(spans: readonly ReadableSpan[]): string {
  return JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })));
}

async function turn(t: TestApp, text: string, headers: Record<string, string> = {}): Promise<{ text: string }> {
  const auth = await t.auth('R10042');
  const conv = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers: auth });
  expect(conv.statusCode, conv.body).toBe(201);
  const id = conv.json<{ id: string }>().id;
  const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${id}/messages`, headers: { ...auth, ...headers }, payload: { text } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ text: string }>();
}

describe('traces of a chat turn (in-memory exporter)', () => {
  let offline: TestApp;
  let openai: TestApp;

  beforeAll(async () => {
    expect(startTracing(testConfig(), { exporter })).toBe(true);
    msw.listen({ onUnhandledRequest: 'error' });
    offline = await createTestApp();
    openai = await createTestApp(OPENAI_TEST_ENV);
  }, 120_000);

  afterAll(async () => {
    await offline?.close();
    await openai?.close();
    msw.close();
    await stopTracing();
  });

  it('offline engine: request span → invoke_agent → chat offline and execute_tool spans, GenAI attributes, no message text', async () => {
    exporter.reset();
    const question = 'what is my balance?';
    await turn(offline, question);
    const spans = exporter.getFinishedSpans();

    const request = one(spans, 'POST /v1/chat/conversations/:id/messages');
    expect(request.kind).toBe(SpanKind.SERVER);
    expect(request.attributes['http.route']).toBe('/v1/chat/conversations/:id/messages');

    const agent = one(spans, 'invoke_agent billing-assistant');
    expect(agent.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(agent.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.provider.name': 'offline',
      'gen_ai.request.model': 'offline',
      'gen_ai.agent.name': 'billing-assistant',
      'billing_assistant.turn.stop_reason': 'answered',
    });
    expect(typeof agent.attributes['gen_ai.conversation.id']).toBe('string');
    // The agent span sits inside the request's trace, under the route handler.
    const ancestors = new Set<string>();
    for (let p = parentOf(agent); p; p = parentOf(spans.find((s) => s.spanContext().spanId === p)!)) ancestors.add(p);
    expect(ancestors.has(request.spanContext().spanId)).toBe(true);

    const chats = byName(spans, 'chat offline');
    expect(chats.length).toBeGreaterThanOrEqual(2);
    for (const c of chats) {
      expect(c.kind).toBe(SpanKind.CLIENT);
      expect(parentOf(c)).toBe(agent.spanContext().spanId);
      expect(c.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'offline', 'gen_ai.request.model': 'offline' });
    }
    expect(chats.map((c) => c.attributes['gen_ai.response.finish_reasons'])).toEqual([...chats.slice(0, -1).map(() => ['tool_calls']), ['stop']]);

    const tool = one(spans, 'execute_tool getBalance');
    expect(parentOf(tool)).toBe(agent.spanContext().spanId);
    expect(tool.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'getBalance',
      'gen_ai.tool.type': 'function',
      'billing_assistant.tool.outcome': 'ok',
    });
    expect(typeof tool.attributes['gen_ai.tool.call.id']).toBe('string');

    // Without LOG_PROMPTS: no message text, prompt or tool payload on any span.
    const text = allAttributeText(spans);
    expect(text).not.toContain(question);
    expect(text).not.toContain('gen_ai.input.messages');
    expect(text).not.toContain('gen_ai.output.messages');
    expect(text).not.toContain('gen_ai.tool.call.arguments');
    expect(text).not.toContain('gen_ai.tool.call.result');
  });

  it('OpenAI path (real SDK, msw): chat gpt-test spans with token usage, server and response model; tool span per call', async () => {
    const m = mockChatCompletions([
      { toolCalls: [{ id: 'call_bal_1', name: 'getBalance', arguments: '{}' }], usage: { prompt_tokens: 321, completion_tokens: 12, cached_tokens: 64 } },
      { text: 'Your balance is shown above.', usage: { prompt_tokens: 400, completion_tokens: 9 } },
    ]);
    msw.use(m.handler);
    exporter.reset();
    await turn(openai, 'balance please');
    expect(m.remainingSteps()).toBe(0);
    const spans = exporter.getFinishedSpans();

    const agent = one(spans, 'invoke_agent billing-assistant');
    expect(agent.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': OPENAI_TEST_MODEL,
      'gen_ai.usage.input_tokens': 721,
      'gen_ai.usage.output_tokens': 21,
      'billing_assistant.turn.rounds': 2,
    });

    const chats = byName(spans, `chat ${OPENAI_TEST_MODEL}`);
    expect(chats).toHaveLength(2);
    const [first, second] = [...chats].sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
    expect(first!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': OPENAI_TEST_MODEL,
      'gen_ai.response.model': OPENAI_TEST_MODEL,
      'gen_ai.response.id': 'chatcmpl-test-0',
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'gen_ai.usage.input_tokens': 321,
      'gen_ai.usage.output_tokens': 12,
      'gen_ai.usage.cache_read.input_tokens': 64,
      'server.address': 'openai.test',
      'server.port': 80,
    });
    expect(second!.attributes).toMatchObject({ 'gen_ai.response.finish_reasons': ['stop'], 'gen_ai.usage.input_tokens': 400, 'gen_ai.usage.output_tokens': 9 });

    const tool = one(spans, 'execute_tool getBalance');
    expect(tool.attributes['gen_ai.tool.call.id']).toBe('call_bal_1');
    expect(parentOf(tool)).toBe(agent.spanContext().spanId);
  });

  it('OpenAI path: a model that stays unavailable marks the chat and agent spans as errors', async () => {
    msw.use(mswHttp.post(`${OPENAI_TEST_ENV['OPENAI_BASE_URL']}/chat/completions`, () => new HttpResponse(null, { status: 503 })));
    exporter.reset();
    await turn(openai, 'balance please');
    const spans = exporter.getFinishedSpans();
    const chat = one(spans, `chat ${OPENAI_TEST_MODEL}`);
    expect(chat.status.code).toBe(2);
    expect(chat.attributes['error.type']).toBe('ModelError');
    const agent = one(spans, 'invoke_agent billing-assistant');
    expect(agent.attributes['billing_assistant.turn.stop_reason']).toBe('model_error');
    expect(agent.status.code).toBe(2);
  });

  it('a streamed turn (server-sent events, a hijacked reply) still ends and exports its request span', async () => {
    const auth = await offline.auth('R10042');
    const conv = await offline.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers: auth });
    const id = conv.json<{ id: string }>().id;
    exporter.reset();
    const res = await offline.app.inject({
      method: 'POST',
      url: `/v1/chat/conversations/${id}/messages`,
      headers: { ...auth, accept: 'text/event-stream' },
      payload: { text: 'what is my balance?' },
    });
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.body).toContain('event: completed');
    const spans = exporter.getFinishedSpans();
    const request = one(spans, 'POST /v1/chat/conversations/:id/messages');
    expect(request.attributes['http.response.status_code']).toBe(200);
    const agent = one(spans, 'invoke_agent billing-assistant');
    expect(agent.spanContext().traceId).toBe(request.spanContext().traceId);
  });

  it('continues the caller\'s trace from a traceparent header', async () => {
    exporter.reset();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await turn(offline, 'what is my balance?', { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    const spans = exporter.getFinishedSpans();
    expect(one(spans, 'POST /v1/chat/conversations/:id/messages').spanContext().traceId).toBe(traceId);
    expect(one(spans, 'invoke_agent billing-assistant').spanContext().traceId).toBe(traceId);
  });

  it('probes and scrapes make no spans', async () => {
    exporter.reset();
    for (const url of ['/healthz', '/readyz', '/metrics']) expect((await offline.app.inject({ method: 'GET', url })).statusCode).toBe(200);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

describe('traces with LOG_PROMPTS', () => {
  let t: TestApp;
  beforeAll(async () => {
    exporter = new InMemorySpanExporter();
    expect(startTracing(testConfig({ LOG_PROMPTS: 'true' }), { exporter })).toBe(true);
    t = await createTestApp({ LOG_PROMPTS: 'true' });
  }, 90_000);
  afterAll(async () => {
    await t?.close();
    await stopTracing();
  });

  it('carries the message, the answer and tool payloads; a card number never reaches a span', async () => {
    exporter.reset();
    const question = 'what is my balance?';
    const reply = await turn(t, question);
    let spans = exporter.getFinishedSpans();
    const agent = one(spans, 'invoke_agent billing-assistant');
    expect(JSON.parse(String(agent.attributes['gen_ai.input.messages']))).toEqual([{ role: 'user', parts: [{ type: 'text', content: question }] }]);
    expect(JSON.parse(String(agent.attributes['gen_ai.output.messages']))).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: reply.text }] }]);
    const tool = one(spans, 'execute_tool getBalance');
    expect(tool.attributes['gen_ai.tool.call.arguments']).toBe('{}');
    expect(String(tool.attributes['gen_ai.tool.call.result'])).toContain('balance');

    exporter.reset();
    await turn(t, `pay IN7654321 with ${CARD} exp 12/29 cvc 123`);
    spans = exporter.getFinishedSpans();
    expect(spans.length).toBeGreaterThan(0);
    expect(allAttributeText(spans)).not.toMatch(/4111[\s-]*1111/);
  });
});

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('registers nothing and records no span through a whole turn', async () => {
    exporter = new InMemorySpanExporter();
    expect(startTracing(testConfig())).toBe(false);
    expect(tracingEnabled()).toBe(false);
    expect(fastifyTracing()).toBeNull();
    exporter.reset();
    const t = await createTestApp();
    try {
      await turn(t, 'what is my balance?');
    } finally {
      await t.close();
    }
    expect(exporter.getFinishedSpans()).toEqual([]);
  }, 90_000);
});

// ---------------------------------------------------------------------------------------------
// A real server process exporting OTLP/HTTP.

const mode = inject('dbMode');

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}
interface OtlpRequest {
  resourceSpans: Array<{ resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
}

function attr(a: OtlpSpan['attributes'], key: string): unknown {
  const v = a.find((x) => x.key === key)?.value;
  return v ? Object.values(v)[0] : undefined;
}

describe(`OTLP/HTTP export from a src/server.ts process on ${mode === 'postgres' ? 'PostgreSQL' : 'PGlite'}`, () => {
  let server: ServerProcess;
  let base = '';
  let receiver: http.Server;
  const received: Array<{ path: string; contentType: string; body: OtlpRequest }> = [];
  let database: Awaited<ReturnType<typeof freshDatabase>> | null = null;

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: JSON.parse(body) as OtlpRequest });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const otlpPort = (receiver.address() as net.AddressInfo).port;

    const env: NodeJS.ProcessEnv = {
      LOG_LEVEL: 'warn',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
      OTEL_SERVICE_NAME: 'ba-telemetry-test',
    };
    if (mode === 'postgres') {
      database = await freshDatabase({ empty: true });
      env['DATABASE_URL'] = database.url;
    }
    server = await spawnServer({ tmpPrefix: 'ba-otel-', env });
    base = server.url;
    await server.waitForStart((s) => s.output.includes('Billing Assistant on'), 'the service to start', 150_000);
  }, 180_000);

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await new Promise<void>((r) => receiver?.close(() => r()));
    await database?.close();
  });

  it('sends the request, agent and tool spans of a turn (one trace) to <endpoint>/v1/traces as OTLP JSON, flushed on SIGTERM', async () => {
    const token = await signSessionToken(testConfig(), { accountId: 'R10042', userId: 'jordan@mycompany.com' });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const conv = await fetch(`${base}/v1/chat/conversations`, { method: 'POST', headers, body: '{}' });
    expect(conv.status).toBe(201);
    const { id } = (await conv.json()) as { id: string };
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const res = await fetch(`${base}/v1/chat/conversations/${id}/messages`, {
      method: 'POST',
      headers: { ...headers, traceparent: `00-${traceId}-b7ad6b7169203331-01` },
      body: JSON.stringify({ text: 'what is my balance?' }),
    });
    expect(res.status).toBe(200);

    // /metrics answers in Prometheus text on the same process and counted the turn.
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toMatch(/^billing_assistant_chat_turns_total\{stop_reason="answered"\} 1$/m);

    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);

    expect(received.length).toBeGreaterThan(0);
    for (const r of received) {
      expect(r.path).toBe('/v1/traces');
      expect(r.contentType).toMatch(/^application\/json/);
    }
    const resourceSpans = received.flatMap((r) => r.body.resourceSpans);
    expect(attr(resourceSpans[0]!.resource.attributes, 'service.name')).toBe('ba-telemetry-test');
    const spans = resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)).filter((s) => s.traceId === traceId);
    const names = spans.map((s) => s.name);
    expect(names).toContain('POST /v1/chat/conversations/:id/messages');
    expect(names).toContain('invoke_agent billing-assistant');
    expect(names).toContain('chat offline');
    expect(names).toContain('execute_tool getBalance');
    const agent = spans.find((s) => s.name === 'invoke_agent billing-assistant')!;
    expect(attr(agent.attributes, 'gen_ai.operation.name')).toBe('invoke_agent');
    expect(attr(agent.attributes, 'gen_ai.provider.name')).toBe('offline');
    // Probes are not traced.
    expect(resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)).some((s) => s.name.includes('/metrics'))).toBe(false);

    // pg is patched although the server is an ES module (src/telemetry/register.ts): its queries
    // (PGlite's too: src/db/index.ts speaks to it through pg) are children in the turn's trace,
    // statements with placeholders and no parameter values.
    const pgSpans = spans.filter((s) => s.name.startsWith('pg.query'));
    expect(pgSpans.length, names.join(', ')).toBeGreaterThan(0);
    const ids = new Set(spans.map((s) => s.spanId));
    for (const s of pgSpans) expect(ids.has(s.parentSpanId ?? '')).toBe(true);
    const statements = pgSpans.map((s) => String(attr(s.attributes, 'db.statement') ?? attr(s.attributes, 'db.query.text')));
    expect(statements.some((q) => q.includes('$1'))).toBe(true);
    expect(pgSpans.some((s) => s.attributes.some((a) => a.key.startsWith('db.query.parameter') || a.key === 'db.postgresql.values'))).toBe(false);
    expect(JSON.stringify(pgSpans)).not.toContain('R10042');
  }, 60_000);
});
