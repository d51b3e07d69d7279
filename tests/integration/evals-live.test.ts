import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadPrompt, runEvals, runSuite } from '../../evals/run.js';
import { formatMatrix, runMatrix } from '../../evals/matrix.js';
import { mockChatCompletions, OPENAI_TEST_BASE_URL, type CapturedRequest, type WireStep } from '../helpers/openai-msw.js';

/**
 * Issue #15: live-model runs through the real openai SDK (endpoint played by msw): tokens, latency
 * and estimated cost per turn; the response cache (second run sends nothing, --no-cache sends
 * again); backoff on 429 past the SDK's own retries; the --prompt matrix (each combination's
 * system prompt is what the model receives); and, offline, --concurrency lanes and a case-level
 * `today:` (the fixture seeded and the clock pinned at that day).
 */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evals-live-'));
const cacheDir = path.join(dir, 'cache');
const write = (name: string, text: string) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
};
const balanceCase = write(
  'balance.yaml',
  `cases:
  - id: live/balance
    account: R10042
    tags: [live]
    turns:
      - user: What is my current account balance?
        expect:
          tools: [getBalance]
          reply_contains: ["2,494.96"]
`,
);

/** A model that calls getBalance for a user message and answers once the tool result is back. */
const balanceModel = (req: CapturedRequest): WireStep =>
  req.body.messages.at(-1)?.role === 'tool'
    ? { text: 'Your balance is $2,494.96.', usage: { prompt_tokens: 1200, completion_tokens: 30, cached_tokens: 1000 } }
    : { toolCalls: [{ id: 'call_1', name: 'getBalance', arguments: '{}' }], usage: { prompt_tokens: 1000, completion_tokens: 20 } };

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  vi.unstubAllEnvs();
});
afterAll(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function liveEnv(retries = '2') {
  vi.stubEnv('OPENAI_API_KEY', 'test');
  vi.stubEnv('OPENAI_BASE_URL', OPENAI_TEST_BASE_URL);
  vi.stubEnv('OPENAI_MAX_RETRIES', retries);
}

describe('live-model runs', () => {
  it('records tokens, latency and cost; the cache answers a rerun without a request; --no-cache asks again', async () => {
    liveEnv();
    const mock = mockChatCompletions([], { fallback: balanceModel });
    server.use(mock.handler);
    const opts = { cases: balanceCase, model: 'gpt-4o-mini', trials: 1, quiet: true, cacheDir };

    const first = await runEvals(opts);
    expect(first.summary.passed).toBe(1);
    expect(mock.requests).toHaveLength(2);
    const turn = first.results[0]!.trials[0]!.turns[0]!;
    expect(turn).toMatchObject({ model_calls: 2, cache_hits: 0, usage: { input_tokens: 2200, output_tokens: 50, cached_input_tokens: 1000 } });
    expect(turn.latency_ms).toBeGreaterThan(0);
    // gpt-4o-mini in evals/prices.yaml: 0.15 in, 0.075 cached in, 0.60 out per 1M tokens.
    expect(first.summary.cost_usd).toBeCloseTo((1200 * 0.15 + 1000 * 0.075 + 50 * 0.6) / 1e6, 9);
    expect(first.summary.latency_ms.count).toBe(1);
    expect(first.summary.cache).toEqual({ enabled: true, hits: 0, misses: 2 });

    const second = await runEvals(opts);
    expect(mock.requests).toHaveLength(2);
    expect(second.summary.passed).toBe(1);
    expect(second.summary.cache).toEqual({ enabled: true, hits: 2, misses: 0 });
    expect(second.results[0]!.trials[0]!.turns[0]).toMatchObject({ cache_hits: 2, usage: { input_tokens: 2200, output_tokens: 50 } });

    const third = await runEvals({ ...opts, cache: false });
    expect(mock.requests).toHaveLength(4);
    expect(third.summary.cache).toEqual({ enabled: false, hits: 0, misses: 0 });
  }, 240_000);

  it('waits out 429s the SDK gave up on (Retry-After honoured) and the case still passes', async () => {
    liveEnv('0');
    const limited: WireStep = { kind: 'status', status: 429, headers: { 'retry-after': '0' } };
    const mock = mockChatCompletions([limited, limited, balanceModel, limited, balanceModel]);
    server.use(mock.handler);
    const report = await runEvals({ cases: balanceCase, model: 'gpt-4o-mini', trials: 1, quiet: true, cache: false });
    expect(mock.requests).toHaveLength(5);
    expect(mock.remainingSteps()).toBe(0);
    expect(report.summary.passed).toBe(1);
  }, 240_000);

  it('a prompt matrix: every combination runs the cases with its own system prompt, side by side', async () => {
    liveEnv();
    const mock = mockChatCompletions([], { fallback: balanceModel });
    server.use(mock.handler);
    const a = write('support.v7.md', 'You are the billing assistant, version A.');
    const b = write('support.v8.md', 'You are the billing assistant, version B. The opening fee is {{OPENING_FEE}}.');
    const matrix = await runMatrix({ cases: balanceCase, models: ['gpt-4o-mini'], prompts: [a, b], trials: 1, quiet: true, cache: false }, runSuite);
    expect(matrix.kind).toBe('matrix');
    expect(matrix.rows.map((r) => [r.model, r.prompt.name, r.passed])).toEqual([
      ['gpt-4o-mini', 'support.v7', 1],
      ['gpt-4o-mini', 'support.v8', 1],
    ]);
    expect(matrix.rows[1]!.prompt.version).toBe(loadPrompt(b).version);
    const systems = mock.requests.map((r) => r.body.messages[0]);
    expect(systems.slice(0, 2).every((m) => m?.role === 'system' && m.content === 'You are the billing assistant, version A.')).toBe(true);
    expect(systems.slice(2).every((m) => m?.role === 'system' && /version B\. The opening fee is \$\d/.test(String(m.content)))).toBe(true);
    const table = formatMatrix(matrix);
    expect(table).toContain(matrix.rows[0]!.prompt.version);
    expect(table).toContain(matrix.rows[1]!.prompt.version);
  }, 240_000);
});

describe('offline lanes and billing days', () => {
  it('--concurrency 2 runs the cases on two databases, each at its own today:, results in file order', async () => {
    const cases = write(
      'days.yaml',
      `cases:
  - id: day/default
    account: R10042
    turns:
      - user: show me invoice IN7654320
        expect:
          cards: [{ type: invoice, invoiceNumber: IN7654320, dueOn: "2026-12-05" }]
  - id: day/captured
    account: R10042
    today: 2027-02-10
    turns:
      - user: show me invoice IN7654320
        expect:
          cards: [{ type: invoice, invoiceNumber: IN7654320, dueOn: "2027-02-20" }]
  - id: day/default-again
    account: R10042
    turns:
      - user: 7654320
        expect:
          cards: [{ type: invoice, invoiceNumber: IN7654320, dueOn: "2026-12-05" }]
`,
    );
    const report = await runEvals({ cases, model: 'offline', trials: 2, quiet: true, concurrency: 2 });
    expect(report.results.map((r) => [r.id, r.today, r.successes])).toEqual([
      ['day/default', '2026-11-25', 2],
      ['day/captured', '2027-02-10', 2],
      ['day/default-again', '2026-11-25', 2],
    ]);
  }, 240_000);
});
