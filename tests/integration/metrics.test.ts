import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { fixedClock } from '../../src/billing/dates.js';
import { testConfig, type Config } from '../../src/config.js';
import type { Database } from '../../src/db/index.js';
import { trackStream } from '../../src/telemetry/metrics.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';
import { deliver, stripeEvent, WEBHOOK_SECRET } from '../helpers/payments.js';

/**
 * GET /metrics: Prometheus text format, the service's metrics moving with real requests (a chat
 * turn, a 429, webhook deliveries, an open stream, the PDF pool), and who may read it (open
 * outside production; Bearer METRICS_TOKEN in production; 404 there without a token).
 */

/**
 * One sample line of the text exposition format (version 0.0.4): name, optional labels, value.
 * prom-client writes NaN as "Nan"; Prometheus reads floats with Go's ParseFloat, which takes any case.
 */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*\})? (-?[0-9.]+(?:e[+-]?[0-9]+)?|[Nn]a[Nn]|[+-]Inf)$/;

interface Exposition {
  /** name{labels} → value */
  samples: Map<string, number>;
  types: Map<string, string>;
}

/** Parses the exposition text, failing on any line that is not a comment, a HELP/TYPE line or a sample. */
function parse(text: string): Exposition {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  const helped = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line);
    if (help) {
      helped.add(help[1]!);
      continue;
    }
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      expect(helped.has(type[1]!), `TYPE before HELP: ${line}`).toBe(true);
      types.set(type[1]!, type[2]!);
      continue;
    }
    const m = SAMPLE.exec(line);
    expect(m, `not a sample line: ${JSON.stringify(line)}`).not.toBeNull();
    const key = line.slice(0, line.lastIndexOf(' '));
    expect(samples.has(key), `duplicate sample ${key}`).toBe(false);
    samples.set(key, Number(m![4]));
  }
  return { samples, types };
}

async function scrape(app: FastifyInstance, headers: Record<string, string> = {}): Promise<Exposition> {
  const res = await app.inject({ method: 'GET', url: '/metrics', headers });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parse(res.body);
}

const value = (e: Exposition, key: string) => e.samples.get(key) ?? 0;

