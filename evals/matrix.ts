import { applyBaseline, readBaseline } from './baseline.js';
import type { EvalOptions } from './run.js';
import { REPORT_VERSION, type MatrixReport, type MatrixRow, type RunReport } from './report.js';

/**
 * `--model a,b` and/or `--prompt f1,f2`: every combination over the same cases, one after the
 * other (each with its own databases, `--concurrency` applies inside a combination), side by side:
 * pass rate, turn latency percentiles, tokens and estimated cost. With `--baseline`, each
 * combination is compared with the baseline (the matching run when the baseline is a matrix).
 */

export interface MatrixOptions extends Omit<EvalOptions, 'model' | 'prompt' | 'json' | 'junit' | 'html'> {
  models: string[];
  /** Empty: the app's prompt only. */
  prompts: string[];
}

export function matrixRow(r: RunReport): MatrixRow {
  const s = r.summary;
  return {
    model: s.model,
    prompt: s.prompt,
    cases: s.cases,
    passed: s.passed,
    pass_rate: s.pass_rate,
    latency_ms: s.latency_ms,
    usage: s.usage,
    cost_usd: s.cost_usd,
    regressions: s.regressions,
    fixes: s.fixes,
  };
}

export async function runMatrix(opts: MatrixOptions, runSuite: (o: EvalOptions) => Promise<RunReport>): Promise<MatrixReport> {
  const started = Date.now();
  const prompts: Array<string | undefined> = opts.prompts.length > 0 ? opts.prompts : [undefined];
  const runs: RunReport[] = [];
  for (const model of opts.models) {
    for (const prompt of prompts) {
      if (!opts.quiet) process.stderr.write(`matrix: ${model} × ${prompt ?? 'default prompt'}\n`);
      const { models: _models, prompts: _prompts, ...rest } = opts;
      const report = await runSuite({ ...rest, model, prompt });
      if (opts.baseline) applyBaseline(report, readBaseline(opts.baseline, model, report.summary.prompt.name), opts.baseline);
      runs.push(report);
    }
  }
  return { kind: 'matrix', version: REPORT_VERSION, date: new Date().toISOString(), duration_ms: Date.now() - started, rows: runs.map(matrixRow), runs };
}

/** The side-by-side table of the terminal. */
export function formatMatrix(m: MatrixReport): string {
  const head = ['model', 'prompt', 'passed', 'rate', 'p50 ms', 'p95 ms', 'p99 ms', 'tokens in', 'tokens out', 'cost $', 'regr.'];
  const rows = m.rows.map((r) => [
    r.model,
    r.prompt.version,
    `${r.passed}/${r.cases}`,
    `${(100 * r.pass_rate).toFixed(1)}%`,
    String(r.latency_ms.p50),
    String(r.latency_ms.p95),
    String(r.latency_ms.p99),
    String(r.usage.input_tokens),
    String(r.usage.output_tokens),
    r.cost_usd === null ? 'n/a' : r.cost_usd.toFixed(4),
    String(r.regressions.length),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return ['matrix:', line(head), ...rows.map(line)].join('\n');
}
