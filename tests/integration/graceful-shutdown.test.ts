import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { fixedClock } from '../../src/billing/dates.js';
import { testConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/index.js';
import { SHUTDOWN_RETRY_MS } from '../../src/http/sse.js';
import { signSessionToken } from '../../src/identity/session.js';
import { widgetMessages } from '../../src/web/widget-bundle.js';
import { createApiClient } from '../../src/web/widget/api.js';
import { useMessages } from '../../src/web/widget/i18n.js';
import { LiveUpdates } from '../../src/web/widget/live.js';
import { createSseParser } from '../../src/web/widget/sse.js';
import { createTestApp } from '../helpers/app.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';
import { newInvoice, payToken, pressPay, type PaymentsTestApp } from '../helpers/payments.js';
import { respond, ScriptedModel } from '../helpers/scripted-model.js';

/**
 * Graceful shutdown: closing the app tells every open event stream to reconnect (`retry:`), ends
 * the live ones and lets a chat turn in progress finish and be stored; the widget's live stream
 * comes back (here: to another app on the same address, as behind the proxy) and neither loses nor
 * repeats an update.
 */

const onServer = inject('dbMode') === 'postgres';

/** Reads a response body as text as it arrives. */
function collect(res: Response) {
  let text = '';
  const done = (async () => {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) return;
      text += value;
    }
  })();
  return { text: () => text, done };
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const retryOf = (text: string): number | null => {
  const m = /^retry: (\d+)$/m.exec(text);
  return m ? Number(m[1]) : null;
};

describe('graceful shutdown of event streams', () => {
  it('app.close(): an open live stream gets retry: and ends; a turn in progress gets retry:, finishes and is stored before the app closes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const model = new ScriptedModel([
      respond(async () => {
        await gate;
        return { text: 'Done after the shutdown began.' };
      }),
    ]);
    const t = await createTestApp({}, { model });
    try {
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
      const headers = await t.auth('R10042');
      const conv = (await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers })).json<{ id: string }>();

      const live = collect(await fetch(`${base}/v1/chat/conversations/${conv.id}/events`, { headers: { ...headers, accept: 'text/event-stream' } }));
      const turn = collect(
        await fetch(`${base}/v1/chat/conversations/${conv.id}/messages`, {
          method: 'POST',
          headers: { ...headers, accept: 'text/event-stream', 'content-type': 'application/json' },
          body: JSON.stringify({ text: 'What is my balance?' }),
        }),
      );
      await until('the turn reached the model', () => model.requests.length === 1);
      await until('the live stream is open', () => live.text().includes('stream open'));
      // A live stream says nothing about reconnecting until the server shuts down.
      expect(retryOf(live.text())).toBeNull();

      let closed = false;
      const closing = t.app.close().then(() => (closed = true));
      await live.done;
      const retry = retryOf(live.text());
      expect(retry).not.toBeNull();
      expect(retry!).toBeGreaterThanOrEqual(SHUTDOWN_RETRY_MS);
      expect(retry!).toBeLessThanOrEqual(2 * SHUTDOWN_RETRY_MS);

      // The turn's stream was told too, and stays open until its turn is done: closing waits.
      await until('the turn stream got retry:', () => retryOf(turn.text()) !== null);
      await new Promise((r) => setTimeout(r, 200));
      expect(closed).toBe(false);
      expect(turn.text()).not.toContain('event: completed');
      release();
      await turn.done;
      expect(turn.text()).toContain('event: completed');
      expect(turn.text()).toContain('Done after the shutdown began.');
      // The turn's connection, idle now, is closed at once rather than at the client's keep-alive timeout (4 s in undici).
      const waited = await Promise.race([closing.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open after 3 s'), 3_000))]);
      expect(waited).toBe('closed');
      const stored = await t.database.db.selectFrom('chat_messages').select(['role', 'text']).where('conversation_id', '=', conv.id).orderBy('seq').execute();
      expect(stored.map((m) => m.role)).toStrictEqual(['user', 'assistant']);
    } finally {
      release();
      await t.database.close();
    }
  });

  it("the widget's SSE parser hands over each retry:", () => {
    const seen: number[] = [];
    const parser = createSseParser(() => undefined, (ms) => seen.push(ms));
    parser.push(': stream open\n\nevent: heartbeat\ndata: {}\n\nretry: 7');
    parser.push('42\n\n');
    parser.end();
    expect(seen).toStrictEqual([742]);
  });
});

