/**
 * `npm run bench:cluster`: the service as a cluster. One replica, then three, each behind nginx
 * running deploy/nginx.conf (tests/helpers/replicas.ts), over one PostgreSQL database, in the same
 * run: 200 concurrent conversations, each a few tool-using turns through the proxy, with a
 * zero-latency scripted model. Reports turns/s, turn latency p50/p95/p99 as the client sees it,
 * failed requests, and messages lost: every turn that answered 200 must have stored its user and
 * assistant message, read back from each conversation's history (through the proxy, so from any
 * replica) and counted in the database.
 *
 * The model: the replicas are real `src/server.ts` processes, so the scripted model is an
 * OpenAI-compatible endpoint in this process (OPENAI_BASE_URL), answering at once with a
 * precomputed stream: a tool call picked by the user's words, then the answer. The replicas run
 * the production adapter (the OpenAI SDK, streaming) against it. Nothing in src/ knows about it.
 *
 * Environment (all optional):
 *   DATABASE_URL          admin URL of the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres)
 *   REDIS_URL             shared rate limits (default redis://127.0.0.1:6379 when it answers; "none" to run without)
 *   BENCH_CONVERSATIONS   concurrent conversations (default 200)
 *   BENCH_TURNS           turns per conversation per round (default 4)
 *   BENCH_ROUNDS          measured rounds per cluster size (default 3)
 *   BENCH_REPLICAS        cluster sizes, in order (default 1,3)
 *   BENCH_WRITE           0 to print only, without touching BENCHMARKS.md
 * Needs nginx (apt-get install nginx-light).
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { testConfig } from '../src/config.js';
import { signSessionToken } from '../src/identity/session.js';
import { completionChunks } from '../tests/helpers/openai-msw.js';
import { createReplicaDatabase, nginxBinary, NGINX_INSTALL_HINT, startProxy, startReplicas, type ReplicaDatabase } from '../tests/helpers/replicas.js';
import { percentile, writeBenchSection } from './report.js';

const SECTION = 'Cluster (npm run bench:cluster)';
const ADMIN_URL = process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
const TODAY = '2026-11-25';
const MODEL = 'bench-scripted';

function intEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

const CONVERSATIONS = intEnv('BENCH_CONVERSATIONS', 200, 1);
const TURNS = intEnv('BENCH_TURNS', 4, 1);
const ROUNDS = intEnv('BENCH_ROUNDS', 3, 1);
const SIZES = (process.env['BENCH_REPLICAS'] || '1,3').split(',').map((s) => {
  const n = Number(s.trim());
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error(`BENCH_REPLICAS must list integers 1..8, got "${process.env['BENCH_REPLICAS']}"`);
  return n;
});
const WRITE = process.env['BENCH_WRITE'] !== '0';

const BALANCE_QUESTION = 'What is my balance?';
const INVOICE_QUESTION = 'Show me invoice IN7654321';
const ANSWER = 'Here it is.';
/** The fixture's accounts and their users: the conversations are spread over them. */
const USERS: ReadonlyArray<[string, string]> = [
  ['R10042', 'jordan@mycompany.com'],
  ['R20077', 'sam@northernbyte.ca'],
  ['R30001', 'alex@freshstart.tech'],
  ['R40010', 'pat@clearwater.systems'],
];

