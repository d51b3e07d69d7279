import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import type { Card } from '../src/agent/types.js';
import type { CheckResult, LatencyStats, TokenUsage } from './report.js';

/** Eval case files (YAML), the matching of one turn against its expectations, and the run's figures. */

/** The billing day of a case without `today:` (the fixture is written as of this day). */
export const EVAL_TODAY = '2026-11-25';

const toolExpect = z.union([z.string(), z.object({ name: z.string(), args: z.record(z.string(), z.unknown()).optional() }).strict()]);

export const expectSchema = z
  .object({
    tools: z.array(toolExpect).optional(),
    tools_exact: z.array(z.string()).optional(),
    no_tools: z.boolean().optional(),
    forbidden_tools: z.array(z.string()).optional(),
    reply_contains: z.array(z.string()).optional(),
    reply_not_contains: z.array(z.string()).optional(),
    reply_matches: z.array(z.string()).optional(),
    cards: z.array(z.record(z.string(), z.unknown())).optional(),
    /** Calls proposed to the user (a confirm card; not run). */
    proposed: z.array(toolExpect).optional(),
    no_proposals: z.boolean().optional(),
    /** Approve/decline steps: the decision was refused (expired, already decided, nothing pending). */
    rejected: z.boolean().optional(),
    /** Rubric(s) a judge model grades the reply against (`--judge-model`); skipped without one. */
    judge: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  })
  .strict();

/**
 * What the user typed. A YAML number or boolean (`user: 5555555555554444`) reaches here as its
 * source text (see `loadCaseFile`), so `0042`, `12.50` or a 19-digit number keep their form.
 */
const userText = z.string({ error: 'user: needs the text the user typed (it is empty here)' }).min(1, 'user: needs the text the user typed (it is empty here)');

export const turnSchema = z.union(
  [
    z.object({ user: userText, expect: expectSchema.default({}) }).strict(),
    z.object({ approve: z.literal(true), expect: expectSchema.default({}) }).strict(),
    z.object({ decline: z.literal(true), expect: expectSchema.default({}) }).strict(),
    z.object({ advance_minutes: z.number().positive() }).strict(),
  ],
  // zod's own word for a union that matched nothing is "Invalid input": say what a turn can be.
  { error: 'a turn is one of: user: <text> (with expect), approve: true, decline: true, advance_minutes: <minutes>' },
);
export type EvalTurn = z.infer<typeof turnSchema>;

const isoDate = z.iso.date();

export const caseSchema = z
  .object({
    id: z.string().min(1),
    account: z.string().regex(/^R\d{5,}$/),
    user: z.string().optional(),
    tags: z.array(z.string()).default([]),
    /** The billing day the case runs at: the fixture is seeded and the clock pinned at it. */
    today: isoDate.optional(),
    turns: z.array(turnSchema).min(1),
  })
  .strict();

export const fileSchema = z.object({ cases: z.array(caseSchema) }).strict();

export type EvalCase = z.infer<typeof caseSchema> & { /** The file it came from. */ file: string };
export type Expect = z.infer<typeof expectSchema>;

export interface ObservedTurn {
  user: string;
  /** Calls that ran. */
  tools: Array<{ name: string; args: unknown }>;
  /** Calls proposed (needs_approval), not run. */
  proposals: Array<{ name: string; args: unknown }>;
  /** An approve/decline step that was refused. */
  rejected: boolean;
  reply: string;
  cards: Card[];
}

/**
 * Parses one case file. Scalars under `user:` are taken as the text written in the file (YAML
 * would read `user: 0042` as the number 42). Schema errors name the file and line.
 */
export function loadCaseFile(file: string): EvalCase[] {
  const source = fs.readFileSync(file, 'utf8');
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(source, { lineCounter, prettyErrors: false });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return file;
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  const yamlError = doc.errors[0];
  if (yamlError) throw new Error(`${at(yamlError.pos[0])}: ${yamlError.message.split('\n')[0]}`);
  YAML.visit(doc, {
    Pair(_key, pair) {
      if (YAML.isScalar(pair.key) && pair.key.value === 'user' && YAML.isScalar(pair.value) && typeof pair.value.value !== 'string' && pair.value.value !== null) {
        pair.value.value = pair.value.source ?? String(pair.value.value);
      }
    },
  });
  const parsed = fileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const issuePath = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    // The deepest node of the path that exists in the file (a missing key points at its parent).
    let offset: number | undefined;
    for (let n = issuePath.length; n >= 0 && offset === undefined; n--) {
      const node = doc.getIn(issuePath.slice(0, n), true);
      if (YAML.isNode(node)) offset = node.range?.[0];
    }
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : '';
    throw new Error(`${at(offset)}: ${issuePath.join('.')}: ${issue.message}${more}`);
  }
  return parsed.data.cases.map((c) => ({ ...c, file }));
}

