import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ToolRegistry } from '../tools/registry.js';
import { clearBillingData, seedFixture } from '../src/billing/fixture.js';
import { fixedClock } from '../src/billing/dates.js';
import { loadConfig } from '../src/config.js';
import { migrateToLatest, openDatabase } from '../src/db/index.js';
import { createServices, type Services } from '../src/services.js';
import { checkTurn, loadCases, passHatK, type EvalCase, type ObservedTurn } from './lib.js';
import type { AssistantReply } from '../src/agent/chat-service.js';
import { executed } from '../src/agent/loop.js';
import { AppError } from '../src/errors.js';

/**
 * `npm run evals -- --cases <file|dir> --model offline|<openai model> --trials N --json <path> --junit <path>`
 * Each case runs on a fresh copy of the fixture with the clock at 2026-11-25.
 */

export const EVAL_TODAY = '2026-11-25';

interface TrialResult {
  passed: boolean;
  turns: Array<ObservedTurn & { failures: string[] }>;
  error?: string;
}

interface CaseResult {
  id: string;
  tags: string[];
  account: string;
  passed: boolean;
  successes: number;
  trials: TrialResult[];
}

export interface EvalOptions {
  cases: string;
  model: string;
  trials: number;
  json?: string | undefined;
  junit?: string | undefined;
  filter?: string | undefined;
  quiet?: boolean;
  /** Extra tools (e.g. when a capability's registry is extended). */
  registry?: ToolRegistry;
}

export interface EvalSummary {
  summary: {
    cases: number;
    passed: number;
    failed: number;
    pass_rate: number;
    trials: number;
    pass_hat_k: Record<string, number>;
    model: string;
    date: string;
    duration_ms: number;
  };
  tags: Record<string, { cases: number; passed: number }>;
  results: Array<{
    id: string;
    tags: string[];
    passed: boolean;
    successes: number;
    trials: TrialResult[];
  }>;
}

/** The proposal clock of a run: wall time plus what `advance_minutes` steps added. */
const clockOffset = { ms: 0 };

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