describe('GET /metrics outside production', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_READS_PER_MINUTE: '1', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers without a token, in the Prometheus text format, with every metric of the service typed', async () => {
    const e = await scrape(t.app);
    expect(Object.fromEntries([...e.types].filter(([n]) => n.startsWith('billing_assistant_')))).toEqual({
      billing_assistant_chat_turns_total: 'counter',
      billing_assistant_tool_calls_total: 'counter',
      billing_assistant_model_call_duration_seconds: 'histogram',
      billing_assistant_model_tokens_total: 'counter',
      billing_assistant_payment_webhook_events_total: 'counter',
      billing_assistant_rate_limit_rejections_total: 'counter',
      billing_assistant_sse_open_streams: 'gauge',
      billing_assistant_pdf_pool_size: 'gauge',
      billing_assistant_pdf_pool_browsers: 'gauge',
      billing_assistant_pdf_pool_busy: 'gauge',
      billing_assistant_pdf_queue_waiting: 'gauge',
      billing_assistant_pdf_queue_max: 'gauge',
      billing_assistant_pdf_rejected: 'gauge',
    });
    // Node's own metrics come along (event-loop lag, heap).
    expect(e.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    // The app's PDF pool, not started yet: its configured size and queue bound, no browser.
    expect(value(e, 'billing_assistant_pdf_pool_size')).toBe(t.app.services.config.PDF_POOL_SIZE);
    expect(value(e, 'billing_assistant_pdf_queue_max')).toBe(t.app.services.config.PDF_QUEUE_MAX);
    expect(value(e, 'billing_assistant_pdf_pool_browsers')).toBe(0);
  });

  it('counts a chat turn by stop reason, its tool calls by outcome, and the model calls', async () => {
    const before = await scrape(t.app);
    const auth = await t.auth('R10042');
    const conv = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers: auth });
    const id = conv.json<{ id: string }>().id;
    const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${id}/messages`, headers: auth, payload: { text: 'what is my balance?' } });
    expect(res.statusCode, res.body).toBe(200);
    const after = await scrape(t.app);
    const delta = (key: string) => value(after, key) - value(before, key);
    expect(delta('billing_assistant_chat_turns_total{stop_reason="answered"}')).toBe(1);
    expect(delta('billing_assistant_tool_calls_total{tool="getBalance",outcome="ok"}')).toBe(1);
    expect(delta('billing_assistant_model_call_duration_seconds_count{model="offline",outcome="ok"}')).toBeGreaterThanOrEqual(2);
    expect(value(after, 'billing_assistant_model_call_duration_seconds_bucket{le="+Inf",model="offline",outcome="ok"}')).toBe(
      value(after, 'billing_assistant_model_call_duration_seconds_count{model="offline",outcome="ok"}'),
    );
  });

  it('counts a 429 by limit family', async () => {
    const before = await scrape(t.app);
    const auth = await t.auth('R20077');
    const codes = [];
    for (let i = 0; i < 2; i++) codes.push((await t.app.inject({ method: 'GET', url: '/v1/billing/balance', headers: auth })).statusCode);
    expect(codes).toEqual([200, 429]);
    const after = await scrape(t.app);
    expect(value(after, 'billing_assistant_rate_limit_rejections_total{family="reads"}') - value(before, 'billing_assistant_rate_limit_rejections_total{family="reads"}')).toBe(1);
  });

  it('counts webhook deliveries by outcome, a bad signature included', async () => {
    const before = await scrape(t.app);
    const ignored = await deliver(t.app, stripeEvent('customer.created', { id: 'cus_1', object: 'customer' }));
    expect(ignored.json<{ outcome: string }>().outcome).toBe('ignored');
    const forged = await deliver(t.app, stripeEvent('checkout.session.completed', { id: 'cs_x', object: 'checkout.session' }), { secret: 'whsec_not_the_right_secret_000000' });
    expect(forged.statusCode).toBe(400);
    const after = await scrape(t.app);
    const delta = (outcome: string) =>
      value(after, `billing_assistant_payment_webhook_events_total{outcome="${outcome}"}`) - value(before, `billing_assistant_payment_webhook_events_total{outcome="${outcome}"}`);
    expect(delta('ignored')).toBe(1);
    expect(delta('signature_invalid')).toBe(1);
  });

  it('shows open streams (trackStream: one decrement per stream, however often it is ended)', async () => {
    const base = value(await scrape(t.app), 'billing_assistant_sse_open_streams');
    const end1 = trackStream();
    const end2 = trackStream();
    expect(value(await scrape(t.app), 'billing_assistant_sse_open_streams')).toBe(base + 2);
    end1();
    end1();
    expect(value(await scrape(t.app), 'billing_assistant_sse_open_streams')).toBe(base + 1);
    end2();
    expect(value(await scrape(t.app), 'billing_assistant_sse_open_streams')).toBe(base);
  });

  it('counts a real live-update stream while it is open, and not after the client leaves', async () => {
    // Its own app: this file's shared one has a read budget of 1 per minute.
    const own = await createTestApp();
    try {
      const base = value(await scrape(own.app), 'billing_assistant_sse_open_streams');
      const auth = await own.auth('R10042');
      const conv = await own.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers: auth });
      expect(conv.statusCode, conv.body).toBe(201);
      const address = await own.app.listen({ host: '127.0.0.1', port: 0 });
      const abort = new AbortController();
      const res = await fetch(`${address}/v1/chat/conversations/${conv.json<{ id: string }>().id}/events`, { headers: auth, signal: abort.signal });
      expect(res.status).toBe(200);
      expect(value(await scrape(own.app), 'billing_assistant_sse_open_streams')).toBe(base + 1);
      abort.abort();
      for (let i = 0; i < 100 && value(await scrape(own.app), 'billing_assistant_sse_open_streams') !== base; i++) await new Promise((r) => setTimeout(r, 20));
      expect(value(await scrape(own.app), 'billing_assistant_sse_open_streams')).toBe(base);
    } finally {
      await own.close();
    }
  });

  it('sums the PDF pools of the apps alive and drops a pool when its app closes', async () => {
    const before = value(await scrape(t.app), 'billing_assistant_pdf_pool_size');
    const other = await createTestApp({ PDF_POOL_SIZE: '3' });
    try {
        expect(value(await scrape(t.app), 'billing_assistant_pdf_pool_size')).toBe(before + 3);
    } finally {
      await other.close();
    }
    expect(value(await scrape(t.app), 'billing_assistant_pdf_pool_size')).toBe(before);
  });
});

describe('GET /metrics in production', () => {
  let database: Database;
  const apps: FastifyInstance[] = [];
  const TOKEN = 'metrics-token-0123456789abcdef';

  /** The test configuration marked production (loadConfig would also demand Stripe, Resend and the rest). */
  async function productionApp(overrides: Partial<Config>): Promise<FastifyInstance> {
    const config: Config = { ...testConfig({ FIXED_TODAY: TEST_TODAY }), NODE_ENV: 'production', ...overrides };
    const app = await buildApp({ config, database, clock: fixedClock(TEST_TODAY) });
    await app.ready();
    apps.push(app);
    return app;
  }

  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await database?.close();
  });

  it('requires Authorization: Bearer <METRICS_TOKEN>: 401 without it or with another token', async () => {
    const app = await productionApp({ METRICS_TOKEN: TOKEN });
    const none = await app.inject({ method: 'GET', url: '/metrics' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.body).not.toContain('billing_assistant_');
    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, `Basic ${TOKEN}`, 'Bearer ']) {
      const res = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
    }
    const e = await scrape(app, { authorization: `Bearer ${TOKEN}` });
    expect(e.types.get('billing_assistant_chat_turns_total')).toBe('counter');
  });

  it('without METRICS_TOKEN there is no /metrics: 404', async () => {
    const app = await productionApp({ METRICS_TOKEN: undefined });
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('billing_assistant_');
  });
});
