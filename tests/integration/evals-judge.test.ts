import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatReport, runEvals } from '../../evals/run.js';

/**
 * Issue #15, must show 4: `judge:` expectations graded by an OpenAI-compatible model through the
 * real openai SDK, its endpoint played by msw: a pass, a fail (the case fails with the judge's
 * reason), a judge error (a fail, never a pass), and without `--judge-model` skipped (not passed,
 * no request made). The model under test is the offline engine.
 */

const JUDGE_URL = 'http://judge.test/v1';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evals-judge-'));
const cases = path.join(dir, 'judged.yaml');
fs.writeFileSync(
  cases,
  `cases:
  - id: judged/pass
    account: R10042
    tags: [judged]
    turns:
      - user: What is my current account balance?
        expect:
          tools: [getBalance]
          judge: "RUBRIC-PASS: states the balance of $2,494.96"
  - id: judged/fail
    account: R10042
    tags: [judged]
    turns:
      - user: What is my current account balance?
        expect:
          tools: [getBalance]
          judge: "RUBRIC-FAIL: apologises for the late fee"
  - id: judged/broken-judge
    account: R10042
    tags: [judged]
    turns:
      - user: What is my current account balance?
        expect:
          judge: ["RUBRIC-ERROR: anything"]
`,
);

const requests: ChatCompletionCreateParamsNonStreaming[] = [];
const completion = (content: string): ChatCompletion => ({
  id: 'chatcmpl-judge',
  object: 'chat.completion',
  created: 1_764_000_000,
  model: 'judge-test',
  choices: [{ index: 0, finish_reason: 'stop', logprobs: null, message: { role: 'assistant', content, refusal: null } }],
});
const server = setupServer(
  http.post(`${JUDGE_URL}/chat/completions`, async ({ request }) => {
    const body = (await request.json()) as ChatCompletionCreateParamsNonStreaming;
    requests.push(body);
    const prompt = String(body.messages.at(-1)?.content);
    if (prompt.includes('RUBRIC-PASS')) return HttpResponse.json(completion('{"verdict":"pass","reason":"It gives the balance, $2,494.96."}'));
    if (prompt.includes('RUBRIC-FAIL')) return HttpResponse.json(completion('```json\n{"verdict":"fail","reason":"No apology about a late fee."}\n```'));
    // A 400 is not retried by the SDK (so its body is safe to send).
    return HttpResponse.json({ error: { message: 'bad judge request', type: 'invalid_request_error', code: null, param: null } }, { status: 400 });
  }),
);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => vi.unstubAllEnvs());
afterAll(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('judged expectations', () => {
  it('with --judge-model: pass and fail with the judge’s one-line reason; a judge error fails the check', async () => {
    vi.stubEnv('EVALS_JUDGE_BASE_URL', JUDGE_URL);
    vi.stubEnv('EVALS_JUDGE_API_KEY', 'judge-key');
    const report = await runEvals({ cases, model: 'offline', trials: 1, quiet: true, judgeModel: 'judge-test', cache: false });
    const byId = new Map(report.results.map((r) => [r.id, r]));
    const judgeCheck = (id: string) => byId.get(id)!.trials[0]!.turns[0]!.checks.find((c) => c.kind === 'judge');

    expect(byId.get('judged/pass')!.passed).toBe(true);
    expect(judgeCheck('judged/pass')).toEqual({
      kind: 'judge',
      expectation: 'RUBRIC-PASS: states the balance of $2,494.96',
      verdict: 'pass',
      reason: 'It gives the balance, $2,494.96.',
      judge_model: 'judge-test',
    });

    expect(byId.get('judged/fail')!.passed).toBe(false);
    expect(judgeCheck('judged/fail')).toMatchObject({ verdict: 'fail', reason: 'No apology about a late fee.' });
    expect(byId.get('judged/fail')!.trials[0]!.turns[0]!.failures).toEqual(['judge: No apology about a late fee. (rubric: RUBRIC-FAIL: apologises for the late fee)']);

    expect(byId.get('judged/broken-judge')!.passed).toBe(false);
    expect(judgeCheck('judged/broken-judge')).toMatchObject({ verdict: 'fail', reason: 'judge error: status 400' });

    expect(report.summary.judge).toEqual({ model: 'judge-test', passed: 1, failed: 2, skipped: 0 });

    // What the judge was sent: its model, the rubric, the reply under test and the tools that ran.
    const sent = requests.find((r) => String(r.messages.at(-1)?.content).includes('RUBRIC-PASS'))!;
    expect(sent.model).toBe('judge-test');
    expect(sent.temperature).toBe(0);
    const prompt = String(sent.messages.at(-1)?.content);
    expect(prompt).toContain('USER: What is my current account balance?');
    expect(prompt).toContain('TOOLS RUN: getBalance({})');
    expect(prompt).toMatch(/ASSISTANT \(the reply to grade\): .*2,494\.96/);
  }, 180_000);

  it('without --judge-model: judged checks are skipped, never passed, and no judge is called', async () => {
    const before = requests.length;
    const report = await runEvals({ cases, model: 'offline', trials: 1, quiet: true, filter: 'judged/pass,judged/fail' });
    expect(requests.length).toBe(before);
    const checks = report.results.map((r) => r.trials[0]!.turns[0]!.checks.find((c) => c.kind === 'judge'));
    expect(checks).toEqual([
      { kind: 'judge', expectation: 'RUBRIC-PASS: states the balance of $2,494.96', verdict: 'skipped', reason: 'no --judge-model given', judge_model: null },
      { kind: 'judge', expectation: 'RUBRIC-FAIL: apologises for the late fee', verdict: 'skipped', reason: 'no --judge-model given', judge_model: null },
    ]);
    expect(report.summary.judge).toEqual({ model: null, passed: 0, failed: 0, skipped: 2 });
    expect(formatReport(report)).toContain('2 judged check(s) SKIPPED: no --judge-model (they are not counted as passed)');
  }, 180_000);
});