function log(msg: string): void {
  process.stderr.write(`[bench:cluster ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

// --- the scripted model ---------------------------------------------------------------------------

/**
 * An OpenAI Chat Completions endpoint answering at once: when the last message is the user's, a
 * tool call (getInvoice when the words name the invoice, else getBalance); after a tool result,
 * the answer. The streams are built once; only the tool call's id changes per response.
 */
async function startScriptedModel(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  const sse = (chunks: readonly unknown[]) => `${chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('')}data: [DONE]\n\n`;
  const opts = { id: 'chatcmpl-bench', model: MODEL, includeUsage: true };
  const call = (name: string, args: string) => sse(completionChunks({ toolCalls: [{ id: '@CALL_ID@', name, arguments: args }] }, opts));
  const streams = {
    balance: call('getBalance', '{}'),
    invoice: call('getInvoice', '{"invoiceNumber":"IN7654321"}'),
    answer: sse(completionChunks({ text: ANSWER }, opts)),
  };
  let requests = 0;
  const server = http.createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (b: Buffer) => body.push(b));
    req.on('end', () => {
      requests++;
      let stream: string;
      try {
        const parsed = JSON.parse(Buffer.concat(body).toString()) as ChatCompletionCreateParamsStreaming;
        const last = parsed.messages[parsed.messages.length - 1];
        if (last?.role === 'user') {
          const text = typeof last.content === 'string' ? last.content : JSON.stringify(last.content);
          stream = (text.includes('IN7654321') ? streams.invoice : streams.balance).replace('@CALL_ID@', `call_${randomUUID().slice(0, 8)}`);
        } else {
          stream = streams.answer;
        }
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad request"}}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }).end(stream);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests: () => requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// --- the load -------------------------------------------------------------------------------------

interface Turn {
  ms: number;
  ok: boolean;
}

interface Conversation {
  id: string;
  accountId: string;
  headers: Record<string, string>;
  /** Messages it must have stored: user + assistant of every turn answered with 200. */
  expected: number;
  /** Ids of the assistant messages the server answered with. */
  answered: string[];
}

interface RoundResult {
  turns: number;
  failed: number;
  wallMs: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  failures: string[];
}

async function runRound(base: string, convs: Conversation[], turns: number): Promise<RoundResult> {
  const times: Turn[] = [];
  const failures: string[] = [];
  const started = performance.now();
  await Promise.all(
    convs.map(async (c, k) => {
      for (let i = 0; i < turns; i++) {
        const text = (i + k) % 2 === 0 ? BALANCE_QUESTION : INVOICE_QUESTION;
        const t0 = performance.now();
        let ok = false;
        try {
          const res = await fetch(`${base}/v1/chat/conversations/${c.id}/messages`, {
            method: 'POST',
            headers: { ...c.headers, 'content-type': 'application/json' },
            body: JSON.stringify({ text }),
          });
          const body = await res.text();
          if (res.status === 200) {
            const reply = JSON.parse(body) as { id: string; text: string };
            ok = reply.text === ANSWER;
            if (ok) {
              c.expected += 2;
              c.answered.push(reply.id);
            } else if (failures.length < 5) failures.push(`unexpected reply: ${body.slice(0, 200)}`);
          } else if (failures.length < 5) failures.push(`HTTP ${res.status}: ${body.slice(0, 200)}`);
        } catch (err) {
          if (failures.length < 5) failures.push(String(err));
        }
        times.push({ ms: performance.now() - t0, ok });
      }
    }),
  );
  const wallMs = performance.now() - started;
  const okTimes = times.filter((t) => t.ok).map((t) => t.ms);
  return {
    turns: okTimes.length,
    failed: times.length - okTimes.length,
    wallMs,
    perSecond: (okTimes.length / wallMs) * 1000,
    p50: percentile(okTimes, 50),
    p95: percentile(okTimes, 95),
    p99: percentile(okTimes, 99),
    failures,
  };
}

async function createConversations(base: string, n: number): Promise<Conversation[]> {
  const config = testConfig();
  const tokens = new Map<string, string>();
  for (const [accountId, userId] of USERS) tokens.set(accountId, await signSessionToken(config, { accountId, userId }));
  const out: Conversation[] = [];
  // A few at a time: creating is not what is measured.
  for (let i = 0; i < n; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, n - i) }, async (_, j) => {
        const accountId = USERS[(i + j) % USERS.length]![0];
        const headers = { authorization: `Bearer ${tokens.get(accountId)!}` };
        const res = await fetch(`${base}/v1/chat/conversations`, { method: 'POST', headers });
        if (res.status !== 201) throw new Error(`creating a conversation: HTTP ${res.status} ${await res.text()}`);
        return { id: ((await res.json()) as { id: string }).id, accountId, headers, expected: 0, answered: [] };
      }),
    );
    out.push(...batch);
  }
  return out;
}

/** Messages lost: read every conversation's history through the proxy and count in the database. */
async function checkStored(base: string, dbUrl: string, convs: Conversation[]): Promise<{ expected: number; inHistory: number; inDatabase: number; missingAnswers: number }> {
  let inHistory = 0;
  let missingAnswers = 0;
  for (let i = 0; i < convs.length; i += 20) {
    await Promise.all(
      convs.slice(i, i + 20).map(async (c) => {
        const res = await fetch(`${base}/v1/chat/conversations/${c.id}/messages`, { headers: c.headers });
        if (res.status !== 200) throw new Error(`history of ${c.id}: HTTP ${res.status} ${await res.text()}`);
        const body = (await res.json()) as { messages: Array<{ id: string; role: string }> };
        inHistory += body.messages.length;
        const ids = new Set(body.messages.map((m) => m.id));
        missingAnswers += c.answered.filter((id) => !ids.has(id)).length;
      }),
    );
  }
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    const r = await client.query<{ n: string }>('select count(*)::text as n from chat_messages where conversation_id::text = any($1::text[])', [convs.map((c) => c.id)]);
    return { expected: convs.reduce((a, c) => a + c.expected, 0), inHistory, inDatabase: Number(r.rows[0]?.n ?? 0), missingAnswers };
  } finally {
    await client.end();
  }
}

// --- one cluster size -----------------------------------------------------------------------------

interface PhaseResult {
  replicas: number;
  startSeconds: number;
  rounds: RoundResult[];
  stored: Awaited<ReturnType<typeof checkStored>>;
  upstreams: Record<string, number>;
  load: [number, number];
}

async function phase(count: number, modelUrl: string, redisUrl: string | null): Promise<PhaseResult> {
  let db: ReplicaDatabase | null = null;
  const cleanup: Array<() => Promise<void>> = [];
  try {
    db = await createReplicaDatabase(ADMIN_URL, { today: TODAY, prefix: 'ba_bench_cluster' });
    const t0 = performance.now();
    const env: Record<string, string> = {
      FIXED_TODAY: TODAY,
      OPENAI_API_KEY: 'bench',
      OPENAI_MODEL: MODEL,
      OPENAI_BASE_URL: modelUrl,
      OPENAI_MAX_RETRIES: '0',
      CHAT_RATE_LIMIT_PER_MINUTE: '10000',
      RATE_LIMIT_READS_PER_MINUTE: '100000',
      RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
      ...(redisUrl ? { RATE_LIMIT_REDIS_PREFIX: `ba-bench-cluster-${process.pid}-${count}:` } : {}),
    };
    const cluster = await startReplicas({ count, databaseUrl: db.url, ...(redisUrl ? { redisUrl } : {}), env, startTimeoutMs: 180_000 });
    cleanup.push(() => cluster.stop());
    const proxy = await startProxy(cluster.ports);
    cleanup.push(() => proxy.stop());
    const startSeconds = (performance.now() - t0) / 1000;
    log(`${count} replica(s) and nginx up in ${startSeconds.toFixed(1)} s`);

    // Warm-up: every replica compiles its hot paths and fills its pools before anything is timed.
    const warm = await createConversations(proxy.url, Math.min(CONVERSATIONS, 20 * count));
    await runRound(proxy.url, warm, 3);
    const accessBefore = proxy.accessLog().length;

    const convs = await createConversations(proxy.url, CONVERSATIONS);
    const load0 = os.loadavg()[0] ?? Number.NaN;
    const rounds: RoundResult[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const res = await runRound(proxy.url, convs, TURNS);
      log(`${count} replica(s), round ${r + 1}: ${res.turns} turns in ${(res.wallMs / 1000).toFixed(1)} s, ${res.perSecond.toFixed(0)} turns/s, p50 ${res.p50.toFixed(0)} ms, p99 ${res.p99.toFixed(0)} ms, failed ${res.failed}`);
      for (const f of res.failures) log(`  failure: ${f}`);
      rounds.push(res);
    }
    const load: [number, number] = [load0, os.loadavg()[0] ?? Number.NaN];
    // Which replica answered each measured message request (deploy/nginx.conf logs upstream=).
    const upstreams: Record<string, number> = {};
    for (const line of proxy.accessLog().slice(accessBefore).split('\n')) {
      if (!/POST \/v1\/chat\/conversations\/[^/ ]+\/messages/.test(line)) continue;
      const m = /upstream=(\S+)/.exec(line);
      if (m) upstreams[m[1]!] = (upstreams[m[1]!] ?? 0) + 1;
    }
    const stored = await checkStored(proxy.url, db.url, convs);
    log(`${count} replica(s): expected ${stored.expected} stored messages; history shows ${stored.inHistory}, database holds ${stored.inDatabase}; answers missing from history ${stored.missingAnswers}`);
    return { replicas: count, startSeconds, rounds, stored, upstreams, load };
  } finally {
    for (const c of cleanup.reverse()) await c().catch((err: unknown) => log(`cleanup: ${String(err)}`));
    await db?.drop();
  }
}

async function redisFor(): Promise<string | null> {
  const url = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
  if (url === 'none') return null;
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG' ? url : null;
  } catch {
    return null;
  } finally {
    probe.disconnect();
  }
}

// --- report ---------------------------------------------------------------------------------------

function render(phases: PhaseResult[], p: { startedAt: Date; totalSeconds: number; redisUrl: string | null; pgVersion: string; nginxVersion: string; modelRequests: number }): string {
  const med = (xs: number[]) => percentile(xs, 50);
  const env = ['DATABASE_URL', 'REDIS_URL', 'BENCH_CONVERSATIONS', 'BENCH_TURNS', 'BENCH_ROUNDS', 'BENCH_REPLICAS'].filter((k) => process.env[k]).map((k) => `${k}=${k === 'DATABASE_URL' ? process.env[k]!.replace(/\/\/[^@]*@/, '//…@') : process.env[k]}`);
  const out: string[] = [];
  out.push(
    `- Command: \`${[...env, 'npm run bench:cluster'].join(' ')}\`. Date ${p.startedAt.toISOString()}; total runtime ${p.totalSeconds.toFixed(0)} s.`,
    `- Machine: ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}, PostgreSQL ${p.pgVersion}, ${p.nginxVersion}, all on the same host; 1-minute load average during the timed rounds: ${phases.map((x) => `${x.replicas} replica(s) ${x.load[0].toFixed(1)} → ${x.load[1].toFixed(1)}`).join(', ')}.`,
    `- Method: \`src/server.ts\` replicas (\`node --import tsx\`, NODE_ENV=development) started by \`tests/helpers/replicas.ts\` over one fresh PostgreSQL database per cluster size (migrated, demo fixture), ${p.redisUrl ? 'rate limits shared in Redis (limits raised so none applies)' : 'no Redis (rate limits per replica, raised so none applies)'}, behind nginx with \`deploy/nginx.conf\` (HTTP/1.1 to the proxy from this process, keepalive to the upstreams). ${CONVERSATIONS} conversations over the 4 fixture accounts, all at once, each sending ${TURNS} messages one after another per round (alternating "${BALANCE_QUESTION}" → getBalance and "${INVOICE_QUESTION}" → getInvoice; two model rounds per turn), JSON replies; ${ROUNDS} measured rounds per size after a warm-up. The model is a scripted OpenAI-compatible endpoint in the benchmark process answering at once with a precomputed stream, reached by the production adapter (OpenAI SDK, streaming) through OPENAI_BASE_URL: ${p.modelRequests.toLocaleString('en-US')} model requests in all. Latency is the client's, through the proxy; turns/s is turns answered ÷ wall time of the round. Figures are medians over the rounds.`,
    '- Two cores run everything here (the replicas, PostgreSQL, nginx, the load generator and the model). One replica is one Node event loop, so it uses at most one core; three can use both, but share them with everything else: the figures show that, not how a cluster scales on separate machines. There is no throughput target; the target is 0 messages lost. With 200 conversations waiting on each other, latency is mostly queueing (about conversations ÷ turns/s).',
    '',
    '| replicas | turns per round | turns/s | p50 ms | p95 ms | p99 ms | failed requests | messages expected | in history (via proxy) | in database | **messages lost** | answers per replica |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  for (const x of phases) {
    const lost = Math.max(0, x.stored.expected - x.stored.inDatabase) + x.stored.missingAnswers;
    const spread = Object.values(x.upstreams).sort((a, b) => b - a);
    out.push(
      `| ${x.replicas} | ${x.rounds[0]?.turns ?? 0} | ${med(x.rounds.map((r) => r.perSecond)).toFixed(0)} | ${med(x.rounds.map((r) => r.p50)).toFixed(0)} | ${med(x.rounds.map((r) => r.p95)).toFixed(0)} | ${med(x.rounds.map((r) => r.p99)).toFixed(0)} | ${x.rounds.reduce((a, r) => a + r.failed, 0)} | ${x.stored.expected.toLocaleString('en-US')} | ${x.stored.inHistory.toLocaleString('en-US')} | ${x.stored.inDatabase.toLocaleString('en-US')} | **${lost}** | ${spread.join(' / ')} |`,
    );
  }
  out.push('', `Rounds (turns/s): ${phases.map((x) => `${x.replicas} replica(s): ${x.rounds.map((r) => r.perSecond.toFixed(0)).join(', ')}`).join('; ')}. Start-up to ready behind nginx: ${phases.map((x) => `${x.replicas} replica(s) ${x.startSeconds.toFixed(0)} s`).join(', ')}.`);
  return out.join('\n');
}