/** Loads every .yaml/.yml under a file or directory; ids must be unique. */
export function loadCases(target: string): EvalCase[] {
  const files: string[] = [];
  const walk = (p: string) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const f of fs.readdirSync(p).sort()) walk(path.join(p, f));
    else if (/\.ya?ml$/.test(p)) files.push(p);
  };
  walk(target);
  if (files.length === 0) throw new Error(`no .yaml case files under ${target}`);
  const cases: EvalCase[] = [];
  const ids = new Set<string>();
  for (const f of files) {
    for (const c of loadCaseFile(f)) {
      if (ids.has(c.id)) throw new Error(`${f}: duplicate case id ${c.id}`);
      ids.add(c.id);
      cases.push(c);
    }
  }
  return cases;
}

/** `--filter`: comma-separated ids, id substrings or tags; a case matches any of them. */
export function filterCases(cases: EvalCase[], filter: string | undefined): EvalCase[] {
  const terms = (filter ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (terms.length === 0) return cases;
  return cases.filter((c) => terms.some((t) => c.id.includes(t) || c.tags.includes(t)));
}

/** Partial match: every key of `expected` must match in `actual`; strings case-insensitively, arrays element-wise. */
export function partialMatch(expected: unknown, actual: unknown): boolean {
  if (expected === null || expected === undefined) return actual === expected;
  if (typeof expected === 'string') return typeof actual === 'string' ? actual.toLowerCase() === expected.toLowerCase() : String(actual) === expected;
  if (typeof expected === 'number' || typeof expected === 'boolean') return actual === expected;
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && expected.length === actual.length && expected.every((e, i) => partialMatch(e, actual[i]));
  }
  if (typeof expected === 'object') {
    if (typeof actual !== 'object' || actual === null) return false;
    return Object.entries(expected as Record<string, unknown>).every(([k, v]) => partialMatch(v, (actual as Record<string, unknown>)[k]));
  }
  return false;
}

/** The rubrics of a turn's `judge:` (one or several). */
export function judgeRubrics(expect: Expect): string[] {
  return expect.judge === undefined ? [] : typeof expect.judge === 'string' ? [expect.judge] : expect.judge;
}

/** Every string-checkable expectation of one turn with its verdict, in case-file order (judged ones are added by the judge). */
export function checkExpectations(expect: Expect, t: ObservedTurn): CheckResult[] {
  const checks: CheckResult[] = [];
  const add = (kind: string, expectation: string, failure: string | null) =>
    checks.push(failure === null ? { kind, expectation, verdict: 'pass' } : { kind, expectation, verdict: 'fail', reason: failure });
  const names = t.tools.map((x) => x.name);
  const norm = (s: string) => s.toLowerCase();
  const inOrder = (key: 'tools' | 'proposed', wanted: Expect['tools'], calls: ObservedTurn['tools']) => {
    // In order among the turn's calls (other calls may come between); one check per expected call.
    let from = 0;
    let broken = false;
    for (const e of wanted ?? []) {
      const want = typeof e === 'string' ? { name: e } : e;
      const label = `${key}: ${JSON.stringify(want)}`;
      if (broken) {
        add(key, label, 'not checked: an earlier expected call is missing');
        continue;
      }
      const idx = calls.findIndex((c, i) => i >= from && c.name === want.name && (!want.args || partialMatch(want.args, c.args)));
      if (idx < 0) {
        add(key, label, `expected ${JSON.stringify(want)} (in order) among ${JSON.stringify(calls)}`);
        broken = true;
      } else {
        add(key, label, null);
        from = idx + 1;
      }
    }
  };
  for (const key of Object.keys(expect) as Array<keyof Expect>) {
    switch (key) {
      case 'tools':
        inOrder('tools', expect.tools, t.tools);
        break;
      case 'proposed':
        inOrder('proposed', expect.proposed, t.proposals);
        break;
      case 'no_proposals':
        if (expect.no_proposals) add(key, 'no_proposals', t.proposals.length > 0 ? `got ${JSON.stringify(t.proposals)}` : null);
        break;
      case 'rejected':
        add(key, `rejected: ${expect.rejected}`, expect.rejected !== t.rejected ? `expected ${expect.rejected}, got ${t.rejected}` : null);
        break;
      case 'tools_exact':
        add(
          key,
          `tools_exact: ${JSON.stringify(expect.tools_exact)}`,
          JSON.stringify(expect.tools_exact) !== JSON.stringify(names) ? `expected ${JSON.stringify(expect.tools_exact)}, got ${JSON.stringify(names)}` : null,
        );
        break;
      case 'no_tools':
        if (expect.no_tools) add(key, 'no_tools', names.length > 0 ? `got ${JSON.stringify(names)}` : null);
        break;
      case 'forbidden_tools':
        for (const f of expect.forbidden_tools ?? []) add(key, `forbidden_tools: ${f}`, names.includes(f) ? `${f} was called` : null);
        break;
      case 'reply_contains':
        for (const s of expect.reply_contains ?? []) add(key, `reply_contains: ${JSON.stringify(s)}`, norm(t.reply).includes(norm(s)) ? null : 'not in the reply');
        break;
      case 'reply_not_contains':
        for (const s of expect.reply_not_contains ?? []) add(key, `reply_not_contains: ${JSON.stringify(s)}`, norm(t.reply).includes(norm(s)) ? 'in the reply' : null);
        break;
      case 'reply_matches':
        for (const r of expect.reply_matches ?? []) add(key, `reply_matches: /${r}/`, new RegExp(r, 'i').test(t.reply) ? null : 'no match in the reply');
        break;
      case 'cards':
        for (const c of expect.cards ?? []) add(key, `cards: ${JSON.stringify(c)}`, t.cards.some((card) => partialMatch(c, card)) ? null : 'no card matches');
        break;
      case 'judge':
        break;
    }
  }
  return checks;
}

