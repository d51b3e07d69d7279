import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely, type Transaction } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { fixedClock } from '../../src/billing/dates.js';
import { testConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/index.js';
import type { DB } from '../../src/db/schema.js';
import { decodeCursor, encodeCursor, feedHead, readEvents, type EventCursor } from '../../src/eventlog/feed.js';
import { recordEvent } from '../../src/eventlog/store.js';
import { signOperatorToken, type OpsScope } from '../../src/identity/operator.js';
import { retryDelayMs } from '../../src/ops-webhooks/worker.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';
import {
  createPaymentsTestApp,
  deliver,
  expectOutcome,
  newInvoice,
  paidSession,
  payToken,
  pressPay,
  sessionsOf,
  stripeEvent,
  type PaymentsTestApp,
} from '../helpers/payments.js';

/**
 * Must show 3 of issue 18: events out. A sandbox payment appears once in GET /v1/ops/events
 * (replays add nothing); the outbound webhook reaches a local receiver and verifies per
 * Standard Webhooks; a failing receiver is retried with backoff and its attempts are listed; two
 * workers over one database never send one delivery at the same time; and the feed's cursor
 * never skips an event whose transaction commits after a later one's (PostgreSQL).
 */

const onServer = inject('dbMode') === 'postgres';
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const BASE_MS = 100;

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/** A local HTTP receiver: `reply(path, n)` says the status (and a delay) of the n-th request (1-based) to a path. */
async function startReceiver(reply: (path: string, n: number) => { status: number; delayMs?: number }) {
  const received: Received[] = [];
  const counts = new Map<string, number>();
  const inFlight = new Map<string, number>();
  let maxSameIdInFlight = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const id = headers['webhook-id'] ?? '';
      inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
      maxSameIdInFlight = Math.max(maxSameIdInFlight, inFlight.get(id)!);
      received.push({ path, headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const { status, delayMs = 0 } = reply(path, n);
      setTimeout(() => {
        inFlight.set(id, inFlight.get(id)! - 1);
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    maxSameIdInFlight: () => maxSameIdInFlight,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface EventJson {
  id: string;
  type: string;
  timestamp: string;
  accountId: string | null;
  data: Record<string, unknown>;
}
interface DeliveryJson {
  id: string;
  eventId: string;
  url: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  attemptLog: Array<{ attempt: number; startedAt: string; statusCode: number | null; outcome: string }>;
}

const webhookEnv = (urls: string[], extra: Record<string, string> = {}) => ({
  OPS_WEBHOOK_URLS: urls.join(','),
  OPS_WEBHOOK_SECRET: SECRET,
  OPS_WEBHOOK_POLL_MS: '50',
  OPS_WEBHOOK_RETRY_BASE_MS: String(BASE_MS),
  OPS_WEBHOOK_MAX_ATTEMPTS: '3',
  OPS_WEBHOOK_TIMEOUT_MS: '2000',
  ...extra,
});

async function opsHeaders(t: { config: PaymentsTestApp['config'] }, scopes: OpsScope[] = ['billing:read']) {
  return { authorization: `Bearer ${await signOperatorToken(t.config, { operatorId: 'billing-system', scopes })}` };
}

/** Every event of the feed from the start (or `after`), following `next`. */
async function readFeed(app: FastifyInstance, headers: Record<string, string>, after?: string): Promise<{ items: EventJson[]; next: string }> {
  const items: EventJson[] = [];
  let cursor = after;
  for (;;) {
    const res = await app.inject({ method: 'GET', url: `/v1/ops/events?limit=2${cursor ? `&after=${cursor}` : ''}`, headers });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json<{ items: EventJson[]; next: string; hasMore: boolean }>();
    items.push(...page.items);
    cursor = page.next;
    if (!page.hasMore) return { items, next: page.next };
  }
}

async function deliveries(app: FastifyInstance, headers: Record<string, string>, query = ''): Promise<DeliveryJson[]> {
  const res = await app.inject({ method: 'GET', url: `/v1/ops/webhook-deliveries${query}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: DeliveryJson[] }>().items;
}

describe('events out: the feed and signed webhooks after a sandbox payment', () => {
  let t: PaymentsTestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    // /ok answers 204; /flaky 500 twice, then 200; /down always 503.
    receiver = await startReceiver((path, n) => ({ status: path === '/ok' ? 204 : path === '/flaky' ? (n <= 2 ? 500 : 200) : 503 }));
    t = await createPaymentsTestApp({ env: webhookEnv([`${receiver.base}/ok`, `${receiver.base}/flaky`, `${receiver.base}/down?token=secret-in-query`]) });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('payment.completed once with the invoice and amount; replays add nothing; the webhook verifies; retries back off and are listed', async () => {
    const headers = await opsHeaders(t);
    const before = await readFeed(t.app, headers);

    // A sandbox payment: the pay link, Pay, then "success" on the sandbox page (a signed Stripe-format event through the webhook).
    const number = await newInvoice(t, 'R10042', 12_345n);
    const location = String((await pressPay(t, payToken(t, number))).headers.location);
    const paid = await t.app.inject({ method: 'POST', url: location, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'outcome=success' });
    expect(paid.statusCode, paid.body).toBe(303);

    // Replays: the same processor event again, and another paid event for the same session.
    const session = (await sessionsOf(t, number))[0]!;
    const stored = await t.database.db.selectFrom('stripe_events').select('id').where('session_id', '=', session.id).executeTakeFirstOrThrow();
    const object = paidSession({
      id: session.id,
      amount_total: 12_345,
      amount_subtotal: 12_345,
      metadata: { accountId: 'R10042', invoiceNumber: number, amountCents: '12345' },
    });
    const secret = { secret: t.config.STRIPE_WEBHOOK_SECRET };
    expectOutcome(await deliver(t.app, stripeEvent('checkout.session.completed', object, stored.id), secret), 'duplicate');
    expectOutcome(await deliver(t.app, stripeEvent('checkout.session.async_payment_succeeded', object), secret), 'already_applied');

    // The feed may hold an event back for the few milliseconds an older transaction (a worker's) is still open.
    const feed = await until('the payment in the feed', async () => {
      const f = await readFeed(t.app, headers, before.next);
      return f.items.some((e) => e.type === 'payment.completed') && f;
    });
    const payments = feed.items.filter((e) => e.type === 'payment.completed');
    expect(payments).toHaveLength(1);
    // And in the table itself (every committed row, whatever the feed's watermark holds back): one.
    const rows = await t.database.db.selectFrom('events').select('event_id').where('type', '=', 'payment.completed').where(sql<boolean>`payload->>'invoiceNumber' = ${number}`).execute();
    expect(rows.map((r) => r.event_id)).toStrictEqual([payments[0]!.id]);
    const event = payments[0]!;
    expect(event).toMatchObject({ type: 'payment.completed', accountId: 'R10042', data: { invoiceNumber: number, amountCents: 12_345, allocatedCents: 12_345, creditCents: 0, currency: 'CAD' } });
    expect(event.id).toMatch(/^evt_[a-p]{32}$/);
    // Reading again from the start gives the same event with the same id (at-least-once, stable ids).
    expect((await readFeed(t.app, headers)).items.filter((e) => e.id === event.id)).toStrictEqual([event]);

    // The webhook to /ok: one POST, verified with the Standard Webhooks library, carrying the feed's event.
    const ok = await until('the delivery to /ok', async () => receiver.received.find((r) => r.path === '/ok' && r.headers['webhook-id'] === event.id));
    expect(new Webhook(SECRET).verify(ok.body, ok.headers)).toStrictEqual(event);
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 8).toString('base64')}`).verify(ok.body, ok.headers)).toThrow();
    expect(() => new Webhook(SECRET).verify(ok.body.replace('12345', '12346'), ok.headers)).toThrow();

    // /flaky: 500, 500, then 200; /down: 503 three times, then failed. Same webhook-id on every attempt.
    const listed = await until('the retries to settle', async () => {
      const all = (await deliveries(t.app, headers)).filter((d) => d.eventId === event.id);
      return all.length === 3 && all.every((d) => d.status !== 'pending') ? all : undefined;
    });
    const by = (p: string) => listed.find((d) => new URL(d.url).pathname === p)!;
    expect(by('/ok')).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 204 });
    expect(by('/flaky')).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200 });
    expect(by('/flaky').attemptLog.map((a) => [a.attempt, a.statusCode, a.outcome])).toStrictEqual([
      [1, 500, 'retry'],
      [2, 500, 'retry'],
      [3, 200, 'delivered'],
    ]);
    expect(by('/down')).toMatchObject({ status: 'failed', attempts: 3, lastStatusCode: 503 });
    expect(by('/down').attemptLog.map((a) => a.outcome)).toStrictEqual(['retry', 'retry', 'failed']);
    // The listed URL keeps no query string (it may carry a token).
    expect(by('/down').url).toBe(`${receiver.base}/down?…`);
    // Backoff: attempt n+1 starts at least 0.75·base·2^(n−1) after attempt n (jitter is ±25%).
    for (const d of [by('/flaky'), by('/down')]) {
      const starts = d.attemptLog.map((a) => Date.parse(a.startedAt));
      expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(0.75 * BASE_MS - 5);
      expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(0.75 * BASE_MS * 2 - 5);
    }
    const flakyPosts = receiver.received.filter((r) => r.path === '/flaky' && r.headers['webhook-id'] === event.id);
    expect(flakyPosts).toHaveLength(3);
    for (const p of flakyPosts) expect(new Webhook(SECRET).verify(p.body, p.headers)).toStrictEqual(event);

    // Listing by status, and paging with nextCursor.
    expect((await deliveries(t.app, headers, '?status=failed')).map((d) => d.eventId)).toContain(event.id);
    const first = await t.app.inject({ method: 'GET', url: '/v1/ops/webhook-deliveries?limit=1', headers });
    const next = first.json<{ nextCursor: string | null }>().nextCursor;
    expect(next).toMatch(/^\d+$/);
    const second = await t.app.inject({ method: 'GET', url: `/v1/ops/webhook-deliveries?limit=1&cursor=${next}`, headers });
    expect(second.json<{ items: DeliveryJson[] }>().items[0]!.id).not.toBe(first.json<{ items: DeliveryJson[] }>().items[0]!.id);
  });

  it('alert.raised and followup.requested are in the feed too (no user words in the event)', async () => {
    const headers = await opsHeaders(t);
    const { next } = await readFeed(t.app, headers);
    const forged = paidSession({ id: 'cs_test_unknown_session_for_events', amount_total: 100, metadata: { accountId: 'R10042', invoiceNumber: 'IN7654321', amountCents: '100' } });
    expectOutcome(await deliver(t.app, stripeEvent('checkout.session.completed', forged), { secret: t.config.STRIPE_WEBHOOK_SECRET }), 'rejected');
    await t.app.services.followUps.request({ accountId: 'R10042', userId: 'jordan@mycompany.com', conversationId: null, topic: 'dispute', invoiceNumber: 'IN7654321', userWords: 'I never ordered this' });
    const items = await until('both events in the feed', async () => {
      const f = await readFeed(t.app, headers, next);
      return f.items.length >= 2 && f.items;
    });
    expect(items.map((e) => e.type)).toStrictEqual(['alert.raised', 'followup.requested']);
    expect(items[0]!.data).toMatchObject({ alert: 'payment_event_unknown_session', checkoutSessionId: 'cs_test_unknown_session_for_events' });
    expect(items[0]!.accountId).toBeNull();
    expect(items[1]).toMatchObject({ accountId: 'R10042', data: { topic: 'dispute', invoiceNumber: 'IN7654321' } });
    expect(JSON.stringify(items[1])).not.toContain('never ordered');
  });

  it('scopes and cursors: billing:read is needed, a cursor that is not ours is a 400 naming the field', async () => {
    const noRead = await opsHeaders(t, ['alerts']);
    const denied = await t.app.inject({ method: 'GET', url: '/v1/ops/events', headers: noRead });
    expect(denied.statusCode).toBe(403);
    expect(denied.json<{ error: { message: string } }>().error.message).toContain("'billing:read'");
    expect((await t.app.inject({ method: 'GET', url: '/v1/ops/webhook-deliveries', headers: noRead })).statusCode).toBe(403);
    const bad = await t.app.inject({ method: 'GET', url: '/v1/ops/events?after=bm90LWEtY3Vyc29y', headers: await opsHeaders(t) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: { message: string } }>().error.message).toMatch(/^after: /);
    expect(decodeCursor(encodeCursor({ txid: 123n, id: 45n }))).toStrictEqual({ txid: 123n, id: 45n });
  });
});

