import fs from 'node:fs';
import { z } from 'zod';
import type { BaselineStatus, BaselineSummary, CaseBaseline, RunReport } from './report.js';

/**
 * `--baseline <previous.json>`: each case of this run against the same case in an earlier report.
 * Pass/fail is the case's verdict (every trial passed), so a case that passed before and fails
 * now is a regression however the overall rate moved; `flaky` marks cases whose trials disagreed
 * (now or then) while the verdict stayed. Reads reports of this version and of the first one
 * (no `kind`), and picks the matching combination out of a matrix report.
 */

const baselineCase = z.object({ id: z.string(), passed: z.boolean(), successes: z.number().int().min(0), trials: z.array(z.unknown()) }).loose();
const baselineRun = z
  .object({
    kind: z.literal('run').optional(),
    summary: z.object({ model: z.string(), date: z.string(), pass_rate: z.number(), trials: z.number().int(), prompt: z.object({ name: z.string() }).loose().optional() }).loose(),
    results: z.array(baselineCase),
  })
  .loose();
const baselineMatrix = z.object({ kind: z.literal('matrix'), runs: z.array(baselineRun) }).loose();

/** What a comparison reads of a baseline run (a RunReport has it all). */
export interface BaselineRun {
  summary: { model: string; date: string; pass_rate: number; trials: number; prompt?: { name: string } | undefined };
  results: Array<{ id: string; passed: boolean; successes: number; trials: unknown[] }>;
}

/** Reads a baseline report; from a matrix, the run with the same model and prompt name. */
export function readBaseline(file: string, model: string, promptName: string): BaselineRun {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`--baseline ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const isMatrix = (json as { kind?: unknown } | null)?.kind === 'matrix';
  const parsed = (isMatrix ? baselineMatrix : baselineRun).safeParse(json);
  if (!parsed.success) throw new Error(`--baseline ${file}: not an evals JSON report (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
  if (!isMatrix) return parsed.data as BaselineRun;
  const data = parsed.data as z.infer<typeof baselineMatrix>;
  const run = data.runs.find((r) => r.summary.model === model && (r.summary.prompt?.name ?? promptName) === promptName);
  if (!run) {
    const have = data.runs.map((r) => `${r.summary.model} × ${r.summary.prompt?.name ?? '?'}`).join(', ');
    throw new Error(`--baseline ${file}: the matrix has no run for ${model} × ${promptName} (it has ${have})`);
  }
  return run;
}

function statusOf(now: { passed: boolean; successes: number; trials: number }, before: { passed: boolean; successes: number; trials: number }): BaselineStatus {
  if (before.passed && !now.passed) return 'regressed';
  if (!before.passed && now.passed) return 'fixed';
  const mixed = (r: { successes: number; trials: number }) => r.successes > 0 && r.successes < r.trials;
  return mixed(now) || mixed(before) ? 'flaky' : 'unchanged';
}

/** Marks each case of `report` with its baseline status and fills `summary.regressions` / `fixes` and `baseline`. */
export function applyBaseline(report: RunReport, baseline: BaselineRun, file: string): BaselineSummary {
  const before = new Map(baseline.results.map((r) => [r.id, r]));
  const lists: Record<BaselineStatus, string[]> = { regressed: [], fixed: [], flaky: [], unchanged: [], new: [] };
  for (const r of report.results) {
    const b = before.get(r.id);
    const trials = b ? b.trials.length || baseline.summary.trials : null;
    const mark: CaseBaseline = b
      ? { status: statusOf({ passed: r.passed, successes: r.successes, trials: r.trials.length }, { passed: b.passed, successes: b.successes, trials: trials! }), successes: b.successes, trials }
      : { status: 'new', successes: null, trials: null };
    r.baseline = mark;
    lists[mark.status].push(r.id);
  }
  const ran = new Set(report.results.map((r) => r.id));
  const summary: BaselineSummary = {
    path: file,
    date: baseline.summary.date,
    model: baseline.summary.model,
    pass_rate: baseline.summary.pass_rate,
    regressions: lists.regressed,
    fixes: lists.fixed,
    flaky: lists.flaky,
    unchanged: lists.unchanged,
    new: lists.new,
    removed: baseline.results.map((r) => r.id).filter((id) => !ran.has(id)),
  };
  report.baseline = summary;
  report.summary.regressions = summary.regressions;
  report.summary.fixes = summary.fixes;
  return summary;
}

/** New cases that fail: not regressions (nothing to compare), but they fail a baseline run too. */
export function failingNewCases(report: RunReport): string[] {
  return report.results.filter((r) => r.baseline?.status === 'new' && !r.passed).map((r) => r.id);
}

/** The terminal lines of the comparison. */
export function formatBaseline(b: BaselineSummary, current: RunReport): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [`baseline ${b.path} (${b.model}, ${b.date}): ${pct(b.pass_rate)} -> ${pct(current.summary.pass_rate)}`];
  const list = (label: string, ids: string[]) => {
    if (ids.length === 0) return;
    lines.push(`  ${label} (${ids.length}):`);
    for (const id of ids) lines.push(`    ${id}`);
  };
  list('REGRESSED: passed in the baseline, failing now', b.regressions);
  list('fixed: failing in the baseline, passing now', b.fixes);
  list('flaky: trials disagree', b.flaky);
  list('new, failing', failingNewCases(current));
  list('not run (in the baseline only)', b.removed);
  lines.push(`  ${b.regressions.length} regressed, ${b.fixes.length} fixed, ${b.flaky.length} flaky, ${b.unchanged.length} unchanged, ${b.new.length} new, ${b.removed.length} not run`);
  return lines;
}
