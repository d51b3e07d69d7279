/**
 * `npm run bench:chat`: chat turns per second and service time per turn, excluding model time,
 * with a zero-latency scripted model against PostgreSQL (DATABASE_URL, default the local server),
 * at 1 and 50 concurrent conversations; plus prompt tokens of the static prefix (system prompt +
 * tool schemas), checked byte-identical across turns. Then the same turns through the
 * `@openai/agents` Runner (same tools, same script, zero latency) beside our service and our bare
 * agent loop, in alternating runs: our overhead divided by theirs.
 */
import fs from 'node:fs';
import os from 'node:os';
import { Agent, Runner, tool, Usage, type AgentInputItem, type Model, type ModelRequest as AgentsModelRequest, type ModelResponse as AgentsModelResponse } from '@openai/agents';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import pg from 'pg';
import { fixedClock } from '../src/billing/dates.js';
import { seedFixture } from '../src/billing/fixture.js';
import { testConfig } from '../src/config.js';
import { migrateToLatest, openDatabase } from '../src/db/index.js';
import { projectPath } from '../src/paths.js';
import { createServices } from '../src/services.js';
import { runTurn } from '../src/agent/loop.js';
import type { ChatMessage, ChatModel, ModelRequest, ModelResponse } from '../src/agent/types.js';
import type { ToolContext } from '../tools/types.js';
import { percentile, writeBenchSection } from './report.js';

const ADMIN_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Runs per figure (BENCH_RUNS, default 5); each figure is the median over them. */
const RUNS = Number(process.env['BENCH_RUNS'] || 5);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`BENCH_RUNS must be a positive integer, got "${process.env['BENCH_RUNS']}"`);
const log = (msg: string) => process.stderr.write(`[bench:chat ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
/** Unique per run: two runs (or another bench) on the same server never drop each other's database. */
const DB_NAME = `ba_bench_chat_${process.pid}`;
const TODAY = '2026-11-25';

/** The one script every engine follows: the user's words pick the tool, the tool's result gets the answer. */
const INVOICE_QUESTION = 'Show me invoice IN7654321';
const BALANCE_QUESTION = 'What is my balance?';
const ANSWER = 'Your balance is $2,494.96.';
const scriptedCall = (userText: string) =>
  userText.includes('IN7654321') ? { name: 'getInvoice', arguments: '{"invoiceNumber":"IN7654321"}' } : { name: 'getBalance', arguments: '{}' };

const recordPrefixes = { on: true };

/** Zero-latency model: first round calls the tool the user's words pick, second answers. */
function scriptedModel(prefixes: Set<string> | null): ChatModel {
  let n = 0;
  return {
    id: 'scripted',
    respond(req: ModelRequest): Promise<ModelResponse> {
      // Off during the engine comparison: serialising the prefix is the benchmark's cost, not ours.
      if (prefixes && recordPrefixes.on) prefixes.add(JSON.stringify([req.messages[0], req.tools]));
      const last = req.messages[req.messages.length - 1];
      if (last?.role === 'user') return Promise.resolve({ content: '', toolCalls: [{ id: `c${n++}`, ...scriptedCall(last.content) }] });
      return Promise.resolve({ content: ANSWER, toolCalls: [] });
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
          const r = await services.chat.sendMessage(session, c.id, i % 2 === 0 ? BALANCE_QUESTION : INVOICE_QUESTION);
          times.push(performance.now() - t);
          if (r.toolCalls.length !== 1 || r.toolCalls[0]!.outcome !== 'ok') throw new Error(`unexpected turn: ${JSON.stringify(r.toolCalls)}`);
        }
      }),
    );
    const wall = performance.now() - started;
    return { turns: times.length, perSecond: (times.length / wall) * 1000, p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99) };
  }

  await run(4, 25); // warm-up
  log('service turns');
  const rows: string[] = [];
  const summary: Record<string, { p50: number; perSecond: number }> = {};
  for (const [concurrency, turns] of [
    [1, 400],
    [50, 16],
  ] as const) {
    const results: Array<Awaited<ReturnType<typeof run>>> = [];
    for (let i = 0; i < RUNS; i++) results.push(await run(concurrency, turns));
    log(`${concurrency} concurrent: ${percentile(results.map((r) => r.perSecond), 50).toFixed(0)} turns/s`);
    const med = (f: (r: (typeof results)[number]) => number) => percentile(results.map(f), 50);
    summary[String(concurrency)] = { p50: med((r) => r.p50), perSecond: med((r) => r.perSecond) };
    rows.push(
      `| ${concurrency} | ${results[0]!.turns} × ${RUNS} | ${med((r) => r.perSecond).toFixed(0)} | ${med((r) => r.p50).toFixed(2)} | ${med((r) => r.p95).toFixed(2)} | ${med((r) => r.p99).toFixed(2)} |`,
    );
  }

  const comparison = await compareWithAgentsRunner(services, session);

  // The static prefix: system prompt + tool schemas, exactly as sent on every turn.
  const prompt = services.prompt.text;
  const toolsJson = JSON.stringify(services.registry.specs);
  const promptTokens = encode(prompt).length;
  const toolTokens = encode(toolsJson).length;
  await database.close();
  await dropDatabase();

  const body = [
    `Command: \`${process.env['BENCH_RUNS'] ? `BENCH_RUNS=${RUNS} ` : ''}npm run bench:chat\` (DATABASE_URL=${ADMIN_URL.replace(/\/\/[^@]*@/, '//…@')}). Date ${new Date().toISOString().slice(0, 10)}; ${os.cpus().length} cores, Node ${process.version}, PostgreSQL ${serverVersion}.`,
    '',
    `Full chat turns through the chat service (ownership check, card guard, history read, two model rounds with one tool call, tool query, transcript + audit write in one transaction) with a zero-latency scripted model, so the time is ours alone. Turns alternate getBalance and getInvoice. Median of ${RUNS} runs for each figure.`,
    '',
    '| concurrent conversations | turns | turns/s | p50 ms | p95 ms | p99 ms |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Target: median service time under 5 ms per tool-using turn → at 1 conversation ${summary['1']!.p50.toFixed(2)} ms: ${summary['1']!.p50 < 5 ? 'met' : 'NOT met'}.`,
    '',
    `Static prompt prefix (o200k_base tokens): system prompt ${promptTokens} + tool schemas ${toolTokens} = **${promptTokens + toolTokens}** (target under 1,500: ${promptTokens + toolTokens < 1500 ? 'met' : 'NOT met'}). ` +
      `Distinct prefixes seen by the model across all ${Object.keys(summary).length > 0 ? 'benchmark' : ''} turns: **${prefixes.size}** (1 = byte-identical, so provider prompt caching applies).`,
    '',
    ...comparison,
  ].join('\n');
  process.stdout.write(`${body}\n`);
  if (process.env['BENCH_WRITE'] !== '0') writeBenchSection('Chat turns (npm run bench:chat)', body);
}

