import { randomUUID } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import { createParser } from 'eventsource-parser';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testConfig } from '../../src/config.js';
import { signSessionToken } from '../../src/identity/session.js';
import { browserProblem, INSTALL_HINT as BROWSER_INSTALL_HINT } from '../helpers/browser.js';
import { TEST_TODAY } from '../helpers/constants.js';
import {
  createReplicaDatabase,
  nginxBinary,
  NGINX_INSTALL_HINT,
  startProxy,
  startReplicas,
  type Proxy,
  type ReplicaDatabase,
  type Replicas,
} from '../helpers/replicas.js';

/**
 * Three `src/server.ts` processes over one PostgreSQL database (and Redis for the shared limits),
 * behind nginx running deploy/nginx.conf: the service acts as one across replicas (issue 14).
 *
 * Needs a PostgreSQL server even in the PGlite run (processes cannot share an embedded database):
 * DATABASE_URL's server, else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres.
 * Without one (or without nginx), under CI the suite fails; elsewhere a banner says these tests
 * DID NOT RUN. Redis (TEST_REDIS_URL, else the local one) is needed by the shared chat-limit test
 * only, Chromium by the two email tests (they render a PDF), with the same rule.
 */

const IN_CI = /^(true|1)$/i.test(process.env['CI'] ?? '');
const ADMIN_URL = inject('dbMode') === 'postgres' ? inject('adminUrl') : (process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

async function postgresProblem(url: string): Promise<string | null> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('select 1');
    return null;
  } catch (err) {
    return `no PostgreSQL server at ${new URL(url).host} (${(err as Error).message})`;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function redisReachable(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

function loud(what: string, problem: string, hint: string): void {
  const line = '!'.repeat(100);
  process.stderr.write(`\n${line}\n!! ${what} DID NOT RUN (replicas.test.ts)\n!! ${problem}.\n!! ${hint}\n!! In CI this fails instead of skipping.\n${line}\n\n`);
}

const nginxMissing = nginxBinary() ? null : 'nginx was not found';
const setupProblem = [await postgresProblem(ADMIN_URL), nginxMissing].filter(Boolean).join('; ') || null;
const redisUp = await redisReachable(REDIS_URL);
const chromiumProblem = browserProblem();
if (!IN_CI) {
  if (setupProblem) loud('THE MULTI-REPLICA TESTS', setupProblem, `Start PostgreSQL (or set TEST_DATABASE_URL) and ${NGINX_INSTALL_HINT}.`);
  else if (!redisUp) loud('THE SHARED CHAT-LIMIT REPLICA TEST', `Redis is not reachable at ${REDIS_URL}`, 'Start redis-server (or set TEST_REDIS_URL).');
  if (!setupProblem && chromiumProblem) loud('THE EMAIL REPLICA TESTS', chromiumProblem, BROWSER_INSTALL_HINT);
}

// --- HTTP helpers ---------------------------------------------------------------------------------

const config = testConfig();
const USERS: Record<string, string> = { R10042: 'jordan@mycompany.com', R20077: 'sam@northernbyte.ca', R30001: 'alex@freshstart.tech', R40010: 'pat@clearwater.systems' };
const auth = async (accountId: string) => ({ authorization: `Bearer ${await signSessionToken(config, { accountId, userId: USERS[accountId]! })}` });

interface Card {
  type: string;
  invoiceNumber?: string;
  payUrl?: string | null;
  status?: string;
  duplicate?: boolean;
}
interface Message {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  status: string;
}

async function newConversation(base: string, accountId: string): Promise<string> {
  const res = await fetch(`${base}/v1/chat/conversations`, { method: 'POST', headers: await auth(accountId) });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function send(base: string, accountId: string, conv: string, text: string): Promise<Response> {
  return fetch(`${base}/v1/chat/conversations/${conv}/messages`, {
    method: 'POST',
    headers: { ...(await auth(accountId)), 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
}

async function say(base: string, accountId: string, conv: string, text: string): Promise<{ id: string; text: string; cards: Card[] }> {
  const res = await send(base, accountId, conv, text);
  const body = await res.text();
  expect(res.status, body).toBe(200);
  return JSON.parse(body) as { id: string; text: string; cards: Card[] };
}

async function history(base: string, accountId: string, conv: string): Promise<Message[]> {
  const res = await fetch(`${base}/v1/chat/conversations/${conv}/messages`, { headers: await auth(accountId) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: Message[] }).messages;
}

/** The sandbox checkout as a browser goes through it: Pay on the signed link, then "success" on the sandbox page. */
async function payInSandbox(base: string, payUrl: string): Promise<void> {
  const token = new URL(payUrl).pathname.slice('/pay/'.length);
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const checkout = await fetch(`${base}/pay/${token}/checkout`, { method: 'POST', headers: form, body: '', redirect: 'manual' });
  expect(checkout.status, await checkout.text()).toBe(303);
  const location = checkout.headers.get('location')!;
  expect(location).toMatch(/^\/sandbox\/checkout\/cs_sandbox_[A-Za-z0-9]+$/);
  const paid = await fetch(`${base}${location}`, { method: 'POST', headers: form, body: 'outcome=success', redirect: 'manual' });
  expect(paid.status, await paid.text()).toBe(303);
}

interface SseEvent {
  event: string;
  data: unknown;
}

/** An EventSource-like reader over fetch that also records `retry:` fields, comments, and the end of the stream. */
async function openSse(url: string, headers: Record<string, string>) {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' }, signal: ctrl.signal });
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  let ended = false;
  const parser = createParser({
    onEvent: (m) => events.push({ event: m.event ?? 'message', data: JSON.parse(m.data) as unknown }),
    onRetry: (ms) => retries.push(ms),
    onComment: (c) => comments.push(c.trim()),
  });
  const done = (async () => {
    if (!res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done: end, value } = await reader.read();
        if (end) break;
        parser.feed(value);
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    } finally {
      ended = true;
    }
  })();
  const until = async <T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = find();
      if (hit !== undefined) return hit;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events ${JSON.stringify(events)}, retries ${JSON.stringify(retries)}, ended ${ended}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    status: res.status,
    headers: res.headers,
    events,
    retries,
    comments,
    get ended() {
      return ended;
    },
    waitFor: (pred: (e: SseEvent) => boolean, timeoutMs = 10_000) => until(() => events.find(pred), timeoutMs, 'an event'),
    waitForComment: (text: string, timeoutMs = 10_000) => until(() => comments.find((c) => c === text), timeoutMs, `the comment "${text}"`),
    waitForEnd: (timeoutMs = 15_000) => until(() => (ended ? true : undefined), timeoutMs, 'the end of the stream'),
    async close() {
      ctrl.abort();
      await done.catch(() => undefined);
    },
  };
}

/** Which replica answered through the proxy (the X-Upstream header of the rendered test config). */
function replicaBehind(cluster: Replicas, headers: Headers): number {
  const upstream = headers.get('x-upstream') ?? '';
  const index = cluster.ports.indexOf(Number(upstream.split(':').pop()));
  expect(index, `x-upstream: ${upstream}`).toBeGreaterThanOrEqual(0);
  return index;
}

// --- the suite ------------------------------------------------------------------------------------

function describeReplicas(name: string, fn: () => void): void {
  if (!setupProblem) describe(name, fn);
  else if (IN_CI)
    describe(name, () => {
      it('replica tests need PostgreSQL and nginx', () => {
        throw new Error(`The multi-replica tests cannot run: ${setupProblem}. Start PostgreSQL (or set TEST_DATABASE_URL); ${NGINX_INSTALL_HINT}. (CI is set, so this fails instead of skipping.)`);
      });
    });
  else describe(`${name} [DID NOT RUN: ${setupProblem}]`, () => it.skip('replica tests need PostgreSQL and nginx', () => undefined));
}

const CHAT_LIMIT = 10;
const EMAIL_LIMIT = 5;

describeReplicas('three replicas over one PostgreSQL database, behind nginx', () => {
  const prefix = `test-replicas-${randomUUID()}:`;
  let db: ReplicaDatabase;
  let cluster: Replicas;
  let proxy: Proxy;
  let sql: pg.Client;
  // The SIGKILL test's replica: its model server starts answering and then never finishes, so the
  // turn is mid-stream when the replica dies. Started beside the three (start-up is most of the time).
  let victim: Replicas;
  const held: http.ServerResponse[] = [];
  let modelRequests = 0;
  const model = http.createServer((req, res) => {
    modelRequests++;
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = { id: 'chatcmpl-held', object: 'chat.completion.chunk', created: 1_764_000_000, model: 'held-model', choices: [{ index: 0, delta: { role: 'assistant', content: 'Let me check ' }, finish_reason: null, logprobs: null }] };
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    held.push(res);
  });
  const env = {
    FIXED_TODAY: TEST_TODAY,
    CHAT_RATE_LIMIT_PER_MINUTE: String(CHAT_LIMIT),
    EMAIL_SENDS_PER_HOUR: String(EMAIL_LIMIT),
    RATE_LIMIT_REDIS_PREFIX: prefix,
    PDF_POOL_SIZE: '1',
    // A first PDF launches Chromium; on a busy two-core machine that can pass the default 10 s.
    AGENT_TOOL_TIMEOUT_MS: '45000',
  };

  beforeAll(async () => {
    db = await createReplicaDatabase(ADMIN_URL, { today: TEST_TODAY });
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    await new Promise<void>((r) => model.listen(0, '127.0.0.1', r));
    const modelUrl = `http://127.0.0.1:${(model.address() as { port: number }).port}/v1`;
    const redis = redisUp ? { redisUrl: REDIS_URL } : {};
    const started = await Promise.allSettled([
      startReplicas({ count: 3, databaseUrl: db.url, ...redis, env }),
      startReplicas({ count: 1, databaseUrl: db.url, ...redis, env: { ...env, OPENAI_API_KEY: 'test', OPENAI_MODEL: 'held-model', OPENAI_BASE_URL: modelUrl, OPENAI_MAX_RETRIES: '0' } }),
    ]);
    if (started[0].status === 'fulfilled') cluster = started[0].value;
    if (started[1].status === 'fulfilled') victim = started[1].value;
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    proxy = await startProxy(cluster.ports, { exposeUpstream: true });
  }, 180_000);

  afterAll(async () => {
    await proxy?.stop();
    await Promise.all([cluster?.stop(), victim?.stop()]);
    for (const res of held) res.destroy();
    model.closeAllConnections();
    await new Promise((r) => model.close(r));
    await sql?.end();
    await db?.drop();
    if (redisUp) {
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
  }, 60_000);

  it('turns of one conversation alternate replicas, and the history read from each replica shows every message', async () => {
    const [a, b, c] = cluster.urls as [string, string, string];
    const conv = await newConversation(a, 'R40010');
    const replies = [await say(a, 'R40010', conv, 'What is my current account balance?'), await say(b, 'R40010', conv, 'Show me my invoices'), await say(c, 'R40010', conv, "what's my balance")];
    const seen = await Promise.all(cluster.urls.map((u) => history(u, 'R40010', conv)));
    for (const messages of seen) {
      expect(messages.map((m) => m.role)).toStrictEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
      expect(messages.filter((m) => m.role === 'assistant').map((m) => m.id)).toStrictEqual(replies.map((r) => r.id));
      expect(messages.filter((m) => m.role === 'user').map((m) => m.text)).toStrictEqual(['What is my current account balance?', 'Show me my invoices', "what's my balance"]);
    }
    expect(seen[1]).toStrictEqual(seen[0]);
    expect(seen[2]).toStrictEqual(seen[0]);
  });

  // Needs the cross-replica event relay (src/eventlog/relay.ts).
  it('a sandbox payment confirmed through replica A reaches a stream open on replica B within 2 s', async () => {
    const [a, b] = cluster.urls as [string, string];
    const conv = await newConversation(a, 'R10042');
    const pay = await say(a, 'R10042', conv, 'Pay invoice IN7654321');
    const card = pay.cards.find((c) => c.type === 'invoice' && c.invoiceNumber === 'IN7654321');
    expect(card?.payUrl, JSON.stringify(pay)).toMatch(/\/pay\/v1\./);

    const stream = await openSse(`${b}/v1/chat/conversations/${conv}/events`, await auth('R10042'));
    try {
      expect(stream.status).toBe(200);
      await stream.waitForComment('stream open');
      await payInSandbox(a, card!.payUrl!);
      const confirmedAt = Date.now();
      const update = await stream.waitFor((e) => e.event === 'invoice_updated', 2000);
      expect(Date.now() - confirmedAt).toBeLessThan(2000);
      expect(update.data).toMatchObject({ invoiceNumber: 'IN7654321', status: 'paid', amountDue: { amount: '0.00' } });
      // Once: the relay publishes each event on each replica once.
      await new Promise((r) => setTimeout(r, 300));
      expect(stream.events.filter((e) => e.event === 'invoice_updated')).toHaveLength(1);
    } finally {
      await stream.close();
    }
  });

  it.skipIf(!redisUp && !IN_CI)('the chat limit counts across replicas (Redis): messages spread over three replicas share one budget', async () => {
    if (!redisUp) throw new Error(`CI is set but Redis is not reachable at ${REDIS_URL}`);
    const conv = await newConversation(cluster.urls[0]!, 'R30001');
    const codes: number[] = [];
    for (let i = 0; i < CHAT_LIMIT + 2; i++) {
      const res = await send(cluster.urls[i % 3]!, 'R30001', conv, `hello ${i}`);
      codes.push(res.status);
      await res.arrayBuffer();
    }
    // Each replica saw 4; counted alone, every message would pass.
    expect(codes).toStrictEqual([...Array<number>(CHAT_LIMIT).fill(200), 429, 429]);
    // Another account has its own budget, on any replica.
    const other = await newConversation(cluster.urls[2]!, 'R40010');
    expect((await send(cluster.urls[2]!, 'R40010', other, 'hello')).status).toBe(200);
    const redis = new Redis(REDIS_URL);
    try {
      expect((await redis.keys(`${prefix}*`)).length).toBeGreaterThan(0);
    } finally {
      await redis.quit();
    }
  });

  describe.skipIf(chromiumProblem !== null && !IN_CI)('email across replicas (each send renders a PDF)', () => {
    beforeAll(() => {
      if (chromiumProblem) throw new Error(`CI is set but Chromium is missing: ${chromiumProblem}`);
    });

    it('the duplicate window holds across replicas: the same email asked on three replicas at once is sent once', async () => {
      const convs = await Promise.all(cluster.urls.map((u) => newConversation(u, 'R10042')));
      const replies = await Promise.all(cluster.urls.map((u, i) => say(u, 'R10042', convs[i]!, 'Email a PDF copy of IN7654320 to ap@mycompany.com')));
      const receipts = replies.flatMap((r) => r.cards.filter((c) => c.type === 'email_receipt'));
      expect(receipts, JSON.stringify(replies)).toHaveLength(3);
      expect(receipts.filter((c) => !c.duplicate)).toHaveLength(1);
      expect(receipts.filter((c) => c.duplicate)).toHaveLength(2);
      const outbox = await sql.query<{ n: number }>(`select count(*)::int as n from outbox where to_address = 'ap@mycompany.com' and subject like '%IN7654320%'`);
      expect(outbox.rows[0]!.n).toBe(1);
    }, 60_000);

    it('the hourly limit holds across replicas: one slot left, three replicas asked at once, exactly one email sent', async () => {
      const earlier = new Date(Date.now() - 10 * 60_000);
      for (let i = 0; i < EMAIL_LIMIT - 1; i++) {
        await sql.query(
          `insert into email_sends (id, account_id, user_id, conversation_id, invoice_number, recipient, transport, status, created_at)
           values ($1, 'R20077', 'sam@northernbyte.ca', null, 'IN8800001', $2, 'outbox', 'sent', $3)`,
          [randomUUID(), `earlier${i}@northernbyte.ca`, new Date(earlier.getTime() + i * 1000)],
        );
      }
      const asks = ['Email a PDF copy of IN8800001 to ap@northernbyte.ca', 'Email a PDF copy of IN8800002 to ap@northernbyte.ca', 'Email a PDF copy of IN8800001 to sam@northernbyte.ca'];
      const convs = await Promise.all(cluster.urls.map((u) => newConversation(u, 'R20077')));
      const replies = await Promise.all(cluster.urls.map((u, i) => say(u, 'R20077', convs[i]!, asks[i]!)));
      const sent = replies.flatMap((r) => r.cards.filter((c) => c.type === 'email_receipt' && !c.duplicate));
      expect(sent, JSON.stringify(replies)).toHaveLength(1);
      expect(replies.filter((r) => new RegExp(`limit of ${EMAIL_LIMIT} invoice emails per hour`).test(r.text))).toHaveLength(2);
      const rows = await sql.query<{ status: string; reason: string | null; n: number }>(
        `select status, reason, count(*)::int as n from email_sends where account_id = 'R20077' group by status, reason order by status`,
      );
      expect(rows.rows).toStrictEqual([
        { status: 'refused', reason: 'rate_limited', n: 2 },
        { status: 'sent', reason: null, n: EMAIL_LIMIT },
      ]);
    }, 60_000);
  });

  it('a replica killed (SIGKILL) in the middle of a streamed turn loses no stored message; the turn is sent again on another replica', async () => {
    try {
      const [a, b] = cluster.urls as [string, string];
      const conv = await newConversation(a, 'R40010');
      await say(a, 'R40010', conv, 'What is my current account balance?');
      const before = await history(b, 'R40010', conv);
      expect(before).toHaveLength(2);

      const turn = await fetch(`${victim.urls[0]}/v1/chat/conversations/${conv}/messages`, {
        method: 'POST',
        headers: { ...(await auth('R40010')), 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ text: 'Show me my invoices' }),
      });
      expect(turn.status).toBe(200);
      const reader = turn.body!.pipeThrough(new TextDecoderStream()).getReader();
      let streamed = '';
      while (!streamed.includes('event: text_delta')) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before any text: ${streamed}`);
        streamed += value;
      }
      expect(modelRequests).toBe(1);
      expect(await victim.kill(0, 'SIGKILL')).toBe('SIGKILL');
      // The client sees the stream drop (no completed event).
      for (;;) {
        const r = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (r.done) break;
        streamed += r.value ?? '';
      }
      expect(streamed).not.toContain('event: completed');

      // Every stored message is still there, the interrupted turn stored nothing (all or nothing), from any replica.
      for (const u of cluster.urls) expect(await history(u, 'R40010', conv)).toStrictEqual(before);
      // The widget finds no reply in the history and says the message did not go through; it is sent again, here on B.
      const again = await say(b, 'R40010', conv, 'Show me my invoices');
      const after = await history(a, 'R40010', conv);
      expect(after.slice(0, 2)).toStrictEqual(before);
      expect(after.map((m) => m.role)).toStrictEqual(['user', 'assistant', 'user', 'assistant']);
      expect(after[3]!.id).toBe(again.id);
      expect(new Set(after.map((m) => m.id)).size).toBe(4);
      const seqs = await sql.query<{ seq: number }>('select seq from chat_messages where conversation_id = $1 order by seq', [conv]);
      expect(seqs.rows).toHaveLength(4);
    } finally {
      for (const res of held) res.destroy();
    }
  }, 60_000);

  it('nginx serves HTTP/2 over TLS and streams server-sent events from the replicas unbuffered', async () => {
    const conv = await newConversation(proxy.url, 'R10042');
    const headers = await auth('R10042');
    const session = http2.connect(proxy.httpsUrl, { ca: proxy.caCert });
    try {
      await new Promise<void>((resolve, reject) => session.once('connect', () => resolve()).once('error', reject));
      expect(session.alpnProtocol).toBe('h2');
      const ready = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = session.request({ ':path': '/readyz' });
        let body = '';
        let status = 0;
        req.on('response', (h) => (status = Number(h[':status'])));
        req.setEncoding('utf8');
        req.on('data', (d: string) => (body += d));
        req.on('end', () => resolve({ status, body }));
        req.on('error', reject);
        req.end();
      });
      expect(ready).toStrictEqual({ status: 200, body: JSON.stringify({ status: 'ready', database: 'postgres' }) });

      // The stream's first frames arrive while it stays open: nothing waits for a buffer to fill.
      const opened = await new Promise<{ status: number; contentType: string; text: string }>((resolve, reject) => {
        const req = session.request({ ':path': `/v1/chat/conversations/${conv}/events`, accept: 'text/event-stream', ...headers });
        let text = '';
        let status = 0;
        let contentType = '';
        const timer = setTimeout(() => reject(new Error(`no frames over HTTP/2 within 5 s: ${text}`)), 5000);
        req.on('response', (h) => {
          status = Number(h[':status']);
          contentType = String(h['content-type']);
        });
        req.setEncoding('utf8');
        req.on('data', (d: string) => {
          text += d;
          if (text.includes(': stream open')) {
            clearTimeout(timer);
            req.close();
            resolve({ status, contentType, text });
          }
        });
        req.on('error', reject);
        req.end();
      });
      expect(opened.status).toBe(200);
      expect(opened.contentType).toBe('text/event-stream; charset=utf-8');
      expect(opened.text).toContain(': stream open\n\n');
    } finally {
      session.close();
    }
    // The access log names the replica that answered each HTTP/2 request.
    await new Promise((r) => setTimeout(r, 200));
    const lines = proxy.accessLog().split('\n').filter((l) => l.includes('HTTP/2.0'));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(cluster.ports.map(String)).toContain(/upstream=127\.0\.0\.1:(\d+)/.exec(l)?.[1]);
  });

  // Needs graceful shutdown of the streams (src/http/sse.ts, src/server.ts). Runs last: it stops a replica.
  it('SIGTERM on the replica serving a stream behind nginx: the client gets retry:, reconnects to another replica and misses nothing', async () => {
    const conv = await newConversation(proxy.url, 'R10042');
    const pay = await say(proxy.url, 'R10042', conv, 'Pay invoice IN7654320');
    const card = pay.cards.find((c) => c.type === 'invoice' && c.invoiceNumber === 'IN7654320');
    expect(card?.payUrl, JSON.stringify(pay)).toMatch(/\/pay\/v1\./);
    const headers = await auth('R10042');
    const url = `${proxy.url}/v1/chat/conversations/${conv}/events`;

    const first = await openSse(url, headers);
    let second: Awaited<ReturnType<typeof openSse>> | null = null;
    try {
      expect(first.status).toBe(200);
      await first.waitForComment('stream open');
      const serving = replicaBehind(cluster, first.headers);
      const retriesAtOpen = first.retries.length;
      const exit = cluster.kill(serving, 'SIGTERM');
      await first.waitForEnd(10_000);
      // Told to come back soon, then ended.
      expect(first.retries.length, JSON.stringify(first.retries)).toBeGreaterThan(retriesAtOpen);
      const retryMs = first.retries.at(-1)!;
      expect(retryMs).toBeLessThan(5000);
      expect(await exit).toBe(0);

      // What EventSource does: wait `retry` ms and reconnect to the same URL; nginx sends it to a live replica.
      await new Promise((r) => setTimeout(r, retryMs));
      second = await openSse(url, headers);
      expect(second.status).toBe(200);
      expect(replicaBehind(cluster, second.headers)).not.toBe(serving);
      await second.waitForComment('stream open');

      // The resumed stream gets what happens next, wherever the payment is confirmed.
      await payInSandbox(proxy.url, card!.payUrl!);
      const update = await second.waitFor((e) => e.event === 'invoice_updated', 2000);
      expect(update.data).toMatchObject({ invoiceNumber: 'IN7654320', status: 'paid' });

      // Nothing lost or doubled in the conversation.
      const messages = await history(proxy.url, 'R10042', conv);
      expect(messages.map((m) => m.role)).toStrictEqual(['user', 'assistant']);
      expect(messages[1]!.id).toBe(pay.id);
    } finally {
      await first.close();
      await second?.close();
    }
  }, 60_000);
});