/** One line per failed check, as the terminal and JUnit show it. */
export function failureLines(checks: CheckResult[]): string[] {
  return checks.filter((c) => c.verdict === 'fail').map((c) => (c.kind === 'judge' ? `judge: ${c.reason ?? 'failed'} (rubric: ${c.expectation})` : `${c.expectation}: ${c.reason ?? 'failed'}`));
}

/** Returns the failed expectations of one turn (empty when it passed). */
export function checkTurn(expect: Expect, t: ObservedTurn): string[] {
  return failureLines(checkExpectations(expect, t));
}

function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** τ-bench pass^k: mean over cases of C(c,k)/C(n,k), c successes out of n trials. */
export function passHatK(results: Array<{ successes: number; trials: number }>, k: number): number {
  if (results.length === 0) return 0;
  return results.reduce((s, r) => s + choose(r.successes, k) / choose(r.trials, k), 0) / results.length;
}

/** Nearest-rank percentiles (and the mean) of a set of durations in ms, rounded to 0.1 ms. */
export function latencyStats(values: readonly number[]): LatencyStats {
  const round = (x: number) => Math.round(x * 10) / 10;
  if (values.length === 0) return { p50: 0, p95: 0, p99: 0, mean: 0, count: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { p50: round(rank(50)), p95: round(rank(95)), p99: round(rank(99)), mean: round(sorted.reduce((s, x) => s + x, 0) / sorted.length), count: sorted.length };
}

export const NO_USAGE: Readonly<TokenUsage> = Object.freeze({ input_tokens: 0, output_tokens: 0, cached_input_tokens: 0 });

export function addUsage(...all: TokenUsage[]): TokenUsage {
  return all.reduce(
    (s, u) => ({ input_tokens: s.input_tokens + u.input_tokens, output_tokens: s.output_tokens + u.output_tokens, cached_input_tokens: s.cached_input_tokens + u.cached_input_tokens }),
    { ...NO_USAGE },
  );
}

/** USD per 1M tokens (evals/prices.yaml). `cached_input` defaults to `input`. */
export interface ModelPrice {
  input: number;
  output: number;
  cached_input?: number | undefined;
}

const priceSchema = z.object({ input: z.number().min(0), output: z.number().min(0), cached_input: z.number().min(0).optional() }).strict();
const pricesSchema = z.object({ models: z.record(z.string(), priceSchema) }).strict();

export const PRICES_FILE = path.join(import.meta.dirname, 'prices.yaml');

/** The price table; `--model` names are looked up as written, then without a `provider/` prefix. */
export function loadPrices(file = PRICES_FILE): Record<string, ModelPrice> {
  const parsed = pricesSchema.safeParse(YAML.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.models;
}

/** Estimated cost in USD, or null when the model has no price. Cached input tokens are billed at `cached_input`. */
export function costOf(prices: Record<string, ModelPrice>, model: string, usage: TokenUsage): number | null {
  const price = prices[model] ?? prices[model.replace(/^.*\//, '')];
  if (!price) return null;
  const fresh = usage.input_tokens - usage.cached_input_tokens;
  const usd = (fresh * price.input + usage.cached_input_tokens * (price.cached_input ?? price.input) + usage.output_tokens * price.output) / 1_000_000;
  return Math.round(usd * 1_000_000) / 1_000_000;
}
