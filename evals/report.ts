import type { Card } from '../tools/cards.js';

/**
 * The JSON report of `npm run evals` (`--json`), the input of the HTML report (`--html`) and of a
 * later run's `--baseline`. One shape per run (`kind: "run"`); a matrix run (`--model a,b` and/or
 * `--prompt f1,f2`) holds one run report per combination (`kind: "matrix"`).
 *
 * Stable contract: fields are only ever added. Snake case, like the rest of the JSON output.
 */

export const REPORT_VERSION = 2;

/** Tokens as the model endpoint reported them (0 for the offline engine). */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  /** Input tokens the endpoint served from its prompt cache (part of input_tokens). */
  cached_input_tokens: number;
}

export interface LatencyStats {
  /** Milliseconds, nearest-rank percentiles over the turns (or cases) they summarise; 0 when there are none. */
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  count: number;
}

/** One expectation of a turn and how it came out. */
export type Verdict = 'pass' | 'fail' | 'skipped';

export interface CheckResult {
  /** The expectation key of the case file: `tools`, `reply_contains`, `cards`, ... or `judge`. */
  kind: string;
  /** The expectation as a person reads it, e.g. `reply_contains: "2,494.96"` or the judge's rubric. */
  expectation: string;
  verdict: Verdict;
  /** Why it failed or was skipped (the judge's one-line reason also when it passed). */
  reason?: string;
  /** Judged checks only: the model that graded it (null when skipped: no `--judge-model`). */
  judge_model?: string | null;
}

export interface ToolCallView {
  name: string;
  args: unknown;
}

export interface TurnReport {
  /** What the user typed, or `[approve]` / `[decline]` for a confirm-card decision. */
  user: string;
  kind: 'user' | 'approve' | 'decline';
  reply: string;
  /** Calls that ran, in order. */
  tools: ToolCallView[];
  /** Calls proposed on a confirm card (not run). */
  proposals: ToolCallView[];
  /** An approve/decline step that was refused (expired, already decided, nothing pending). */
  rejected: boolean;
  /** The cards of the reply, exactly as the widget receives them. */
  cards: Card[];
  /** Every expectation of the turn, in case-file order, judged ones last. */
  checks: CheckResult[];
  /** The failed checks as one line each (`kind: reason`); empty when the turn passed. */
  failures: string[];
  /** Wall time of the turn (model calls, tools, storage). */
  latency_ms: number;
  usage: TokenUsage;
  /** Model calls made in the turn, and how many of them the response cache answered. */
  model_calls: number;
  cache_hits: number;
}

export interface TrialReport {
  passed: boolean;
  turns: TurnReport[];
  /** Set when the trial stopped on an error (turns holds what ran before it). */
  error?: string;
  latency_ms: number;
  usage: TokenUsage;
}

/**
 * A case compared with the baseline report:
 * - regressed: passed (every trial) in the baseline, fails now;
 * - fixed: failed in the baseline, passes now;
 * - flaky: same outcome, but some trials passed and some failed (now or in the baseline);
 * - unchanged: same outcome, every trial alike;
 * - new: not in the baseline.
 */
export type BaselineStatus = 'regressed' | 'fixed' | 'flaky' | 'unchanged' | 'new';

export interface CaseBaseline {
  status: BaselineStatus;
  /** Trials passed in the baseline run and how many it ran (null for a new case). */
  successes: number | null;
  trials: number | null;
}

export interface CaseReport {
  id: string;
  tags: string[];
  account: string;
  /** The billing day the case ran at (its `today:` or the default). */
  today: string;
  /** The case file, relative to the working directory. */
  file: string;
  passed: boolean;
  /** Trials that passed (pass^k counts these). */
  successes: number;
  trials: TrialReport[];
  /** Mean over the trials of a trial's wall time. */
  latency_ms: number;
  /** Summed over the trials. */
  usage: TokenUsage;
  /** Estimated from evals/prices.yaml; null when the model has no price there. */
  cost_usd: number | null;
  /** Present when the run had `--baseline`. */
  baseline?: CaseBaseline;
}

export interface JudgeSummary {
  /** The `--judge-model`, or null: every judged check was skipped. */
  model: string | null;
  passed: number;
  failed: number;
  skipped: number;
}

export interface BaselineSummary {
  /** The `--baseline` file as given. */
  path: string;
  /** The baseline run's date, model and pass rate. */
  date: string;
  model: string;
  pass_rate: number;
  regressions: string[];
  fixes: string[];
  flaky: string[];
  unchanged: string[];
  new: string[];
  /** Case ids in the baseline that this run did not run (deleted, renamed or filtered out). */
  removed: string[];
}

export interface RunSummary {
  cases: number;
  passed: number;
  failed: number;
  pass_rate: number;
  trials: number;
  /** τ-bench pass^k for k = 1..trials. */
  pass_hat_k: Record<string, number>;
  model: string;
  /** The system prompt: its name (file) and version (name@content-hash). */
  prompt: { name: string; version: string };
  date: string;
  duration_ms: number;
  /** Over every turn of every trial. */
  latency_ms: LatencyStats;
  usage: TokenUsage;
  cost_usd: number | null;
  judge: JudgeSummary;
  cache: { enabled: boolean; hits: number; misses: number };
  /** Case ids: empty without a baseline. */
  regressions: string[];
  fixes: string[];
}

export interface TagSummary {
  cases: number;
  passed: number;
}

export interface RunReport {
  kind: 'run';
  version: typeof REPORT_VERSION;
  summary: RunSummary;
  tags: Record<string, TagSummary>;
  results: CaseReport[];
  /** Present when the run had `--baseline`. */
  baseline?: BaselineSummary;
}

/** One combination of a matrix, side by side with the others. */
export interface MatrixRow {
  model: string;
  prompt: { name: string; version: string };
  cases: number;
  passed: number;
  pass_rate: number;
  latency_ms: LatencyStats;
  usage: TokenUsage;
  cost_usd: number | null;
  regressions: string[];
  fixes: string[];
}

export interface MatrixReport {
  kind: 'matrix';
  version: typeof REPORT_VERSION;
  date: string;
  duration_ms: number;
  /** Same order as `runs`: models outer, prompts inner. */
  rows: MatrixRow[];
  /** The full report of each combination (same cases in the same order). */
  runs: RunReport[];
}

export type EvalReport = RunReport | MatrixReport;

/** What `evals/html-report.ts` exports (package F). */
export type RenderHtmlReport = (report: EvalReport, opts?: { title?: string }) => Promise<string> | string;
