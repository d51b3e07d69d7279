import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ToolRegistry } from '../tools/registry.js';
import { clearBillingData, seedFixture } from '../src/billing/fixture.js';
import { fixedClock, type Clock } from '../src/billing/dates.js';
import { loadConfig, type Config } from '../src/config.js';
import { migrateToLatest, openDatabase, type Database } from '../src/db/index.js';
import { createServices, modelFor, type Services } from '../src/services.js';
import { fillPrompt, loadSystemPrompt } from '../src/agent/prompt.js';
import { projectPath } from '../src/paths.js';
import type { AssistantReply } from '../src/agent/chat-service.js';
import { executed } from '../src/agent/loop.js';
import { AppError } from '../src/errors.js';
import {
  addUsage,
  checkExpectations,
  costOf,
  EVAL_TODAY,
  failureLines,
  filterCases,
  judgeRubrics,
  latencyStats,
  loadCases,
  loadPrices,
  passHatK,
  type EvalCase,
  type ObservedTurn,
} from './lib.js';
import { evalModel, newMeter, openResponseCache, type ResponseCache, type TurnMeter } from './cache.js';
import { createJudge, skippedJudgement, type Judge, type JudgedTurn } from './judge.js';
import { createProgress, type Progress } from './progress.js';
import { applyBaseline, failingNewCases, formatBaseline, readBaseline } from './baseline.js';
import { formatMatrix, runMatrix } from './matrix.js';
import { REPORT_VERSION, type CaseReport, type EvalReport, type RenderHtmlReport, type RunReport, type TrialReport, type TurnReport } from './report.js';

/**
 * `npm run evals -- --cases <file|dir> --model offline|<openai model>[,more] [--prompt <file|name>[,more]]
 *   [--trials N] [--filter ids/tags] [--concurrency N] [--judge-model <model>] [--baseline prev.json]
 *   [--json out.json] [--junit out.xml] [--html out.html] [--no-cache]`
 * Each case runs on a fresh copy of the fixture with the clock at its `today:` (default 2026-11-25).
 */

export { EVAL_TODAY } from './lib.js';

export interface EvalOptions {
  cases: string;
  model: string;
  trials: number;
  json?: string | undefined;
  junit?: string | undefined;
  html?: string | undefined;
  filter?: string | undefined;
  quiet?: boolean;
  /** Extra tools (e.g. when a capability's registry is extended). */
  registry?: ToolRegistry;
  /** A system prompt file (or a name under prompts/); default: the one the app loads. */
  prompt?: string | undefined;
  /** Grades `judge:` expectations; without it they are skipped. */
  judgeModel?: string | undefined;
  /** A previous JSON report to compare with. */
  baseline?: string | undefined;
  /** Cases run at once, each lane on its own embedded database (default 1). */
  concurrency?: number;
  /** The response cache of live models (default on; never used by the offline engine). */
  cache?: boolean;
  cacheDir?: string | undefined;
  /** Where the progress line goes (default stderr). */
  progressStream?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
}

/** The report of one run (the name callers of the first version import). */
export type EvalSummary = RunReport;

export interface LoadedPrompt {
  name: string;
  version: string;
  text: string;
}

/**
 * A prompt for `--prompt`: a path to a markdown file, or a name under prompts/ (`system.v2`). Its
 * `{{NAME}}` placeholders are filled and its version hashed as the app does (src/agent/prompt.ts),
 * so the default prompt has the same version either way.
 */
export function loadPrompt(spec: string): LoadedPrompt {
  const file = fs.existsSync(spec) ? spec : projectPath('prompts', spec.endsWith('.md') ? spec : `${spec}.md`);
  if (!fs.existsSync(file)) throw new Error(`--prompt ${spec}: no such file (nor prompts/${spec}.md)`);
  const name = path.basename(file).replace(/\.md$/, '');
  const text = fillPrompt(fs.readFileSync(file, 'utf8'), name).trim();
  return { name, version: `${name}@${createHash('sha256').update(text).digest('hex').slice(0, 8)}`, text };
}

/** A clock a lane re-pins at each case's billing day. */
interface LaneClock extends Clock {
  pin(today: string): void;
}

function laneClock(today: string): LaneClock {
  let current = fixedClock(today);
  return { now: () => current.now(), today: () => current.today(), pin: (t) => void (current = fixedClock(t)) };
}

/** One database with its services: cases in a lane run one after another. */
interface Lane {
  database: Database;
  services: Services;
  clock: LaneClock;
  /** The proposal clock of the running case: wall time plus what `advance_minutes` steps added. */
  offset: { ms: number };
  /** The model calls of the running turn. */
  meter: { current: TurnMeter };
}

