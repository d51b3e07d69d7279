/**
 * `npm run bench:chat`: chat turns per second and service time per turn, excluding model time,
 * with a zero-latency scripted model against PostgreSQL (DATABASE_URL, default the local server),
 * at 1 and 50 concurrent conversations; plus prompt tokens of the static prefix (system prompt +
 * tool schemas), checked byte-identical across turns.
 */
import os from 'node:os';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import pg from 'pg';
import { fixedClock } from '../src/billing/dates.js';
import { seedFixture } from '../src/billing/fixture.js';
import { testConfig } from '../src/config.js';
import { migrateToLatest, openDatabase } from '../src/db/index.js';
import { createServices } from '../src/services.js';
import type { ChatModel, ModelRequest, ModelResponse } from '../src/agent/types.js';
import { percentile, writeBenchSection } from './report.js';

const ADMIN_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = 'ba_bench_chat';
const TODAY = '2026-11-25';

/** Zero-latency model: first round calls a tool (alternating balance / one invoice), second answers. */
function scriptedModel(prefixes: Set<string>): ChatModel {
  let n = 0;
  return {
    id: 'scripted',
    respond(req: ModelRequest): Promise<ModelResponse> {
      prefixes.add(JSON.stringify([req.messages[0], req.tools]));
      const last = req.messages[req.messages.length - 1];
      if (last?.role === 'user') {
        const call =
          n++ % 2 === 0
            ? { id: 'c1', name: 'getBalance', arguments: '{}' }
            : { id: 'c1', name: 'getInvoice', arguments: '{"invoiceNumber":"IN7654321"}' };
        return Promise.resolve({ content: '', toolCalls: [call] });
      }
      return Promise.resolve({ content: 'Your balance is $2,494.96.', toolCalls: [] });
    },
  };
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${DB_NAME} with (force)`);
  await admin.query(`create database ${DB_NAME}`);
  const serverVersion = (await admin.query<{ server_version: string }>('show server_version')).rows[0]?.server_version ?? '?';
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  const database = await openDatabase({ url: url.toString(), poolMax: 20 });
  await migrateToLatest(database.db);
  await seedFixture(database.db, TODAY);

  const prefixes = new Set<string>();
  const services = createServices({
    config: testConfig({ CHAT_RATE_LIMIT_PER_MINUTE: '10000' }),
    database,
    clock: fixedClock(TODAY),
    model: scriptedModel(prefixes),
  });
  const session = { accountId: 'R10042', userId: 'bench@mycompany.com', userName: null };

  async function run(concurrency: number, turnsPerConversation: number) {
    const convs = await Promise.all(Array.from({ length: concurrency }, () => services.chat.createConversation(session)));
    const times: number[] = [];
    const started = performance.now();
    await Promise.all(
      convs.map(async (c) => {
        for (let i = 0; i < turnsPerConversation; i++) {
          const t = performance.now();
          const r = await services.chat.sendMessage(session, c.id, i % 2 === 0 ? 'What is my balance?' : 'Show me invoice IN7654321');
          times.push(performance.now() - t);
          if (r.toolCalls.length !== 1 || r.toolCalls[0]!.outcome !== 'ok') throw new Error(`unexpected turn: ${JSON.stringify(r.toolCalls)}`);
        }
      }),
    );
    const wall = performance.now() - started;
    return { turns: times.length, perSecond: (times.length / wall) * 1000, p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99) };
  }

  await run(4, 25); // warm-up
  const RUNS = 5;
  const rows: string[] = [];
  const summary: Record<string, { p50: number; perSecond: number }> = {};
  for (const [concurrency, turns] of [
    [1, 400],
    [50, 16],
  ] as const) {
    const results: Array<Awaited<ReturnType<typeof run>>> = [];
    for (let i = 0; i < RUNS; i++) results.push(await run(concurrency, turns));
    const med = (f: (r: (typeof results)[number]) => number) => percentile(results.map(f), 50);
    summary[String(concurrency)] = { p50: med((r) => r.p50), perSecond: med((r) => r.perSecond) };
    rows.push(
      `| ${concurrency} | ${results[0]!.turns} × ${RUNS} | ${med((r) => r.perSecond).toFixed(0)} | ${med((r) => r.p50).toFixed(2)} | ${med((r) => r.p95).toFixed(2)} | ${med((r) => r.p99).toFixed(2)} |`,
    );
  }

  // The static prefix: system prompt + tool schemas, exactly as sent on every turn.
  const prompt = services.prompt.text;
  const toolsJson = JSON.stringify(services.registry.specs);
  const promptTokens = encode(prompt).length;
  const toolTokens = encode(toolsJson).length;
  await database.close();
  const a2 = new pg.Client({ connectionString: ADMIN_URL });
  await a2.connect();
  await a2.query(`drop database if exists ${DB_NAME} with (force)`);
  await a2.end();

  const body = [
    `Command: \`npm run bench:chat\` (DATABASE_URL=${ADMIN_URL.replace(/\/\/[^@]*@/, '//…@')}). Date ${new Date().toISOString().slice(0, 10)}; ${os.cpus().length} cores, Node ${process.version}, PostgreSQL ${serverVersion}.`,
    '',
    'Full chat turns through the chat service (ownership check, card guard, history read, two model rounds with one tool call, tool query, transcript + audit write in one transaction) with a zero-latency scripted model, so the time is ours alone. Turns alternate getBalance and getInvoice. Median of 5 runs for each figure.',
    '',
    '| concurrent conversations | turns | turns/s | p50 ms | p95 ms | p99 ms |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Target: median service time under 5 ms per tool-using turn → at 1 conversation ${summary['1']!.p50.toFixed(2)} ms: ${summary['1']!.p50 < 5 ? 'met' : 'NOT met'}.`,
    '',
    `Static prompt prefix (o200k_base tokens): system prompt ${promptTokens} + tool schemas ${toolTokens} = **${promptTokens + toolTokens}** (target under 1,500: ${promptTokens + toolTokens < 1500 ? 'met' : 'NOT met'}). ` +
      `Distinct prefixes seen by the model across all ${Object.keys(summary).length > 0 ? 'benchmark' : ''} turns: **${prefixes.size}** (1 = byte-identical, so provider prompt caching applies).`,
  ].join('\n');
  process.stdout.write(`${body}\n`);
  writeBenchSection('Chat turns (npm run bench:chat)', body);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