async function main(): Promise<void> {
  if (!nginxBinary()) throw new Error(`nginx was not found; ${NGINX_INSTALL_HINT}`);
  const startedAt = new Date();
  const t0 = performance.now();
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const pgVersion = (await admin.query<{ server_version: string }>('show server_version')).rows[0]?.server_version ?? '?';
  await admin.end();
  // nginx -v prints to stderr.
  const nginxVersion = spawnSync(nginxBinary()!, ['-v'], { encoding: 'utf8' }).stderr.trim().replace(/^nginx version: /, '') || 'nginx';
  const redisUrl = await redisFor();
  log(`PostgreSQL ${pgVersion}; ${redisUrl ? `Redis at ${redisUrl}` : 'no Redis'}; sizes ${SIZES.join(', ')}; ${CONVERSATIONS} conversations × ${TURNS} turns × ${ROUNDS} rounds`);
  const model = await startScriptedModel();
  const phases: PhaseResult[] = [];
  try {
    for (const n of SIZES) phases.push(await phase(n, model.url, redisUrl));
  } finally {
    await model.close();
  }
  const body = render(phases, { startedAt, totalSeconds: (performance.now() - t0) / 1000, redisUrl, pgVersion, nginxVersion, modelRequests: model.requests() });
  process.stdout.write(`## ${SECTION}\n\n${body}\n`);
  if (WRITE) {
    writeBenchSection(SECTION, body);
    log('wrote BENCHMARKS.md');
  }
  const lost = phases.reduce((a, x) => a + Math.max(0, x.stored.expected - x.stored.inDatabase) + x.stored.missingAnswers, 0);
  if (lost > 0) {
    log(`${lost} messages lost`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:cluster failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