interface RunContext {
  judge: Judge | null;
}

function observe(user: string, reply: AssistantReply): ObservedTurn {
  return {
    user,
    tools: reply.toolCalls.filter(executed).map((x) => ({ name: x.name, args: x.arguments })),
    proposals: reply.toolCalls.filter((x) => x.outcome === 'needs_approval').map((x) => ({ name: x.name, args: x.arguments })),
    rejected: false,
    reply: reply.text,
    cards: reply.cards,
  };
}

async function runCase(lane: Lane, c: EvalCase, ctx: RunContext): Promise<TrialReport> {
  const { services } = lane;
  const session = { accountId: c.account, userId: c.user ?? `qa@${c.account.toLowerCase()}.test`, userName: null };
  const turns: TurnReport[] = [];
  const judged: JudgedTurn[] = [];
  lane.offset.ms = 0;
  const trial = (passed: boolean, error?: string): TrialReport => ({
    passed,
    turns,
    ...(error !== undefined ? { error } : {}),
    latency_ms: Math.round(turns.reduce((s, t) => s + t.latency_ms, 0) * 10) / 10,
    usage: addUsage(...turns.map((t) => t.usage)),
  });
  try {
    const conv = await services.chat.createConversation(session);
    let lastProposal: string | null = null;
    for (const t of c.turns) {
      if ('advance_minutes' in t) {
        lane.offset.ms += t.advance_minutes * 60_000;
        continue;
      }
      const m = newMeter();
      lane.meter.current = m;
      const started = performance.now();
      const kind: TurnReport['kind'] = 'user' in t ? 'user' : 'approve' in t ? 'approve' : 'decline';
      const observed = await (async (): Promise<ObservedTurn> => {
        if ('user' in t) return observe(t.user, await services.chat.sendMessage(session, conv.id, t.user));
        const decision = kind === 'approve' ? 'approve' : 'decline';
        const label = `[${decision}]`;
        try {
          if (!lastProposal) throw new AppError(404, 'not_found', 'no confirm card was shown');
          return observe(label, await services.chat.decideProposal(session, conv.id, lastProposal, decision));
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          return { user: label, tools: [], proposals: [], rejected: true, reply: err.message, cards: [] };
        }
      })();
      const latency = Math.round((performance.now() - started) * 10) / 10;
      const confirm = [...observed.cards].reverse().find((x) => x.type === 'confirm');
      if (confirm && confirm.type === 'confirm') lastProposal = confirm.proposalId;
      judged.push({ user: observed.user, reply: observed.reply, tools: observed.tools });
      const checks = checkExpectations(t.expect, observed);
      for (const rubric of judgeRubrics(t.expect)) checks.push(ctx.judge ? await ctx.judge.grade(rubric, judged) : skippedJudgement(rubric));
      turns.push({
        ...observed,
        kind,
        checks,
        failures: failureLines(checks),
        latency_ms: latency,
        usage: m.usage,
        model_calls: m.calls,
        cache_hits: m.cacheHits,
      });
    }
    return trial(turns.every((t) => t.failures.length === 0));
  } catch (err) {
    return trial(false, err instanceof Error ? err.message : String(err));
  }
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function junitSuite(report: RunReport): string {
  const cases = report.results
    .map((r) => {
      const fails = r.trials.flatMap((t, i) => [
        ...(t.error ? [`trial ${i + 1}: error: ${t.error}`] : []),
        ...t.turns.flatMap((turn, j) => turn.failures.map((f) => `trial ${i + 1} turn ${j + 1}: ${f}`)),
      ]);
      return `    <testcase classname="evals.${xmlEscape(r.tags[0] ?? 'case')}" name="${xmlEscape(r.id)}" time="${(r.latency_ms / 1000).toFixed(3)}">${
        r.passed ? '' : `<failure message="${xmlEscape(fails[0] ?? 'failed')}">${xmlEscape(fails.join('\n'))}</failure>`
      }</testcase>`;
    })
    .join('\n');
  const s = report.summary;
  const name = `evals (${s.model}${s.prompt.name === 'system.v1' ? '' : `, ${s.prompt.name}`})`;
  return `  <testsuite name="${xmlEscape(name)}" tests="${s.cases}" failures="${s.failed}" time="${(s.duration_ms / 1000).toFixed(2)}">\n${cases}\n  </testsuite>`;
}

function junit(report: EvalReport): string {
  const runs = report.kind === 'matrix' ? report.runs : [report];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${runs.map(junitSuite).join('\n')}\n</testsuites>\n`;
}

/** Writes `--json`, `--junit` and `--html` (the HTML report is package F's renderer). */
export async function writeOutputs(report: EvalReport, out: { json?: string | undefined; junit?: string | undefined; html?: string | undefined }): Promise<void> {
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, text);
  };
  if (out.json) write(out.json, `${JSON.stringify(report, null, 2)}\n`);
  if (out.junit) write(out.junit, junit(report));
  if (out.html) {
    // Loaded only for --html: a run without it never depends on the renderer (nor on esbuild).
    const { renderHtmlReport } = (await import('./html-report.js')) as { renderHtmlReport: RenderHtmlReport };
    write(out.html, await renderHtmlReport(report));
  }
}

/** The environment of the app inside the evals: silent, pinned day, and the model under test. */
function evalConfig(model: string): Config {
  const env: Record<string, string | undefined> = { ...process.env, FIXED_TODAY: EVAL_TODAY, LOG_LEVEL: 'silent', NODE_ENV: 'test', AUTO_SEED: 'false' };
  if (model === 'offline') {
    delete env['OPENAI_MODEL'];
    delete env['OPENAI_BASE_URL'];
    delete env['OPENAI_API_KEY'];
  } else {
    env['OPENAI_MODEL'] = model;
    // The SDK retries 429 and 5xx itself, waiting what Retry-After asks; a suite run at
    // --concurrency N meets rate limits more often than a chat does, so it may try longer.
    env['OPENAI_MAX_RETRIES'] ??= '5';
  }
  // Evals run on the embedded database unless EVALS_DATABASE_URL points elsewhere.
  delete env['DATABASE_URL'];
  const config = loadConfig(env);
  if (model !== 'offline' && !config.openai.enabled) {
    throw new Error(`--model ${model} needs OPENAI_API_KEY (or OPENAI_BASE_URL) in the environment`);
  }
  return config;
}

function judgeFor(model: string | undefined, cache: ResponseCache | null): Judge | null {
  if (!model) return null;
  const apiKey = process.env['EVALS_JUDGE_API_KEY'] ?? process.env['OPENAI_API_KEY'];
  const baseURL = process.env['EVALS_JUDGE_BASE_URL'] ?? process.env['OPENAI_BASE_URL'];
  if (!apiKey && !baseURL) throw new Error(`--judge-model ${model} needs EVALS_JUDGE_API_KEY or OPENAI_API_KEY (or a *_BASE_URL) in the environment`);
  return createJudge({ model, apiKey, baseURL, cache });
}

/** Runs the cases once per trial and builds the report (no baseline, nothing written). */
export async function runSuite(opts: EvalOptions): Promise<RunReport> {
  const started = Date.now();
  const cases = filterCases(loadCases(opts.cases), opts.filter);
  const config = evalConfig(opts.model);
  const concurrency = Math.max(1, Math.min(opts.concurrency ?? 1, cases.length || 1));
  const evalsDb = process.env['EVALS_DATABASE_URL'];
  if (evalsDb && concurrency > 1) throw new Error('--concurrency above 1 needs the embedded database (each lane has its own); unset EVALS_DATABASE_URL');
  const live = opts.model !== 'offline';
  const useCache = live && opts.cache !== false;
  const modelCache = useCache ? openResponseCache(opts.cacheDir) : null;
  const judge = judgeFor(opts.judgeModel, opts.cache !== false && opts.judgeModel ? openResponseCache(opts.cacheDir) : null);
  const prompt = opts.prompt ? loadPrompt(opts.prompt) : null;
  const gate = { pausedUntil: 0 };
  const databases: Database[] = [];
  const lanes: Lane[] = [];
  const results: CaseReport[] = new Array<CaseReport>(cases.length);
  const progress: Progress = createProgress({ total: cases.length * opts.trials, quiet: opts.quiet ?? false, ...(opts.progressStream ? { stream: opts.progressStream } : {}) });
  const prices = loadPrices();
  let promptInfo = { name: 'system.v1', version: '' };
  try {
    const defaultPrompt = loadSystemPrompt();
    const used = prompt ?? { ...defaultPrompt, name: defaultPrompt.version.split('@')[0]! };
    promptInfo = { name: used.name, version: used.version };
    for (let i = 0; i < concurrency; i++) {
      const database = await openDatabase(evalsDb ? { url: evalsDb } : { pgliteDataDir: 'memory://' });
      databases.push(database);
      await migrateToLatest(database.db);
      const clock = laneClock(EVAL_TODAY);
      const offset = { ms: 0 };
      const meter = { current: newMeter() };
      const model = evalModel(modelFor(config, clock), {
        endpoint: config.OPENAI_BASE_URL ?? 'openai',
        promptVersion: used.version,
        systemPrompt: prompt?.text,
        cache: modelCache,
        meter,
        gate,
      });
      const services = createServices({ config, database, clock, model, now: () => new Date(Date.now() + offset.ms), ...(opts.registry ? { registry: opts.registry } : {}) });
      lanes.push({ database, services, clock, offset, meter });
    }
    let next = 0;
    const ctx: RunContext = { judge };
    await Promise.all(
      lanes.map(async (lane) => {
        for (let idx = next++; idx < cases.length; idx = next++) {
          const c = cases[idx]!;
          const today = c.today ?? EVAL_TODAY;
          const trials: TrialReport[] = [];
          for (let i = 0; i < opts.trials; i++) {
            // A fresh copy of the fixture, as of the case's day, for every trial.
            lane.clock.pin(today);
            await clearBillingData(lane.database.db);
            await seedFixture(lane.database.db, today);
            trials.push(await runCase(lane, c, ctx));
            progress.tick(c.id);
          }
          const successes = trials.filter((t) => t.passed).length;
          const usage = addUsage(...trials.map((t) => t.usage));
          results[idx] = {
            id: c.id,
            tags: c.tags,
            account: c.account,
            today,
            file: path.relative(process.cwd(), c.file),
            passed: successes === opts.trials,
            successes,
            trials,
            latency_ms: Math.round((trials.reduce((s, t) => s + t.latency_ms, 0) / trials.length) * 10) / 10,
            usage,
            cost_usd: costOf(prices, opts.model, usage),
          };
        }
      }),
    );
    progress.done();
  } finally {
    for (const lane of lanes) await lane.services.pdf.close();
    for (const database of databases) await database.close();
  }

  const tags: RunReport['tags'] = {};
  for (const r of results) {
    for (const t of r.tags.length ? r.tags : ['(untagged)']) {
      tags[t] ??= { cases: 0, passed: 0 };
      tags[t].cases++;
      if (r.passed) tags[t].passed++;
    }
  }
  const passHat: Record<string, number> = {};
  for (let k = 1; k <= opts.trials; k++) passHat[String(k)] = passHatK(results.map((r) => ({ successes: r.successes, trials: opts.trials })), k);
  const passed = results.filter((r) => r.passed).length;
  const allTurns = results.flatMap((r) => r.trials.flatMap((t) => t.turns));
  const checks = allTurns.flatMap((t) => t.checks.filter((c) => c.kind === 'judge'));
  const usage = addUsage(...results.map((r) => r.usage));
  return {
    kind: 'run',
    version: REPORT_VERSION,
    summary: {
      cases: results.length,
      passed,
      failed: results.length - passed,
      pass_rate: results.length ? passed / results.length : 0,
      trials: opts.trials,
      pass_hat_k: passHat,
      model: opts.model,
      prompt: promptInfo,
      date: new Date().toISOString(),
      duration_ms: Date.now() - started,
      latency_ms: latencyStats(allTurns.map((t) => t.latency_ms)),
      usage,
      cost_usd: costOf(prices, opts.model, usage),
      judge: {
        model: judge?.model ?? null,
        passed: checks.filter((c) => c.verdict === 'pass').length,
        failed: checks.filter((c) => c.verdict === 'fail').length,
        skipped: checks.filter((c) => c.verdict === 'skipped').length,
      },
      cache: { enabled: useCache, hits: modelCache?.stats.hits ?? 0, misses: modelCache?.stats.misses ?? 0 },
      regressions: [],
      fixes: [],
    },
    tags,
    results,
  };
}

/** One run: the cases, the baseline comparison when given, and the files asked for. */
export async function runEvals(opts: EvalOptions): Promise<RunReport> {
  const report = await runSuite(opts);
  if (opts.baseline) applyBaseline(report, readBaseline(opts.baseline, report.summary.model, report.summary.prompt.name), opts.baseline);
  await writeOutputs(report, opts);
  return report;
}

/** With a baseline: regressions (or failing new cases) fail the run, known failures do not. Without: any failure. */
export function runFailed(report: RunReport): boolean {
  return report.baseline ? report.summary.regressions.length > 0 || failingNewCases(report).length > 0 : report.summary.failed > 0;
}

function formatUsage(report: RunReport): string {
  const s = report.summary;
  const u = s.usage;
  const cost = s.cost_usd === null ? 'cost n/a (no price in evals/prices.yaml)' : `~$${s.cost_usd.toFixed(4)}`;
  const cache = s.cache.enabled ? `, cache ${s.cache.hits} hits / ${s.cache.misses} misses` : '';
  return `turn latency p50 ${s.latency_ms.p50} ms, p95 ${s.latency_ms.p95} ms, p99 ${s.latency_ms.p99} ms; tokens ${u.input_tokens} in (${u.cached_input_tokens} cached) / ${u.output_tokens} out, ${cost}${cache}`;
}

export function formatReport(report: RunReport): string {
  const lines: string[] = [];
  for (const r of report.results.filter((x) => !x.passed)) {
    lines.push(`FAIL ${r.id} (${r.successes}/${report.summary.trials} trials passed)  ${r.file}`);
    const t = r.trials.find((x) => !x.passed);
    if (t?.error) lines.push(`     error: ${t.error}`);
    t?.turns.forEach((turn, i) => {
      if (turn.failures.length === 0) return;
      lines.push(`     turn ${i + 1}: ${JSON.stringify(turn.user)}`);
      for (const f of turn.failures) lines.push(`       - ${f}`);
      lines.push(`       reply: ${JSON.stringify(turn.reply.slice(0, 300))}`);
      lines.push(`       tools: ${JSON.stringify(turn.tools)}`);
    });
  }
  lines.push('');
  lines.push(`${'tag'.padEnd(24)} ${'cases'.padStart(6)} ${'passed'.padStart(7)} ${'rate'.padStart(7)}`);
  for (const [tag, v] of Object.entries(report.tags).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`${tag.padEnd(24)} ${String(v.cases).padStart(6)} ${String(v.passed).padStart(7)} ${`${((100 * v.passed) / v.cases).toFixed(1)}%`.padStart(7)}`);
  }
  const s = report.summary;
  lines.push('');
  if (s.judge.skipped > 0) lines.push(`${s.judge.skipped} judged check(s) SKIPPED: no --judge-model (they are not counted as passed)`);
  if (s.judge.model) lines.push(`judge ${s.judge.model}: ${s.judge.passed} passed, ${s.judge.failed} failed`);
  lines.push(formatUsage(report));
  if (report.baseline) lines.push(...formatBaseline(report.baseline, report));
  lines.push(
    `model ${s.model} (${s.prompt.version}): ${s.passed}/${s.cases} cases passed (${(100 * s.pass_rate).toFixed(1)}%), trials ${s.trials}, ` +
      Object.entries(s.pass_hat_k)
        .map(([k, v]) => `pass^${k} ${v.toFixed(3)}`)
        .join(', ') +
      `, ${(s.duration_ms / 1000).toFixed(1)} s`,
  );
  return lines.join('\n');
}

const list = (v: string) =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: 'evals/cases' },
      model: { type: 'string', default: 'offline' },
      prompt: { type: 'string' },
      trials: { type: 'string', default: '1' },
      json: { type: 'string' },
      junit: { type: 'string' },
      html: { type: 'string' },
      filter: { type: 'string' },
      baseline: { type: 'string' },
      'judge-model': { type: 'string' },
      concurrency: { type: 'string', default: '1' },
      'no-cache': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  const trials = Number(values.trials);
  if (!Number.isInteger(trials) || trials < 1 || trials > 100) throw new Error('--trials must be an integer from 1 to 100');
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) throw new Error('--concurrency must be an integer from 1 to 32');
  const models = list(values.model);
  const prompts = values.prompt ? list(values.prompt) : [];
  if (models.length === 0) throw new Error('--model is empty');
  const common = {
    cases: values.cases,
    trials,
    filter: values.filter,
    quiet: values.quiet,
    judgeModel: values['judge-model'],
    baseline: values.baseline,
    concurrency,
    cache: !values['no-cache'],
  };
  const out = { json: values.json, junit: values.junit, html: values.html };
  if (models.length > 1 || prompts.length > 1) {
    const matrix = await runMatrix({ ...common, models, prompts }, runSuite);
    await writeOutputs(matrix, out);
    process.stdout.write(`${matrix.runs.map((r) => formatReport(r)).join('\n\n')}\n\n${formatMatrix(matrix)}\n`);
    process.exitCode = matrix.runs.some(runFailed) ? 1 : 0;
    return;
  }
  const report = await runEvals({ ...common, model: models[0]!, prompt: prompts[0], ...out });
  process.stdout.write(`${formatReport(report)}\n`);
  process.exitCode = runFailed(report) ? 1 : 0;
}

const invokedDirectly = process.argv[1] && path.resolve(process.argv[1]).replace(/\.[cm]?[jt]s$/, '') === path.resolve(import.meta.dirname, 'run');
if (invokedDirectly) {
  main().catch((err: unknown) => {
    process.stderr.write(`evals: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