describe('retry schedule', () => {
  it('doubles from the base, with ±25% jitter, capped at 6 hours', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 1000, () => 0.5))).toStrictEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(1, 1000, () => 0)).toBe(750);
    expect(retryDelayMs(1, 1000, () => 0.999_999)).toBe(1250);
    expect(retryDelayMs(30, 30_000, () => 0.5)).toBe(6 * 3600 * 1000);
  });
});

/** An app over an existing database (a second replica), its worker polling slowly so the test drives the ticks. */
async function replica(database: Database, urls: string[]): Promise<FastifyInstance> {
  const config = testConfig({ FIXED_TODAY: TEST_TODAY, ...webhookEnv(urls, { OPS_WEBHOOK_POLL_MS: '60000' }) });
  const app = await buildApp({ config, database, clock: fixedClock(TEST_TODAY) });
  await app.ready();
  return app;
}

async function followUpEvents(db: Kysely<DB>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await db.transaction().execute((trx) => recordEvent(trx, { type: 'followup.requested', accountId: 'R10042', payload: { reference: `FU-${String(900_000 + i)}`, topic: 'other', invoiceNumber: null } }));
  }
}

describe('two workers over one database (two app instances)', () => {
  let database: Database & { url?: string };
  let second: Database | null = null;
  let apps: FastifyInstance[] = [];
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 200, delayMs: 40 }));
    database = await freshDatabase();
    // PostgreSQL: each replica has its own pool; PGlite is one session, which both apps share.
    second = onServer ? await openDatabase({ url: database.url!, poolMax: 4 }) : null;
    apps = [await replica(database, [`${receiver.base}/hook`]), await replica(second ?? database, [`${receiver.base}/hook`])];
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await second?.close();
    await database?.close();
    await receiver?.close();
  });

  it('never send the same event twice, nor at the same time', async () => {
    const [a, b] = apps.map((app) => app.services.opsWebhooks!);
    await followUpEvents(database.db, 25);
    // Each worker ticks on its own, as fast as it can, while the other's deliveries are in flight, until all are delivered.
    let attempted = 0;
    const allDelivered = async () => {
      const r = await database.db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'delivered').executeTakeFirstOrThrow();
      return Number(r.n) === 25;
    };
    const loop = async (w: typeof a) => {
      for (let round = 0; round < 200 && !(await allDelivered()); round++) {
        const { attempted: n } = await w!.tick();
        attempted += n;
        await new Promise((r) => setTimeout(r, Math.random() * 10));
      }
    };
    await Promise.all([loop(a), loop(b)]);
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
    // (A replica's first tick at start may have sent some: every attempt is in the table, one per delivery.)
    expect(attempted).toBeLessThanOrEqual(25);
    expect(await database.db.selectFrom('webhook_delivery_attempts').select('id').execute()).toHaveLength(25);
    expect(receiver.maxSameIdInFlight()).toBe(1);
    const rows = await database.db.selectFrom('webhook_deliveries').select(['status', 'attempts']).execute();
    expect(rows).toHaveLength(25);
    expect(rows.every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true);
  });
});

