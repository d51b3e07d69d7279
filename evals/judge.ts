import OpenAI from 'openai';
import { z } from 'zod';
import type { CheckResult } from './report.js';
import { cacheKey, type ResponseCache } from './cache.js';

/**
 * `judge: "<rubric>"` expectations, graded by an OpenAI-compatible model (`--judge-model`). The
 * judge sees the conversation up to the turn (user messages, tools run, replies) and the rubric,
 * and answers with JSON: a verdict and a one-line reason. Without a judge model the checks are
 * `skipped`, never `pass`. An unreadable or failed judge answer is a `fail` with the reason, so a
 * broken judge cannot turn a suite green.
 *
 * Endpoint: EVALS_JUDGE_BASE_URL / EVALS_JUDGE_API_KEY, else OPENAI_BASE_URL / OPENAI_API_KEY
 * (the same server as the model under test is fine; a stronger model is better).
 */

export interface JudgeOptions {
  model: string;
  apiKey?: string | undefined;
  baseURL?: string | undefined;
  /** SDK retries (429/5xx, honouring Retry-After); default 4. */
  maxRetries?: number;
  timeoutMs?: number;
  cache?: ResponseCache | null;
}

export interface JudgedTurn {
  user: string;
  reply: string;
  tools: Array<{ name: string; args: unknown }>;
}

export interface Judge {
  readonly model: string;
  grade(rubric: string, conversation: JudgedTurn[]): Promise<CheckResult>;
}

export const JUDGE_SYSTEM_PROMPT = [
  'You grade one reply of a billing assistant (invoices, balances, payments) against a rubric.',
  'Judge only what the rubric asks, from the conversation shown; do not reward or punish anything else.',
  'Answer with one JSON object and nothing else: {"verdict": "pass" | "fail", "reason": "<one sentence>"}.',
].join('\n');

const answerSchema = z.object({ verdict: z.enum(['pass', 'fail']), reason: z.string().min(1) });

/** The judge's user message: the transcript, the reply under test marked, and the rubric. */
export function judgePrompt(rubric: string, conversation: JudgedTurn[]): string {
  const lines: string[] = [];
  conversation.forEach((t, i) => {
    const last = i === conversation.length - 1;
    lines.push(`USER: ${t.user}`);
    if (t.tools.length > 0) lines.push(`TOOLS RUN: ${t.tools.map((c) => `${c.name}(${JSON.stringify(c.args)})`).join(', ')}`);
    lines.push(`${last ? 'ASSISTANT (the reply to grade)' : 'ASSISTANT'}: ${t.reply}`);
  });
  return `Conversation:\n${lines.join('\n')}\n\nRubric: ${rubric}`;
}

/** The verdict of a judge's answer text (tolerates a ```json fence or prose around the object). */
export function readVerdict(text: string): { verdict: 'pass' | 'fail'; reason: string } | null {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return null;
  try {
    const parsed = answerSchema.safeParse(JSON.parse(text.slice(start, end + 1)));
    return parsed.success ? { verdict: parsed.data.verdict, reason: parsed.data.reason.replace(/\s+/g, ' ').trim() } : null;
  } catch {
    return null;
  }
}

export function createJudge(opts: JudgeOptions): Judge {
  const client = new OpenAI({
    apiKey: opts.apiKey ?? 'not-needed',
    ...(opts.baseURL ? { baseURL: opts.baseURL } : {}),
    maxRetries: opts.maxRetries ?? 4,
    timeout: opts.timeoutMs ?? 60_000,
    // Looked up at call time, so msw (tests) can intercept.
    fetch: (url, init) => globalThis.fetch(url, init),
  });
  const base: Pick<CheckResult, 'kind' | 'judge_model'> = { kind: 'judge', judge_model: opts.model };
  return {
    model: opts.model,
    async grade(rubric, conversation) {
      const messages = [
        { role: 'system' as const, content: JUDGE_SYSTEM_PROMPT },
        { role: 'user' as const, content: judgePrompt(rubric, conversation) },
      ];
      const key = opts.cache ? cacheKey({ judge: opts.model, endpoint: opts.baseURL ?? 'openai', messages }) : null;
      let text = key ? opts.cache!.get<string>(key) : undefined;
      if (text === undefined) {
        try {
          const resp = await client.chat.completions.create({ model: opts.model, messages, temperature: 0 });
          text = resp.choices[0]?.message.content ?? '';
        } catch (err) {
          const why = err instanceof OpenAI.APIError ? `status ${err.status ?? 'none'}` : err instanceof Error ? err.message : String(err);
          return { ...base, expectation: rubric, verdict: 'fail', reason: `judge error: ${why}` };
        }
      }
      const verdict = readVerdict(text);
      if (!verdict) return { ...base, expectation: rubric, verdict: 'fail', reason: `judge answer unreadable: ${JSON.stringify(text.slice(0, 120))}` };
      if (key) opts.cache!.set(key, text);
      return { ...base, expectation: rubric, verdict: verdict.verdict, reason: verdict.reason };
    },
  };
}

/** A judged check without a judge model. */
export function skippedJudgement(rubric: string): CheckResult {
  return { kind: 'judge', expectation: rubric, verdict: 'skipped', reason: 'no --judge-model given', judge_model: null };
}
