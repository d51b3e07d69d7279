import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { detectLanguage } from '../src/agent/language/detect.js';
import { html, raw, type Raw } from '../src/format/html.js';
import { localeOf, type Language, type Locale } from '../src/i18n/locales.js';
import { projectPath } from '../src/paths.js';
import type { WidgetMessages } from '../src/web/widget/i18n.js';
import { bundleForBrowser, widgetMessages } from '../src/web/widget-bundle.js';
import type { Card } from '../tools/cards.js';
import type { CaseReport, CheckResult, EvalReport, LatencyStats, MatrixReport, RenderHtmlReport, RunReport, TokenUsage, TrialReport, TurnReport } from './report.js';

/**
 * `npm run evals -- --html <path>`: the run as one self-contained HTML page for people (QA). The
 * page loads nothing: its stylesheet and script are inline and its Content-Security-Policy allows
 * only those two (by hash), so it opens from a disk, a CI artifact or an email alike.
 *
 * What it shows: the summary, the per-tag table, the baseline diff and the matrix side by side when
 * the run had them, and per case its turns: what the user said, the tool calls with their
 * arguments, every expectation with the failed ones highlighted, and the answer drawn as the widget
 * draws it. For that last part the page carries the widget's own code (src/web/widget/cards.ts,
 * markdown.ts and its stylesheet, bundled here with esbuild: evals/html/client.ts) and the widget's
 * messages of the turn's locale, so a card in the report is the card a customer saw.
 *
 * Every value from the run (ids, user text, replies, arguments, reasons) is escaped by the `html`
 * template (src/format/html.ts) or travels in a JSON block the script reads as text.
 */

const CLIENT_ENTRY = projectPath('evals/html/client.ts');
const REPORT_CSS = projectPath('evals/html/report.css');

let clientBundle: Promise<string> | null = null;

/**
 * The page's script, built once per process in memory, as the widget is (bundleForBrowser in
 * src/web/widget-bundle.ts). esbuild is a dev dependency, and so is tsx, which runs the evals and
 * depends on it: wherever evals run, it is there.
 */
function clientScript(): Promise<string> {
  // The widget's stylesheet as a string (the widget's own build minifies it; a report needn't).
  clientBundle ??= bundleForBrowser(CLIENT_ENTRY, { loader: { '.css': 'text' } });
  clientBundle.catch(() => {
    clientBundle = null;
  });
  return clientBundle;
}

