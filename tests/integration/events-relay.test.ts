import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { fixedClock } from '../../src/billing/dates.js';
import { testConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/index.js';
import { LISTEN_APPLICATION_NAME, listenPostgres } from '../../src/db/listen.js';
import { signSessionToken } from '../../src/identity/session.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';
import { newInvoice, payToken, pressPay, type PaymentsTestApp } from '../helpers/payments.js';

/**
 * Cross-replica events: two apps (two "replicas") over one database, each with its own event
 * relay (src/eventlog/relay.ts). A payment confirmed through A reaches a chat stream held by B
 * through the event log and its notification, never through A's in-process bus; the processing
 * replica announces it once. On PostgreSQL each app has its own pool and its own LISTEN
 * connection; on PGlite both share the one embedded database (one process owns it).
 *
 * The backstop poll is set to ten minutes, so a delivery within seconds came from a notification,
 * a poke after commit or a reconnection's catch-up, not from the poll.
 */

const mode = inject('dbMode');
const onServer = mode === 'postgres';
const NO_POLL = '600000';

interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads a server-sent event stream over a real socket. */
async function openStream(url: string, headers: Record<string, string>) {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' }, signal: ctrl.signal });
  expect(res.status).toBe(200);
  const events: SseEvent[] = [];
  const pump = (async () => {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        let idx;
        while ((idx = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, idx);
          buffer = buffer.slice(idx + 2);
          const event = /^event: (.+)$/m.exec(frame)?.[1];
          const data = /^data: (.+)$/m.exec(frame)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) as unknown });
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
  const updates = () => events.filter((e) => e.event === 'invoice_updated').map((e) => e.data as { invoiceNumber: string; status: string });
  return {
    updates,
    async waitForUpdate(invoiceNumber: string, timeoutMs: number): Promise<number> {
      const start = Date.now();
      while (!updates().some((u) => u.invoiceNumber === invoiceNumber)) {
        if (Date.now() - start > timeoutMs) throw new Error(`no invoice_updated for ${invoiceNumber} within ${timeoutMs} ms: ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return Date.now() - start;
    },
    async close() {
      ctrl.abort();
      await pump.catch(() => undefined);
    },
  };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Replica extends PaymentsTestApp {
  base: string;
}

/** One app over a database it does not own, listening on a free port, its logs captured. */
async function replica(database: Database, env: Record<string, string> = {}): Promise<Replica> {
  const config = testConfig({ FIXED_TODAY: TEST_TODAY, LOG_LEVEL: 'info', EVENTS_POLL_MS: NO_POLL, ...env });
  const logs: string[] = [];
  const app = await buildApp({ config, database, clock: fixedClock(TEST_TODAY), logStream: { write: (line: string) => void logs.push(line) } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    database,
    config,
    logs,
    base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    auth: async (accountId, userId = `user@${accountId.toLowerCase()}.test`) => ({ authorization: `Bearer ${await signSessionToken(config, { accountId, userId })}` }),
    close: () => app.close(),
  };
}

/** Pays an invoice through a replica's sandbox checkout (its webhook path records the payment). */
async function payThrough(r: Replica, invoiceNumber: string): Promise<void> {
  const loc = String((await pressPay(r, payToken(r, invoiceNumber))).headers.location);
  const res = await r.app.inject({ method: 'POST', url: loc, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'outcome=success' });
  expect(res.statusCode).toBe(303);
  const row = await r.database.db.selectFrom('invoices').select('paid_cents').where('number', '=', invoiceNumber).executeTakeFirstOrThrow();
  expect(row.paid_cents).toBeGreaterThan(0n);
}

/** A conversation of R10042's that shows `invoiceNumber` on a card, and its live stream on `r`. */
async function streamShowing(r: Replica, invoiceNumber: string) {
  const jordan = await r.auth('R10042', 'jordan@mycompany.com');
  const conv = (await r.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers: jordan })).json<{ id: string }>();
  const shown = await r.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv.id}/messages`, headers: jordan, payload: { text: `Show me invoice ${invoiceNumber}` } });
  expect(shown.json<{ cards: Array<{ invoiceNumber?: string }> }>().cards.some((c) => c.invoiceNumber === invoiceNumber)).toBe(true);
  const stream = await openStream(`${r.base}/v1/chat/conversations/${conv.id}/events`, jordan);
  await until('the stream subscribed', () => r.app.services.payments.bus.listenerCount('R10042') >= 1);
  return stream;
}

describe(`event relay: two replicas over one ${onServer ? 'PostgreSQL database (a pool and a LISTEN connection each)' : 'PGlite database (one process)'}`, () => {
  let shared: Database & { url?: string };
  let second: Database | null = null;
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    shared = await freshDatabase();
    second = onServer ? await openDatabase({ url: shared.url, poolMax: 5 }) : null;
    a = await replica(shared);
    b = await replica(second ?? shared);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await second?.close();
    await shared?.close();
  });

  it('a payment confirmed through replica A reaches a chat stream on replica B within 2 s, and each stream gets it once', async () => {
    const invoice = await newInvoice(a, 'R10042', 4_400n);
    const onB = await streamShowing(b, invoice);
    const onA = await streamShowing(a, invoice);
    const started = Date.now();
    await payThrough(a, invoice);
    await onB.waitForUpdate(invoice, 2_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    await onA.waitForUpdate(invoice, 2_000);
    // Read from the database by B: Paid.
    expect(onB.updates()[0]).toMatchObject({ invoiceNumber: invoice, status: 'paid' });
    // The webhook path no longer publishes directly: A's own stream gets the relay's one event.
    await new Promise((r) => setTimeout(r, 300));
    expect(onA.updates().map((u) => u.invoiceNumber)).toStrictEqual([invoice]);
    expect(onB.updates().map((u) => u.invoiceNumber)).toStrictEqual([invoice]);
    await onA.close();
    await onB.close();
  });
});

if (!onServer) {
  const line = '!'.repeat(100);
  process.stderr.write(
    `\n${line}\n!! EVENT RELAY RECONNECTION TESTS DID NOT RUN: they end the LISTEN session with pg_terminate_backend and hold a\n!! transaction open on another session, which needs a PostgreSQL server. Run with DATABASE_URL set (CI does).\n${line}\n\n`,
  );
  describe('event relay on a PostgreSQL server [DID NOT RUN: needs a PostgreSQL server; set DATABASE_URL]', () => {
    it.skip('a lost listening connection reconnects and catches up; a transaction holding the watermark back delays, never loses', () => undefined);
  });
}

describe.runIf(onServer)('event relay on a PostgreSQL server: a lost LISTEN connection, a late commit', () => {
  let shared: Database & { url?: string };
  let second: Database;
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    shared = await freshDatabase();
    const opened = await openDatabase({ url: shared.url, poolMax: 5 });
    // B reconnects after about 1.5 s, so that the test can record an event while it is away.
    second = { ...opened, listen: listenPostgres(shared.url!, { minDelayMs: 1_500, maxDelayMs: 1_500 }) };
    a = await replica(shared);
    b = await replica(second);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await second?.close();
    await shared?.close();
  });

  const listeners = async () =>
    Number((await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = ${LISTEN_APPLICATION_NAME}`.execute(shared.db)).rows[0]!.n);
  const logged = (r: Replica, text: string) => r.logs.some((l) => l.includes(text));

  it('a LISTEN session ended with pg_terminate_backend: an event recorded during the gap reaches B after it reconnects', async () => {
    await until('both relays listening', async () => (await listeners()) === 2);
    const invoice = await newInvoice(a, 'R10042', 3_300n);
    const onB = await streamShowing(b, invoice);

    const sessions = await sql<{ pid: number }>`
      select pid from pg_stat_activity where datname = current_database() and application_name = ${LISTEN_APPLICATION_NAME}`.execute(shared.db);
    expect(sessions.rows).toHaveLength(2);
    for (const { pid } of sessions.rows) {
      expect((await sql<{ ok: boolean }>`select pg_terminate_backend(${pid}) as ok`.execute(shared.db)).rows[0]!.ok).toBe(true);
    }
    await until('B saw its connection go', () => logged(b, 'the listening connection was lost'));

    // Recorded (and notified) while B has no LISTEN session: the notification is lost for B.
    await payThrough(a, invoice);
    expect(logged(b, 'listening again')).toBe(false);
    expect(onB.updates()).toStrictEqual([]);

    // B reconnects, reads the log from its cursor and publishes what it missed.
    await onB.waitForUpdate(invoice, 5_000);
    expect(logged(b, 'listening again; catching up')).toBe(true);
    expect(onB.updates().map((u) => u.invoiceNumber)).toStrictEqual([invoice]);
    await until('both relays listening again', async () => (await listeners()) === 2);
    await onB.close();
  });

  it('an older transaction still open holds the event back (the watermark), and it is delivered soon after that transaction ends', async () => {
    const invoice = await newInvoice(a, 'R10042', 1_100n);
    const onB = await streamShowing(b, invoice);
    // A writing transaction that began before the payment's: the feed may not pass it yet.
    const older = new pg.Client({ connectionString: shared.url });
    await older.connect();
    try {
      await older.query('begin');
      await older.query('select pg_current_xact_id()');
      await payThrough(a, invoice);
      await new Promise((r) => setTimeout(r, 500));
      expect(onB.updates()).toStrictEqual([]);
      // It ends without inserting an event (no notification): the relay's short re-read finds it.
      await older.query('commit');
      await onB.waitForUpdate(invoice, 3_000);
    } finally {
      await older.end();
    }
    expect(onB.updates().map((u) => u.invoiceNumber)).toStrictEqual([invoice]);
    await onB.close();
  });
});