/** A fake invoice card with what cards.ts reads and writes (no DOM in Node). */
function fakeCard(invoice: string, totalCents: number) {
  const pill = { className: '', textContent: '' };
  const due = { textContent: '' };
  return {
    dataset: { invoice, status: 'unknown', total: String(totalCents) } as Record<string, string>,
    querySelector: (selector: string) => (selector.includes('pill') ? pill : selector.includes('amount-due') ? due : null),
  };
}

describe(`the widget resumes on another replica (${onServer ? 'PostgreSQL: two pools' : 'PGlite: one process'})`, () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('the live stream ends with retry: as replica A shuts down, reconnects to replica B at the same address, and shows each payment exactly once', async () => {
    const shared = await freshDatabase();
    cleanup.push(() => shared.close());
    const second: Database = onServer ? await openDatabase({ url: shared.url, poolMax: 5 }) : shared;
    if (second !== shared) cleanup.push(() => second.close());
    const config = testConfig({ FIXED_TODAY: TEST_TODAY, EVENTS_POLL_MS: '600000' });
    const build = async (database: Database): Promise<PaymentsTestApp & { app: FastifyInstance }> => {
      const app = await buildApp({ config, database, clock: fixedClock(TEST_TODAY) });
      cleanup.push(() => app.close());
      const auth = async (accountId: string, userId = `user@${accountId.toLowerCase()}.test`) => ({ authorization: `Bearer ${await signSessionToken(config, { accountId, userId })}` });
      return { app, database, config, logs: [], auth, close: () => app.close() };
    };
    const a = await build(shared);
    const b = await build(second);
    await a.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (a.app.server.address() as AddressInfo).port;
    await b.app.ready();

    const x = await newInvoice(a, 'R10042', 4_400n);
    const y = await newInvoice(a, 'R10042', 5_500n);
    const token = await signSessionToken(config, { accountId: 'R10042', userId: 'jordan@mycompany.com' });
    const headers = { authorization: `Bearer ${token}` };
    const conv = (await a.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers })).json<{ id: string }>();
    for (const n of [x, y]) await a.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv.id}/messages`, headers, payload: { text: `Show me invoice ${n}` } });

    useMessages('en-CA', widgetMessages('en-CA'));
    const cards = [fakeCard(x, 4_400), fakeCard(y, 5_500)];
    const news: string[] = [];
    const view = { log: { querySelectorAll: () => cards } as unknown as ParentNode, announceNews: (text: string) => void news.push(text) };
    const client = createApiClient({ apiBase: `http://127.0.0.1:${port}`, getToken: () => token, token });
    const live = new LiveUpdates(view);
    live.sync(client, conv.id);
    cleanup.push(async () => live.sync(client, null));

    // Connected to A; its first catch-up brought both cards up to date.
    await until('the stream on A', () => a.app.services.payments.bus.listenerCount('R10042') === 1);
    await until('the first catch-up', () => cards.every((c) => c.dataset['status'] !== 'unknown'));
    const before = news.length;
    expect(cards.map((c) => c.dataset['status'])).not.toContain('paid');

    // A shuts down: the stream gets retry: and ends. X is paid while no replica serves the widget.
    await a.app.close();
    const payThrough = async (r: PaymentsTestApp, invoiceNumber: string) => {
      const loc = String((await pressPay(r, payToken(r, invoiceNumber))).headers.location);
      const res = await r.app.inject({ method: 'POST', url: loc, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'outcome=success' });
      expect(res.statusCode).toBe(303);
    };
    await payThrough(b, x);
    // B takes A's address (the proxy would have sent the reconnection to B).
    await b.app.listen({ host: '127.0.0.1', port });

    // The reconnection's catch-up shows X paid; then Y, paid through B while the stream is open, arrives live.
    await until('X shown paid after the reconnection', () => cards[0]!.dataset['status'] === 'paid');
    await until('the stream on B', () => b.app.services.payments.bus.listenerCount('R10042') === 1);
    await payThrough(b, y);
    await until('Y shown paid live', () => cards[1]!.dataset['status'] === 'paid');
    await new Promise((r) => setTimeout(r, 500));
    expect(news.slice(before)).toStrictEqual([`Invoice ${x} is now Paid.`, `Invoice ${y} is now Paid.`]);
  });
});