/** Inline code must not end its own element early (esbuild escapes `</script` in strings; this checks). */
function inlineSafe(code: string, tag: 'script' | 'style'): string {
  if (new RegExp(`</${tag}|<!--`, 'i').test(code)) throw new Error(`the HTML report's inline ${tag} contains </${tag} or <!--`);
  return code;
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** JSON inside <script type="application/json">: no `<`, `>` or `&` can end or confuse the element. */
const jsonForScript = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

// ---- figures for people ----

const count = (n: number): string => n.toLocaleString('en-CA');
const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
const ms = (n: number): string => (n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(2)} s`);
const usd = (c: number | null): string => (c === null ? 'no price' : `$${c.toFixed(c >= 1 ? 2 : 4)}`);
const tokens = (u: TokenUsage): string =>
  `${count(u.input_tokens)} in · ${count(u.output_tokens)} out${u.cached_input_tokens > 0 ? ` (${count(u.cached_input_tokens)} cached)` : ''}`;
const latency = (l: LatencyStats): string => (l.count === 0 ? 'none' : `p50 ${ms(l.p50)} · p95 ${ms(l.p95)} · p99 ${ms(l.p99)}`);
const args = (value: unknown): string => JSON.stringify(value, null, 2) ?? 'undefined';

const meter = (value: number, label: string): Raw => html`<meter min="0" max="1" low="0.8" high="0.95" optimum="1" value="${value}" aria-label="${label}"></meter>`;

// ---- the data the script draws from ----

/** What the script needs per turn to draw it as the widget does (evals/html/client.ts reads it). */
interface TurnView {
  locale: Locale;
  kind: TurnReport['kind'];
  user: string;
  reply: string;
  cards: Card[];
}

interface ClientData {
  messages: Partial<Record<Locale, WidgetMessages>>;
  turns: TurnView[];
}

/** Collects the turns as they are rendered; `add` returns the turn's index in the data block (its `data-turn`). */
class TurnViews {
  readonly turns: TurnView[] = [];
  add(view: TurnView): number {
    return this.turns.push(view) - 1;
  }
  data(): ClientData {
    const locales = new Set(this.turns.map((t) => t.locale));
    return { messages: Object.fromEntries([...locales].map((l) => [l, widgetMessages(l)])), turns: this.turns };
  }
}

// ---- sections ----

function summarySection(run: RunReport): Raw {
  const s = run.summary;
  const judge =
    s.judge.model === null
      ? s.judge.skipped > 0
        ? `no judge model: ${s.judge.skipped} skipped`
        : 'none'
      : `${s.judge.model}: ${s.judge.passed} passed, ${s.judge.failed} failed${s.judge.skipped ? `, ${s.judge.skipped} skipped` : ''}`;
  const tile = (label: string, value: string | Raw, cls = ''): Raw => html`<div class="tile ${cls}"><dt>${label}</dt><dd>${value}</dd></div>`;
  return html`<section class="summary" aria-label="Summary">
  <dl class="tiles">
    ${tile('Pass rate', html`<span class="big">${pct(s.pass_rate)}</span> ${meter(s.pass_rate, 'pass rate')}`, s.failed > 0 ? 'bad' : 'good')}
    ${tile('Cases', `${count(s.passed)} passed · ${count(s.failed)} failed of ${count(s.cases)}`)}
    ${tile(`Trials per case: ${s.trials}`, Object.entries(s.pass_hat_k).map(([k, v]) => `pass^${k} ${v.toFixed(3)}`).join(' · '))}
    ${tile('Turn latency', latency(s.latency_ms))}
    ${tile('Tokens', tokens(s.usage))}
    ${tile('Estimated cost', usd(s.cost_usd))}
    ${tile('Judge', judge)}
    ${tile('Response cache', s.cache.enabled ? `${count(s.cache.hits)} hits · ${count(s.cache.misses)} misses` : 'off')}
    ${run.baseline ? tile('Against the baseline', `${s.regressions.length} regressed · ${s.fixes.length} fixed`, s.regressions.length > 0 ? 'bad' : '') : raw('')}
  </dl>
</section>`;
}

function baselineSection(run: RunReport, prefix: string, anchors: Map<string, string>): Raw {
  const b = run.baseline;
  if (!b) return raw('');
  const list = (title: string, ids: string[], cls: string, open: boolean): Raw =>
    ids.length === 0
      ? raw('')
      : html`<details class="diff diff-${cls}"${open ? raw(' open') : raw('')}><summary>${title} <span class="n">${ids.length}</span></summary><ul class="ids">${ids.map((id) => {
          const anchor = anchors.get(id);
          return anchor ? html`<li><a href="#${anchor}"><code>${id}</code></a></li>` : html`<li><code>${id}</code></li>`;
        })}</ul></details>`;
  return html`<section class="baseline" aria-labelledby="${prefix}baseline-title">
  <h2 id="${prefix}baseline-title">Compared with the baseline</h2>
  <p class="muted"><code>${b.path}</code> · ${b.model} · ${b.date} · pass rate ${pct(b.pass_rate)} → ${pct(run.summary.pass_rate)}</p>
  <div class="diffs">
    ${list('Regressed (passed before, failing now)', b.regressions, 'regressed', true)}
    ${list('Fixed (failed before, passing now)', b.fixes, 'fixed', true)}
    ${list('Flaky', b.flaky, 'flaky', false)}
    ${list('New', b.new, 'new', false)}
    ${list('Removed (in the baseline, not run now)', b.removed, 'removed', false)}
    ${list('Unchanged', b.unchanged, 'unchanged', false)}
  </div>
</section>`;
}

function tagsSection(run: RunReport): Raw {
  const regressedByTag = new Map<string, number>();
  for (const r of run.results) if (r.baseline?.status === 'regressed') for (const t of r.tags) regressedByTag.set(t, (regressedByTag.get(t) ?? 0) + 1);
  const rows = Object.entries(run.tags)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([tag, v]) => html`<tr class="${v.passed < v.cases ? 'has-fail' : ''}">
  <th scope="row"><button type="button" class="tag" data-tag="${tag}" title="Show the cases tagged ${tag}">${tag}</button></th>
  <td class="num">${v.cases}</td><td class="num">${v.passed}</td><td class="num">${v.cases - v.passed}</td>
  <td class="num">${pct(v.cases ? v.passed / v.cases : 0)}</td><td>${meter(v.cases ? v.passed / v.cases : 0, `${tag} pass rate`)}</td>
  ${run.baseline ? html`<td class="num">${regressedByTag.get(tag) ?? 0}</td>` : raw('')}
</tr>`,
    );
  return html`<section class="tags">
  <table>
    <caption>Per tag</caption>
    <thead><tr><th scope="col">tag</th><th scope="col" class="num">cases</th><th scope="col" class="num">passed</th><th scope="col" class="num">failed</th><th scope="col" class="num">rate</th><th scope="col"><span class="sr-only">bar</span></th>${run.baseline ? html`<th scope="col" class="num">regressed</th>` : raw('')}</tr></thead>
    <tbody>${rows}</tbody>
  </table>
</section>`;
}

const VERDICT_MARK: Record<CheckResult['verdict'], string> = { pass: '✓', fail: '✗', skipped: '–' };

function checksList(turn: TurnReport): Raw {
  // Failures the checks don't cover (a report written without checks): shown as failed checks.
  const covered = new Set(turn.checks.filter((c) => c.verdict === 'fail').map((c) => c.kind));
  const extra = turn.failures.filter((f) => !covered.has(f.split(':')[0] ?? ''));
  if (turn.checks.length === 0 && extra.length === 0) return html`<p class="muted">No expectations on this turn.</p>`;
  return html`<ul class="checks">${turn.checks.map(
    (c) => html`<li class="check check-${c.verdict}" data-verdict="${c.verdict}">
  <span class="verdict" aria-label="${c.verdict === 'fail' ? 'failed' : c.verdict}">${VERDICT_MARK[c.verdict]}</span>
  <span class="expectation">${c.expectation}</span>
  ${c.reason ? html`<span class="reason">${c.verdict === 'fail' ? 'why: ' : ''}${c.reason}</span>` : raw('')}
  ${c.judge_model ? html`<span class="muted judge">judged by ${c.judge_model}</span>` : raw('')}
</li>`,
  )}${extra.map((f) => html`<li class="check check-fail" data-verdict="fail"><span class="verdict" aria-label="failed">✗</span><span class="expectation">${f}</span></li>`)}</ul>`;
}

function callsList(title: string, calls: TurnReport['tools'], cls: string): Raw {
  if (calls.length === 0) return raw('');
  return html`<h5>${title}</h5><ol class="calls ${cls}">${calls.map((c) => html`<li><code class="tool">${c.name}</code><pre class="args">${args(c.args)}</pre></li>`)}</ol>`;
}

function turnBlock(turn: TurnReport, index: number, ref: number): Raw {
  const failed = turn.checks.some((c) => c.verdict === 'fail') || turn.failures.length > 0;
  const who = turn.kind === 'user' ? 'user' : turn.kind;
  return html`<div class="turn${failed ? ' turn-fail' : ''}">
  <div class="turn-head"><span class="turn-n">Turn ${index + 1}</span> <span class="muted">${who} · ${ms(turn.latency_ms)} · ${tokens(turn.usage)} · ${turn.model_calls} model call${turn.model_calls === 1 ? '' : 's'}${turn.cache_hits ? ` (${turn.cache_hits} from cache)` : ''}</span></div>
  <div class="turn-body">
    <div class="widget-view" data-turn="${ref}" aria-label="Turn ${index + 1} as the widget shows it">
      <p class="fallback-user">${turn.user}</p><p class="fallback-reply">${turn.reply}</p>
    </div>
    <div class="turn-detail">
      ${turn.tools.length === 0 && turn.proposals.length === 0 ? html`<h5>Tool calls</h5><p class="muted">None.</p>` : raw('')}
      ${callsList('Tool calls', turn.tools, 'ran')}
      ${callsList('Proposed on a confirm card (not run)', turn.proposals, 'proposed')}
      ${turn.rejected ? html`<p class="rejected">The decision was refused.</p>` : raw('')}
      <h5>Expectations</h5>
      ${checksList(turn)}
    </div>
  </div>
</div>`;
}

/** The locale each turn's answer is drawn in: the user's message language, as the chat picks it (src/agent/language/detect.ts). */
function turnLocales(trial: TrialReport): Locale[] {
  let lang: Language = 'en';
  return trial.turns.map((t) => {
    if (t.kind === 'user') lang = detectLanguage(t.user, lang);
    return localeOf(lang);
  });
}

function trialBlock(trial: TrialReport, views: TurnViews): Raw {
  const locales = turnLocales(trial);
  return html`${trial.error ? html`<p class="trial-error" role="note"><strong>Error:</strong> ${trial.error}</p>` : raw('')}
${trial.turns.map((t, i) => turnBlock(t, i, views.add({ locale: locales[i] ?? 'en-CA', kind: t.kind, user: t.user, reply: t.reply, cards: t.cards })))}`;
}

function caseBlock(c: CaseReport, anchor: string, views: TurnViews): Raw {
  const b = c.baseline;
  const trials =
    c.trials.length === 1
      ? trialBlock(c.trials[0]!, views)
      : c.trials.map(
          (t, i) => html`<details class="trial"${t.passed ? raw('') : raw(' open')}><summary>Trial ${i + 1} of ${c.trials.length}: <span class="${t.passed ? 'ok' : 'ko'}">${t.passed ? 'passed' : 'failed'}</span> <span class="muted">${ms(t.latency_ms)} · ${tokens(t.usage)}</span></summary>${trialBlock(t, views)}</details>`,
        );
  return html`<article class="case ${c.passed ? 'case-pass' : 'case-fail'}" id="${anchor}" data-id="${c.id}" data-tags="${JSON.stringify(c.tags)}" data-passed="${String(c.passed)}" data-baseline="${b?.status ?? ''}">
<details${c.passed ? raw('') : raw(' open')}>
  <summary>
    <span class="badge ${c.passed ? 'badge-pass' : 'badge-fail'}">${c.passed ? 'PASS' : 'FAIL'}</span>
    <code class="case-id">${c.id}</code>
    ${b ? html`<span class="badge badge-${b.status}" title="${b.successes === null ? 'not in the baseline' : `baseline: ${b.successes}/${b.trials} trials passed`}">${b.status}</span>` : raw('')}
    <span class="muted">${c.successes}/${c.trials.length} trial${c.trials.length === 1 ? '' : 's'} passed</span>
    ${c.tags.map((t) => html`<span class="chip">${t}</span>`)}
  </summary>
  <p class="case-meta muted">account <code>${c.account}</code> · billing day ${c.today} · <code>${c.file}</code> · ${ms(c.latency_ms)} per trial · ${tokens(c.usage)} · ${usd(c.cost_usd)}</p>
  ${trials}
</details>
</article>`;
}

/** Regressed first, then the other failures, then the rest; the run's order within each group. */
function byAttention(results: CaseReport[]): Array<{ c: CaseReport; i: number }> {
  const rank = (c: CaseReport): number => (c.baseline?.status === 'regressed' ? 0 : c.passed ? 2 : 1);
  return results.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i);
}

const caseAnchor = (prefix: string, i: number): string => `${prefix}case-${i}`;

function runSection(run: RunReport, prefix: string, views: TurnViews, opts: { hidden: boolean; runKey: string; heading: string | null; filters?: Raw }): Raw {
  const anchors = new Map(run.results.map((c, i) => [c.id, caseAnchor(prefix, i)]));
  return html`<section class="run" id="run-${opts.runKey}" data-run="${opts.runKey}"${opts.hidden ? raw(' hidden') : raw('')}>
  ${opts.heading ? html`<h2 class="run-title">${opts.heading}</h2>` : raw('')}
  ${summarySection(run)}
  ${baselineSection(run, prefix, anchors)}
  ${tagsSection(run)}
  ${opts.filters ?? raw('')}
  <h2 class="cases-title">Cases</h2>
  <p class="no-match muted" hidden>No case matches the filters.</p>
  <div class="cases">${byAttention(run.results).map(({ c, i }) => caseBlock(c, caseAnchor(prefix, i), views))}</div>
</section>`;
}

function filtersBar(runs: RunReport[]): Raw {
  const tags = [...new Set(runs.flatMap((r) => Object.keys(r.tags)))].sort((a, b) => a.localeCompare(b));
  const hasBaseline = runs.some((r) => r.baseline);
  return html`<form class="filters" id="cases" role="search" aria-label="Filter the cases">
  <label><input type="checkbox" id="filter-failing"> Failing only</label>
  <label${hasBaseline ? raw('') : raw(' class="muted" title="The run had no --baseline"')}><input type="checkbox" id="filter-regressed"${hasBaseline ? raw('') : raw(' disabled')}> Regressed only</label>
  <label>Tag <select id="filter-tag"><option value="">any</option>${tags.map((t) => html`<option value="${t}">${t}</option>`)}</select></label>
  <label>Case id <input type="search" id="filter-text" placeholder="part of an id" autocomplete="off"></label>
  <output id="filter-count" aria-live="polite"></output>
</form>`;
}

const comboLabel = (r: { model: string; prompt: { name: string } }): string => `${r.model} · ${r.prompt.name}`;

function matrixSection(m: MatrixReport): Raw {
  const rows = m.rows.map(
    (r, i) => html`<tr>
  <th scope="row"><a href="#run-${i}">${r.model}</a></th><td><span title="${r.prompt.version}">${r.prompt.name}</span></td>
  <td class="num">${r.passed}/${r.cases}</td><td class="num">${pct(r.pass_rate)}</td><td>${meter(r.pass_rate, `${comboLabel(r)} pass rate`)}</td>
  <td class="num">${ms(r.latency_ms.p50)}</td><td class="num">${ms(r.latency_ms.p95)}</td><td class="num">${ms(r.latency_ms.p99)}</td>
  <td class="num">${count(r.usage.input_tokens)}</td><td class="num">${count(r.usage.output_tokens)}</td><td class="num">${usd(r.cost_usd)}</td>
  <td class="num">${r.regressions.length}</td><td class="num">${r.fixes.length}</td>
</tr>`,
  );
  // Per case, each combination's outcome; the cases where the combinations disagree first.
  const ids = [...new Set(m.runs.flatMap((r) => r.results.map((c) => c.id)))];
  const outcome = m.runs.map((r) => new Map(r.results.map((c, i) => [c.id, { passed: c.passed, anchor: caseAnchor(`r${m.runs.indexOf(r)}-`, i) }])));
  const differs = (id: string): boolean => new Set(outcome.map((o) => o.get(id)?.passed)).size > 1;
  const ordered = [...ids.filter(differs), ...ids.filter((id) => !differs(id))];
  const grid = ordered.map(
    (id) => html`<tr${differs(id) ? raw(' class="differs"') : raw('')}><th scope="row"><code>${id}</code></th>${outcome.map((o) => {
      const x = o.get(id);
      return x
        ? html`<td class="cell ${x.passed ? 'ok' : 'ko'}"><a href="#${x.anchor}" aria-label="${id}: ${x.passed ? 'passed' : 'failed'}">${x.passed ? '✓' : '✗'}</a></td>`
        : html`<td class="cell muted">not run</td>`;
    })}</tr>`,
  );
  return html`<section class="matrix" aria-labelledby="matrix-title">
  <h2 id="matrix-title">Matrix: every combination side by side</h2>
  <div class="scroll"><table class="combos">
    <caption>Per combination (latency per turn)</caption>
    <thead><tr><th scope="col">model</th><th scope="col">prompt</th><th scope="col" class="num">passed</th><th scope="col" class="num">rate</th><th scope="col"><span class="sr-only">bar</span></th><th scope="col" class="num">p50</th><th scope="col" class="num">p95</th><th scope="col" class="num">p99</th><th scope="col" class="num">tokens in</th><th scope="col" class="num">tokens out</th><th scope="col" class="num">cost</th><th scope="col" class="num">regressed</th><th scope="col" class="num">fixed</th></tr></thead>
    <tbody>${rows}</tbody>
  </table></div>
  <details class="grid"${ordered.some(differs) ? raw(' open') : raw('')}>
    <summary>Per case: ${ordered.filter(differs).length} of ${ordered.length} cases differ between combinations</summary>
    <div class="scroll"><table class="per-case">
      <thead><tr><th scope="col">case</th>${m.rows.map((r) => html`<th scope="col" class="combo">${comboLabel(r)}</th>`)}</tr></thead>
      <tbody>${grid}</tbody>
    </table></div>
  </details>
  <p class="picker"><label>Cases of <select id="run-picker">${m.rows.map((r, i) => html`<option value="${String(i)}">${comboLabel(r)}</option>`)}</select></label></p>
</section>`;
}

// ---- the page ----

/** Renders `report` (one run or a matrix) as one self-contained HTML page. */
export const renderHtmlReport: RenderHtmlReport = async (report: EvalReport, opts: { title?: string } = {}): Promise<string> => {
  const [script, css] = await Promise.all([clientScript(), fs.readFile(REPORT_CSS, 'utf8')]);
  const views = new TurnViews();
  const runs = report.kind === 'matrix' ? report.runs : [report];
  const title =
    opts.title ??
    (report.kind === 'matrix'
      ? `Evals: ${report.rows.length} combinations`
      : `Evals: ${report.summary.model}, ${report.summary.passed}/${report.summary.cases} passed`);
  const subtitle =
    report.kind === 'matrix'
      ? `${report.date} · ${ms(report.duration_ms)} · ${report.rows.map(comboLabel).join(' | ')}`
      : `model ${report.summary.model} · prompt ${report.summary.prompt.name} (${report.summary.prompt.version}) · ${report.summary.date} · ${ms(report.summary.duration_ms)}`;
  const body =
    report.kind === 'matrix'
      ? html`${matrixSection(report)}${filtersBar(runs)}${report.runs.map(
          (r, i) => runSection(r, `r${i}-`, views, { hidden: i > 0, runKey: String(i), heading: comboLabel(report.rows[i] ?? r.summary) }),
        )}`
      : runSection(report, '', views, { hidden: false, runKey: '0', heading: null, filters: filtersBar(runs) });
  const style = inlineSafe(css, 'style');
  const code = inlineSafe(script, 'script');
  const csp = `default-src 'none'; script-src ${sha256(code)}; style-src ${sha256(style)}; img-src data:; base-uri 'none'; form-action 'none'`;
  return html`<!doctype html>
<html lang="en-CA">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="Billing Assistant evals (evals/html-report.ts)">
<title>${title}</title>
<style>${raw(style)}</style>
</head>
<body>
<header class="page-head">
  <h1>${title}</h1>
  <p class="muted">${subtitle}</p>
</header>
<main>
${body}
</main>
<script type="application/json" id="report-data">${raw(jsonForScript(views.data()))}</script>
<script>${raw(code)}</script>
</body>
</html>
`.html;
};