async function dropDatabase(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${DB_NAME} with (force)`);
  } finally {
    await admin.end();
  }
}

main().catch(async (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await dropDatabase().catch(() => undefined);
  process.exit(1);
});

// ---------------------------------------------------------------------------------------------
// Against @openai/agents: the same turns through its Runner, our service and our bare loop.

type Services = ReturnType<typeof createServices>;
type BenchSession = { accountId: string; userId: string; userName: string | null };

/**
 * The same script as an @openai/agents Model: a user message gets the tool call, a function result
 * gets the answer. Zero latency; usage zero, as ours.
 */
function agentsModel(): Model {
  let n = 0;
  const respond = (req: AgentsModelRequest): AgentsModelResponse => {
    const input = typeof req.input === 'string' ? [{ type: 'message' as const, role: 'user' as const, content: req.input }] : req.input;
    const last = input[input.length - 1];
    if (last && 'role' in last && last.role === 'user') {
      const text = typeof last.content === 'string' ? last.content : JSON.stringify(last.content);
      const call = scriptedCall(text);
      return { usage: new Usage(), output: [{ type: 'function_call', callId: `c${n++}`, name: call.name, arguments: call.arguments, status: 'completed' }] };
    }
    return {
      usage: new Usage(),
      output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: ANSWER }] }],
    };
  };
  return {
    getResponse: (req) => Promise.resolve(respond(req)),
    // eslint-disable-next-line require-yield -- the benchmark runs non-streamed turns only
    async *getStreamedResponse() {
      throw new Error('not used: the benchmark runs non-streamed turns');
    },
  };
}

/**
 * Our nine tools as @openai/agents function tools: the same strict JSON schemas the model gets from
 * us, arguments checked with the same zod schema, the same execute (a billing query) and the same
 * result projection, JSON-encoded as our loop sends it.
 */
function agentsTools(services: Services, ctx: ToolContext) {
  return services.registry.tools.map((t) => {
    const spec = services.registry.specs.find((s) => s.name === t.name);
    if (!spec) throw new Error(`no spec for ${t.name}`);
    return tool({
      name: t.name,
      description: t.description,
      // Typed as an empty strict object only for the compiler: the real schema is the spec's.
      parameters: spec.parameters as { type: 'object'; properties: Record<string, never>; required: never[]; additionalProperties: false },
      strict: true,
      execute: async (input: unknown) => JSON.stringify((await t.execute(ctx, t.parameters.parse(input))).result),
    });
  });
}

/** What each engine is given of the conversation so far: the service's window (src/agent/chat/conversations.ts), user and assistant text. */
const HISTORY_WINDOW = 20;

interface EngineRun {
  turns: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
}

async function compareWithAgentsRunner(services: Services, session: BenchSession): Promise<string[]> {
  const ctx: ToolContext = {
    session,
    conversationId: null,
    clock: services.clock,
    billing: services.billing,
    links: services.links,
    extras: {},
    locale: 'en-CA',
  };
  const systemPrompt = services.prompt.text;
  const agent = new Agent({ name: 'Billing Assistant', instructions: systemPrompt, model: agentsModel(), tools: agentsTools(services, ctx) });
  // Tracing off: its default exporter sends spans to OpenAI's platform, which is not overhead of
  // running a turn (ours exports nothing without OTEL_EXPORTER_OTLP_ENDPOINT either).
  const runner = new Runner({ tracingDisabled: true });
  const model = scriptedModel(null);
  recordPrefixes.on = false;

  type Engine = 'service' | 'loop' | 'runner';
  /** One conversation of `turns` turns; returns each turn's time. */
  const conversation: Record<Engine, (turns: number, times: number[]) => Promise<void>> = {
    service: async (turns, times) => {
      const c = await services.chat.createConversation(session);
      for (let i = 0; i < turns; i++) {
        const t = performance.now();
        const r = await services.chat.sendMessage(session, c.id, i % 2 === 0 ? BALANCE_QUESTION : INVOICE_QUESTION);
        times.push(performance.now() - t);
        if (r.toolCalls.length !== 1 || r.toolCalls[0]!.outcome !== 'ok') throw new Error(`service: unexpected turn ${JSON.stringify(r.toolCalls)}`);
      }
    },
    loop: async (turns, times) => {
      let history: ChatMessage[] = [];
      for (let i = 0; i < turns; i++) {
        const userText = i % 2 === 0 ? BALANCE_QUESTION : INVOICE_QUESTION;
        const t = performance.now();
        const r = await runTurn({
          model,
          registry: services.registry,
          ctx,
          links: services.links,
          systemPrompt,
          history,
          userText,
          maxRounds: services.config.AGENT_MAX_ROUNDS,
          toolTimeoutMs: services.config.AGENT_TOOL_TIMEOUT_MS,
          proposalTtlMs: services.config.PROPOSAL_TTL_MINUTES * 60_000,
          now: () => new Date(),
        });
        times.push(performance.now() - t);
        if (r.toolCalls.length !== 1 || r.toolCalls[0]!.outcome !== 'ok') throw new Error(`loop: unexpected turn ${JSON.stringify(r.toolCalls)}`);
        history = [...history, { role: 'user' as const, content: userText }, { role: 'assistant' as const, content: r.text }].slice(-HISTORY_WINDOW);
      }
    },
    runner: async (turns, times) => {
      let history: AgentInputItem[] = [];
      for (let i = 0; i < turns; i++) {
        const userText = i % 2 === 0 ? BALANCE_QUESTION : INVOICE_QUESTION;
        const t = performance.now();
        const input: AgentInputItem[] = [...history, { role: 'user', content: userText }];
        const r = await runner.run(agent, input);
        times.push(performance.now() - t);
        const calls = r.newItems.filter((x) => x.type === 'tool_call_output_item');
        if (calls.length !== 1 || r.finalOutput !== ANSWER || String(calls[0]!.output).includes('"error"')) {
          throw new Error(`runner: unexpected turn ${JSON.stringify(r.newItems.map((x) => x.toJSON()))}`);
        }
        // The same window of text messages as ours (tool items are not carried into the next turn).
        history = [
          ...history,
          { role: 'user' as const, content: userText },
          { role: 'assistant' as const, status: 'completed' as const, content: [{ type: 'output_text' as const, text: String(r.finalOutput) }] },
        ].slice(-HISTORY_WINDOW);
      }
    },
  };
  const measure = async (engine: Engine, concurrency: number, turns: number): Promise<EngineRun> => {
    const times: number[] = [];
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, () => conversation[engine](turns, times)));
    const wall = performance.now() - started;
    return { turns: times.length, perSecond: (times.length / wall) * 1000, p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99) };
  };

  const engines: Engine[] = ['service', 'loop', 'runner'];
  for (const e of engines) await measure(e, 4, 25); // warm-up
  log('engine comparison');
  const rows: string[] = [];
  const ratios: string[] = [];
  for (const [concurrency, turns] of [
    [1, 400],
    [50, 16],
  ] as const) {
    const results = new Map<Engine, EngineRun[]>(engines.map((e) => [e, []]));
    // Alternating runs (service, loop, Runner, service, …): the machine's load hits all three alike.
    for (let i = 0; i < RUNS; i++) for (const e of engines) results.get(e)!.push(await measure(e, concurrency, turns));
    const med = (e: Engine, f: (r: EngineRun) => number) => percentile(results.get(e)!.map(f), 50);
    const label: Record<Engine, string> = {
      service: 'our chat service (`sendMessage`: history read, loop, transcript + audit stored)',
      loop: 'our agent loop alone (`runTurn`, history in memory)',
      runner: '`@openai/agents` Runner (`runner.run`, history in memory)',
    };
    for (const e of engines) {
      rows.push(
        `| ${concurrency} | ${label[e]} | ${results.get(e)![0]!.turns} × ${RUNS} | ${med(e, (r) => r.perSecond).toFixed(0)} | ${med(e, (r) => r.p50).toFixed(3)} | ${med(e, (r) => r.p95).toFixed(3)} | ${med(e, (r) => r.p99).toFixed(3)} |`,
      );
    }
    const perTurn = (e: Engine) => 1000 / med(e, (r) => r.perSecond);
    ratios.push(
      `| ${concurrency} | **${(med('service', (r) => r.p50) / med('runner', (r) => r.p50)).toFixed(2)}** | ${(perTurn('service') / perTurn('runner')).toFixed(2)} | **${(med('loop', (r) => r.p50) / med('runner', (r) => r.p50)).toFixed(2)}** | ${(perTurn('loop') / perTurn('runner')).toFixed(2)} |`,
    );
    log(`${concurrency} concurrent: ${engines.map((e) => `${e} p50 ${med(e, (r) => r.p50).toFixed(3)} ms, ${med(e, (r) => r.perSecond).toFixed(0)}/s`).join('; ')}\n`);
  }
  return [
    '### Against `@openai/agents` (same tools, same scripted model, same run)',
    '',
    `The same turns (alternating "${BALANCE_QUESTION}" → getBalance and "${INVOICE_QUESTION}" → getInvoice, then the answer) through three engines, in alternating runs, all with a zero-latency scripted model, so every millisecond is engine overhead plus the tool's own PostgreSQL query. \`@openai/agents\` ${AGENTS_VERSION} gets our nine tools with the same strict JSON schemas, arguments checked with the same zod schemas, the same execute functions, and the same system prompt as instructions; its tracing is off (its exporter sends to OpenAI). Each engine sees the same history: the last ${HISTORY_WINDOW} user and assistant messages (the service's window). Neither the Runner nor our bare loop stores anything; the service also reads the history from PostgreSQL and stores the transcript and audit in one transaction, which the Runner would need a session for. Medians of ${RUNS} runs.`,
    '',
    '| concurrent conversations | engine | turns | turns/s | p50 ms | p95 ms | p99 ms |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    'Overhead ratios (ours ÷ Runner; below 1 means ours costs less):',
    '',
    '| concurrent conversations | service ÷ Runner, p50 per turn | service ÷ Runner, time per turn at throughput | loop ÷ Runner, p50 per turn | loop ÷ Runner, time per turn at throughput |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...ratios,
  ];
}

const AGENTS_VERSION = (JSON.parse(fs.readFileSync(projectPath('node_modules/@openai/agents/package.json'), 'utf8')) as { version: string }).version;