/** Transactions still held by a test (committed after it, so a failing assertion cannot leave one open). */
const holding: Array<{ commit(): Promise<void> }> = [];

/** A transaction held open until `commit()` (two of them interleave on a PostgreSQL pool). */
function heldTransaction(db: Kysely<DB>) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let opened!: (trx: Transaction<DB>) => void;
  const trx = new Promise<Transaction<DB>>((r) => (opened = r));
  const done = db.transaction().execute(async (t) => {
    opened(t);
    await gate;
  });
  const held = {
    trx,
    commit: async () => {
      release();
      await done;
    },
  };
  holding.push(held);
  return held;
}

const ref = (i: number) => ({ type: 'followup.requested' as const, accountId: 'R10042', payload: { reference: `FU-${String(800_000 + i)}` } });

describe.runIf(onServer)('commit order: the cursor never skips an event that commits late (PostgreSQL)', () => {
  let database: Database;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterEach(async () => {
    for (const held of holding.splice(0)) await held.commit();
  });
  afterAll(async () => database?.close());

  async function read(after: EventCursor) {
    return readEvents(database.db, { after, limit: 100 });
  }

  it('a smaller id committed after a larger one is still read, after it', async () => {
    const start = await feedHead(database.db);
    const t1 = heldTransaction(database.db);
    const e1 = await recordEvent(await t1.trx, ref(1));
    const t2 = heldTransaction(database.db);
    const e2 = await recordEvent(await t2.trx, ref(2));
    expect(e1.id < e2.id).toBe(true);
    await t2.commit();
    // Ordered by id alone, a reader would hand out e2 now and never see e1. The watermark holds e2 back.
    const early = await read(start);
    expect(early.events).toStrictEqual([]);
    expect(early.next).toStrictEqual(start);
    await t1.commit();
    expect((await read(early.next)).events.map((e) => e.eventId)).toStrictEqual([e1.eventId, e2.eventId]);
  });

  it('an older transaction that commits first is read first; the younger one follows, even with the smaller id', async () => {
    const start = await feedHead(database.db);
    const older = heldTransaction(database.db);
    const olderTrx = await older.trx;
    await olderTrx.selectNoFrom((eb) => eb.fn<string>('pg_current_xact_id', []).as('xid')).execute(); // takes its transaction id first
    const younger = heldTransaction(database.db);
    const small = await recordEvent(await younger.trx, ref(3));
    const large = await recordEvent(olderTrx, ref(4));
    expect(small.id < large.id).toBe(true);
    await older.commit();
    const first = await read(start);
    expect(first.events.map((e) => e.eventId)).toStrictEqual([large.eventId]);
    await younger.commit();
    // A cursor by id would now ask for ids after large.id and miss `small` for good.
    expect((await read(first.next)).events.map((e) => e.eventId)).toStrictEqual([small.eventId]);
  });

  it('a reader polling while 40 transactions commit in random order sees every event exactly once', async () => {
    let cursor = await feedHead(database.db);
    const seen: string[] = [];
    let writing = true;
    const reader = (async () => {
      while (writing || seen.length < 40) {
        const page = await read(cursor);
        seen.push(...page.events.map((e) => e.eventId));
        cursor = page.next;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const written = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        database.db.transaction().execute(async (trx) => {
          await new Promise((r) => setTimeout(r, Math.random() * 20));
          const e = await recordEvent(trx, ref(100 + i));
          await new Promise((r) => setTimeout(r, Math.random() * 30));
          return e.eventId;
        }),
      ),
    );
    writing = false;
    await Promise.race([reader, new Promise((_, rej) => setTimeout(() => rej(new Error(`reader saw ${seen.length} of 40`)), 10_000))]);
    expect(seen).toHaveLength(40);
    expect([...seen].sort()).toStrictEqual([...written].sort());
  });
});