async function runCase(services: Services, c: EvalCase): Promise<TrialResult> {
  const session = { accountId: c.account, userId: c.user ?? `qa@${c.account.toLowerCase()}.test`, userName: null };
  const turns: TrialResult['turns'] = [];
  clockOffset.ms = 0;
  try {
    const conv = await services.chat.createConversation(session);
    let lastProposal: string | null = null;
    for (const t of c.turns) {
      if ('advance_minutes' in t) {
        clockOffset.ms += t.advance_minutes * 60_000;
        continue;
      }
      let observed: ObservedTurn;
      if ('user' in t) {
        observed = observe(t.user, await services.chat.sendMessage(session, conv.id, t.user));
      } else {
        const decision = 'approve' in t ? 'approve' : 'decline';
        const label = `[${decision}]`;
        try {
          if (!lastProposal) throw new AppError(404, 'not_found', 'no confirm card was shown');
          observed = observe(label, await services.chat.decideProposal(session, conv.id, lastProposal, decision));
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          observed = { user: label, tools: [], proposals: [], rejected: true, reply: err.message, cards: [] };
        }
      }
      const confirm = [...observed.cards].reverse().find((x) => x.type === 'confirm');
      if (confirm && confirm.type === 'confirm') lastProposal = confirm.proposalId;
      turns.push({ ...observed, failures: checkTurn(t.expect, observed) });
    }
    return { passed: turns.every((t) => t.failures.length === 0), turns };
  } catch (err) {
    return { passed: false, turns, error: err instanceof Error ? err.message : String(err) };
  }
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function junit(report: EvalSummary): string {
  const cases = report.results
    .map((r) => {
      const fails = r.trials.flatMap((t, i) => [
        ...(t.error ? [`trial ${i + 1}: error: ${t.error}`] : []),
        ...t.turns.flatMap((turn, j) => turn.failures.map((f) => `trial ${i + 1} turn ${j + 1}: ${f}`)),
      ]);
      return `    <testcase classname="evals.${xmlEscape(r.tags[0] ?? 'case')}" name="${xmlEscape(r.id)}">${
        r.passed ? '' : `<failure message="${xmlEscape(fails[0] ?? 'failed')}">${xmlEscape(fails.join('\n'))}</failure>`
      }</testcase>`;
    })
    .join('\n');
  const s = report.summary;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="evals (${xmlEscape(s.model)})" tests="${s.cases}" failures="${s.failed}" time="${(s.duration_ms / 1000).toFixed(2)}">\n${cases}\n  </testsuite>\n</testsuites>\n`;
}

export async function runEvals(opts: EvalOptions): Promise<EvalSummary> {
  const started = Date.now();
  let cases = loadCases(opts.cases);
  if (opts.filter) cases = cases.filter((c) => c.id.includes(opts.filter!) || c.tags.includes(opts.filter!));
  const env: Record<string, string | undefined> = { ...process.env, FIXED_TODAY: EVAL_TODAY, LOG_LEVEL: 'silent', NODE_ENV: 'test', AUTO_SEED: 'false' };
  if (opts.model === 'offline') {
    delete env['OPENAI_MODEL'];
    delete env['OPENAI_BASE_URL'];
    delete env['OPENAI_API_KEY'];
  } else {
    env['OPENAI_MODEL'] = opts.model;
  }
  // Evals run on the embedded database unless EVALS_DATABASE_URL points elsewhere.
  delete env['DATABASE_URL'];
  const evalsDb = process.env['EVALS_DATABASE_URL'];
  const config = loadConfig(env);
  if (opts.model !== 'offline' && !config.openai.enabled) {
    throw new Error(`--model ${opts.model} needs OPENAI_API_KEY (or OPENAI_BASE_URL) in the environment`);
  }
  const database = await openDatabase(evalsDb ? { url: evalsDb } : { pgliteDataDir: 'memory://' });
  const clock = fixedClock(EVAL_TODAY);
  const results: CaseResult[] = [];
  let services: Services | undefined;
  try {
    await migrateToLatest(database.db);
    services = createServices({ config, database, clock, now: () => new Date(Date.now() + clockOffset.ms), ...(opts.registry ? { registry: opts.registry } : {}) });
    let done = 0;
    const total = cases.length * opts.trials;
    for (const c of cases) {
      const trials: TrialResult[] = [];
      for (let i = 0; i < opts.trials; i++) {
        // A fresh copy of the fixture for every trial.
        await clearBillingData(database.db);
        await seedFixture(database.db, EVAL_TODAY);
        trials.push(await runCase(services, c));
        done++;
        if (!opts.quiet && process.stderr.isTTY) process.stderr.write(`\r  ${done}/${total} ${c.id.padEnd(50).slice(0, 50)}`);
      }
      const successes = trials.filter((t) => t.passed).length;
      results.push({ id: c.id, tags: c.tags, account: c.account, passed: successes === opts.trials, successes, trials });
      if (!opts.quiet && !process.stderr.isTTY && (results.length % 25 === 0 || results.length === cases.length)) {
        process.stderr.write(`  ${results.length}/${cases.length} cases run\n`);
      }
    }
    if (!opts.quiet && process.stderr.isTTY) process.stderr.write('\n');
  } finally {
    await services?.pdf.close();
    await database.close();
  }

  const tags: EvalSummary['tags'] = {};
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
  const report: EvalSummary = {
    summary: {
      cases: results.length,
      passed,
      failed: results.length - passed,
      pass_rate: results.length ? passed / results.length : 0,
      trials: opts.trials,
      pass_hat_k: passHat,
      model: opts.model,
      date: new Date().toISOString(),
      duration_ms: Date.now() - started,
    },
    tags,
    results: results.map((r) => ({ id: r.id, tags: r.tags, passed: r.passed, successes: r.successes, trials: r.trials })),
  };
  if (opts.json) {
    fs.mkdirSync(path.dirname(path.resolve(opts.json)), { recursive: true });
    fs.writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
  }
  if (opts.junit) {
    fs.mkdirSync(path.dirname(path.resolve(opts.junit)), { recursive: true });
    fs.writeFileSync(opts.junit, junit(report));
  }
  return report;
}

export function formatReport(report: EvalSummary): string {
  const lines: string[] = [];
  for (const r of report.results.filter((x) => !x.passed)) {
    lines.push(`FAIL ${r.id} (${r.successes}/${report.summary.trials} trials passed)`);
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
  lines.push(
    `model ${s.model}: ${s.passed}/${s.cases} cases passed (${(100 * s.pass_rate).toFixed(1)}%), trials ${s.trials}, ` +
      Object.entries(s.pass_hat_k)
        .map(([k, v]) => `pass^${k} ${v.toFixed(3)}`)
        .join(', ') +
      `, ${(s.duration_ms / 1000).toFixed(1)} s`,
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: 'evals/cases' },
      model: { type: 'string', default: 'offline' },
      trials: { type: 'string', default: '1' },
      json: { type: 'string' },
      junit: { type: 'string' },
      filter: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  const trials = Number(values.trials);
  if (!Number.isInteger(trials) || trials < 1 || trials > 100) throw new Error('--trials must be an integer from 1 to 100');
  const report = await runEvals({
    cases: values.cases,
    model: values.model,
    trials,
    json: values.json,
    junit: values.junit,
    filter: values.filter,
    quiet: values.quiet,
  });
  process.stdout.write(`${formatReport(report)}\n`);
  process.exitCode = report.summary.failed > 0 ? 1 : 0;
}

const invokedDirectly = process.argv[1] && path.resolve(process.argv[1]).replace(/\.[cm]?[jt]s$/, '') === path.resolve(import.meta.dirname, 'run');
if (invokedDirectly) {
  main().catch((err: unknown) => {
    process.stderr.write(`evals: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
